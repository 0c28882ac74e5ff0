package models

import (
	"fmt"
	"math"
	"sort"
	"time"

	"gorm.io/gorm"
)

// burst is a term whose recent count is far above its own baseline.
type burst struct {
	term     int64
	p        float64
	window   int       // index into Config.Windows
	from     time.Time // the window's start
	base     int       // the term's askers in the window's baseline
	pi       float64   // the window's share of window and baseline traffic
	expected float64   // the term's askers the window would have at its usual rate
}

// holds reports whether the burst's term is still a burst among docs
// alone: enough distinct askers, far above the usual count, and
// significant. A candidate issue must hold its burst with its own
// questions, not with ones another issue explains better.
func (b *burst) holds(docs []*trendDoc, cfg *TrendConfig) (float64, bool) {
	askers := map[int64]bool{}
	for _, doc := range docs {
		if doc.CreatedAt.After(b.from) && hasTerm(doc.Terms, b.term) {
			askers[doc.AuthorID] = true
		}
	}
	c := len(askers)
	if c < cfg.MinAskers || float64(c) < cfg.MinRatio*b.expected {
		return 1, false
	}
	p := binomTail(c, b.base+c, b.pi)
	return p, p <= cfg.Alpha
}

// findBursts tests every term of the open questions (in no issue yet)
// against its own baseline, and grows each burst into a candidate issue:
// the open questions that share the burst's description. It also returns
// the board's background rate of every term of those questions. Baselines
// leave out the questions already in issues, and so does the window's
// volume.
func (d *detector) findBursts(tx *gorm.DB, board int64, until time.Time, free []*trendDoc) ([]*issueState, func(int64) float64, error) {
	cfg := d.cfg
	nw := len(cfg.Windows)
	volume := make([]int, nw)
	askers := make([]map[int64]map[int64]bool, nw)
	candidates := map[int64]bool{}
	for wi, w := range cfg.Windows {
		from := until.Add(-w)
		// The window's traffic in the baseline's unit: askers per day.
		seen := map[[2]int64]bool{}
		for _, doc := range free {
			k := [2]int64{doc.AuthorID, dayOfHour(doc.Hour)}
			if doc.CreatedAt.After(from) && !seen[k] {
				seen[k] = true
				volume[wi]++
			}
		}
		// Each term's distinct askers over the whole window: an account
		// asking again and again counts once.
		askers[wi] = map[int64]map[int64]bool{}
		for _, doc := range free {
			if !doc.CreatedAt.After(from) {
				continue
			}
			for _, t := range doc.Terms {
				a := askers[wi][t]
				if a == nil {
					a = map[int64]bool{}
					askers[wi][t] = a
				}
				a[doc.AuthorID] = true
				if len(a) >= cfg.MinAskers {
					candidates[t] = true
				}
			}
		}
	}
	if len(candidates) == 0 {
		return nil, nil, nil
	}
	// Baselines are whole days, ending with the day before the one the
	// window (or, for the background rates, the span) starts in.
	bd := max(1, int64(cfg.Baseline/(24*time.Hour)))
	refTo := dayOf(until.Add(-cfg.Span))
	ranges := [][2]int64{{refTo - bd, refTo}}
	for _, w := range cfg.Windows {
		to := dayOf(until.Add(-w))
		ranges = append(ranges, [2]int64{to - bd, to})
	}
	sums, err := d.baselineSums(tx, board, ranges, sortedKeys(candidates))
	if err != nil {
		return nil, nil, err
	}
	rate := func(t int64) float64 {
		return (float64(sums[t][0]) + 0.5) / (float64(sums[0][0]) + 1)
	}
	var bursts []burst
	for t := range candidates {
		if rate(t) > cfg.MaxBackground {
			continue // a stop word of this board
		}
		best := burst{term: t, p: 1}
		for wi, w := range cfg.Windows {
			n, nb, v := sums[t][wi+1], sums[0][wi+1], volume[wi]
			b := burst{term: t, window: wi, from: until.Add(-w), base: n, pi: float64(v) / float64(v+nb),
				expected: (float64(n) + 1) / (float64(nb) + 1) * float64(v)}
			if p, ok := b.holds(free, cfg); ok && p < best.p {
				b.p = p
				best = b
			}
		}
		if best.p <= cfg.Alpha {
			bursts = append(bursts, best)
		}
	}
	if len(bursts) == 0 {
		return nil, nil, nil
	}
	sort.Slice(bursts, func(i, j int) bool {
		if bursts[i].p != bursts[j].p {
			return bursts[i].p < bursts[j].p
		}
		return bursts[i].term < bursts[j].term
	})
	// The issue models need every term's background rate, not only the
	// candidates'.
	var rest []int64
	restSet := map[int64]bool{}
	for _, doc := range free {
		for _, t := range doc.Terms {
			if _, ok := sums[t]; !ok && !restSet[t] {
				restSet[t] = true
				rest = append(rest, t)
			}
		}
	}
	more, err := d.baselineSums(tx, board, ranges[:1], rest)
	if err != nil {
		return nil, nil, err
	}
	for t, s := range more {
		if t != 0 {
			sums[t] = s
		}
	}
	return d.grow(bursts, free, until, ranges[0], rate), rate, nil
}

