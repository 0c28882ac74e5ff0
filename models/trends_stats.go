package models

import "math"

// binomTail returns P(X >= k) for X ~ Binomial(n, p).
//
// The detector uses it as the exact test for two Poisson rates: given that a
// term was asked about n times in all, c of them in the recent window, c is
// Binomial(n, π) when the rate has not changed, where π is the window's share
// of the board's traffic. Unlike comparing with a point estimate of the
// baseline, this accounts for a baseline that is itself a small count.
//
// Only small tails matter, so a k at or below the mean returns 1 without the
// sum: such a count is never a burst.
func binomTail(k, n int, p float64) float64 {
	switch {
	case k <= 0:
		return 1
	case k > n || p <= 0:
		return 0
	case p >= 1:
		return 1
	case float64(k) <= float64(n)*p:
		return 1
	}
	lgN, _ := math.Lgamma(float64(n + 1))
	lgK, _ := math.Lgamma(float64(k + 1))
	lgNK, _ := math.Lgamma(float64(n - k + 1))
	logTerm := lgN - lgK - lgNK + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p)
	term := math.Exp(logTerm)
	sum := term
	odds := p / (1 - p)
	// Past the mean each term is smaller than the one before, by a ratio
	// that keeps falling: stop when they no longer change the sum.
	for i := k; i < n && term > sum*1e-12; i++ {
		term *= float64(n-i) / float64(i+1) * odds
		sum += term
	}
	return math.Min(1, sum)
}

// termStat is what an issue's model knows of one term: in how many of the
// issue's questions it occurs and how common it is on the board otherwise.
type termStat struct {
	docs       int
	background float64
}

// issueModel describes the questions of one issue by the terms they share,
// weighted by how much more often each occurs in the issue than in the
// board's ordinary traffic (a log likelihood ratio, as in naive Bayes).
// Only present terms count: questions of one issue in another language lack
// its English words, and absence penalties would split them off.
type issueModel struct {
	docs  int
	terms map[int64]termStat
	cfg   *TrendConfig
}

// weight returns the log lift of term t, or 0 when t does not describe the
// issue: too rare in it, or too common on the board to tell anything.
func (m *issueModel) weight(t int64) float64 {
	s, ok := m.terms[t]
	if !ok || s.docs < 2 || s.background > m.cfg.MaxBackground {
		return 0
	}
	p := m.share(t)
	if p < m.cfg.MinShare {
		return 0
	}
	w := math.Log(p / s.background)
	if w < math.Log(m.cfg.MinLift) {
		return 0
	}
	return w
}

// share returns the share of the issue's questions holding t, shrunk
// towards the term's background rate as if the issue had Prior more
// questions of ordinary traffic: in a young issue of six questions a word
// that four of them happen to share is no evidence yet.
func (m *issueModel) share(t int64) float64 {
	s := m.terms[t]
	return (float64(s.docs) + m.cfg.Prior*s.background) / (float64(m.docs) + m.cfg.Prior)
}

// signature is what a question is matched against: the weights of the
// terms that describe an issue, and its core, the terms nearly every one of
// its questions holds (a product name, an error code).
type signature struct {
	weights map[int64]float64
	core    map[int64]bool
	// require, for a candidate issue, holds the bursting terms that anchor
	// it: its questions must hold one, so it gathers the burst and not
	// the ordinary questions that merely share its language.
	require map[int64]bool
}

// signature returns the issue's signature.
func (m *issueModel) signature() *signature {
	sig := &signature{weights: map[int64]float64{}, core: map[int64]bool{}}
	anchor := math.Log(m.cfg.AnchorLift)
	for t, s := range m.terms {
		w := m.weight(t)
		if w <= 0 {
			continue
		}
		sig.weights[t] = w
		if w >= anchor && s.docs >= 3 && float64(s.docs) >= m.cfg.CoreShare*float64(m.docs) {
			sig.core[t] = true
		}
	}
	return sig
}

// match scores a question's terms against the signature. A question
// matches when it holds an anchor (a term far more common in the issue than
// elsewhere) and its terms together reach the match threshold, so several
// moderately telling words of an ordinary topic ("wifi", "router") never
// add up to an issue; and when the issue has a core, it must hold a core
// term: a question sharing only a side word ("update") with an older issue
// belongs to another.
func (s *signature) match(terms []int64, cfg *TrendConfig) (float64, bool) {
	var score, best float64
	core := len(s.core) == 0
	required := s.require == nil
	for _, t := range terms {
		if w, ok := s.weights[t]; ok {
			score += w
			best = math.Max(best, w)
		}
		core = core || s.core[t]
		required = required || s.require[t]
	}
	return score, core && required && best >= math.Log(cfg.AnchorLift) && score >= math.Log(cfg.MatchLift)
}