// grow turns bursts into new issues, strongest first. A burst's questions
// give a first description (the terms they share, weighted by lift over
// the board's baseline); every unclaimed question matching it joins, and
// the description is refined once from them. Questions taken by one new
// issue are not offered to the next, so one burst makes one issue however
// many of its terms burst.
func (d *detector) grow(bursts []burst, free []*trendDoc, until time.Time, ref [2]int64, rate func(int64) float64) []*issueState {
	cfg := d.cfg
	var out []*issueState
	taken := map[int64]bool{}
	bursting := map[int64]bool{}
	for _, b := range bursts {
		bursting[b.term] = true
	}
	anchor := math.Log(cfg.AnchorLift)
	for i := range bursts {
		b := &bursts[i]
		var seeds []*trendDoc
		for _, doc := range free {
			if !taken[doc.QuestionID] && doc.CreatedAt.After(b.from) && hasTerm(doc.Terms, b.term) {
				seeds = append(seeds, doc)
			}
		}
		// Without the questions a stronger burst took, is it still one?
		if _, ok := b.holds(seeds, cfg); !ok {
			continue
		}
		members := seeds
		var sig *signature
		for round := 0; round < 2; round++ {
			m := d.modelOf(members, rate)
			sig = m.signature()
			if sig.weights[b.term] < anchor {
				members = nil
				break
			}
			sig.require = map[int64]bool{}
			for t, w := range sig.weights {
				if bursting[t] && w >= anchor {
					sig.require[t] = true
				}
			}
			var next []*trendDoc
			for _, doc := range free {
				if !taken[doc.QuestionID] {
					if _, ok := sig.match(doc.Terms, cfg); ok {
						next = append(next, doc)
					}
				}
			}
			members = next
		}
		if _, ok := b.holds(members, cfg); !ok {
			continue
		}
		is := &issueState{score: math.Min(300, -math.Log10(math.Max(b.p, 1e-300))), refFrom: ref[0], refTo: ref[1],
			model: d.modelOf(members, rate), seed: b.term, burst: b, sig: sig}
		for _, doc := range members {
			taken[doc.QuestionID] = true
		}
		out = append(out, is)
	}
	return out
}

// modelOf describes a set of questions by their terms and the terms'
// background rates.
func (d *detector) modelOf(docs []*trendDoc, rate func(int64) float64) issueModel {
	m := issueModel{docs: len(docs), terms: map[int64]termStat{}, cfg: d.cfg}
	for _, doc := range docs {
		for _, t := range doc.Terms {
			s, ok := m.terms[t]
			if !ok {
				s.background = rate(t)
			}
			s.docs++
			m.terms[t] = s
		}
	}
	return m
}

// baselineSums returns, for each term (and term 0, every question), the
// askers counted on the board in each range of days [from, to), less those
// whose questions are in issues.
func (d *detector) baselineSums(tx *gorm.DB, board int64, ranges [][2]int64, terms []int64) (map[int64][]int, error) {
	lo, hi := ranges[0][0], ranges[0][1]
	// Two writers may have claimed one asker twice; a count never goes
	// below zero. (SQLite's two-argument MAX is PostgreSQL's GREATEST.)
	greatest := "MAX"
	if DialectOf(tx) == Postgres {
		greatest = "GREATEST"
	}
	var cols string
	var args []any
	for i, r := range ranges {
		lo, hi = min(lo, r[0]), max(hi, r[1])
		cols += fmt.Sprintf(", SUM(CASE WHEN day >= ? AND day < ? THEN %s(askers - claimed, 0) ELSE 0 END) AS s%d", greatest, i)
		args = append(args, r[0], r[1])
	}
	out := map[int64][]int{0: make([]int, len(ranges))}
	for _, chunk := range chunks(append([]int64{0}, terms...), 900) {
		rows, err := tx.Raw(`SELECT term_id`+cols+` FROM trend_daily
			WHERE scope = ? AND board_id = ? AND term_id IN ? AND day >= ? AND day < ? GROUP BY term_id`,
			append(args, d.scope, board, chunk, lo, hi)...).Rows()
		if err != nil {
			return nil, fmt.Errorf("read baselines: %w", err)
		}
		vals := make([]any, len(ranges)+1)
		var term int64
		nums := make([]int64, len(ranges))
		vals[0] = &term
		for i := range nums {
			vals[i+1] = &nums[i]
		}
		for rows.Next() {
			if err := rows.Scan(vals...); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read baselines: %w", err)
			}
			s := make([]int, len(ranges))
			for i, n := range nums {
				s[i] = int(n)
			}
			out[term] = s
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read baselines: %w", err)
		}
	}
	for _, t := range terms {
		if _, ok := out[t]; !ok {
			out[t] = make([]int, len(ranges))
		}
	}
	return out, nil
}
