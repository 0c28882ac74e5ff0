package models

import (
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"
)

// issueState is an issue as one run of the detector works on it: an
// active one loaded from the database or a new one found in this run.
type issueState struct {
	id             int64 // 0 until a new issue is stored
	board          int64
	score          float64
	model          issueModel
	sig            *signature
	refFrom, refTo int64 // the days its background rates come from
	firstAt        time.Time
	lastAt         time.Time
	newDocs        []*trendDoc // questions it gains in this run
	seed           int64       // for a new issue: the term whose burst found it
	burst          *burst
}

// detectBoard brings one board's issues up to date at until. The recent
// questions that belong to no issue yet are tested for bursts first, so a
// new problem that happens to share a word with an older issue is not
// swallowed by it; a burst that only continues an active issue is no new
// issue. Every such question then joins the issue, old or new, that it
// matches best. It returns the issues opened and the questions linked.
func (d *detector) detectBoard(tx *gorm.DB, board int64, until time.Time) (int, int, error) {
	docs, err := d.loadWindow(tx, board, until)
	if err != nil {
		return 0, 0, err
	}
	var open []*trendDoc
	for _, doc := range docs {
		if doc.issue == 0 {
			open = append(open, doc)
		}
	}
	if len(open) == 0 {
		return 0, 0, nil
	}
	issues, err := d.loadActiveIssues(tx, board, until)
	if err != nil {
		return 0, 0, err
	}
	for _, is := range issues {
		is.sig = is.model.signature()
	}
	fresh, rate, err := d.findBursts(tx, board, until, open)
	if err != nil {
		return 0, 0, err
	}
	fresh = d.newOnly(fresh, issues)
	for {
		d.assign(open, issues, fresh)
		// A new issue whose own questions no longer make its burst is
		// no issue: they go back to the others.
		kept := fresh[:0]
		for _, is := range fresh {
			if _, ok := is.burst.holds(is.newDocs, d.cfg); ok {
				kept = append(kept, is)
			}
		}
		if len(kept) == len(fresh) {
			break
		}
		fresh = kept
	}
	linked := 0
	for _, is := range issues {
		if len(is.newDocs) > 0 {
			if err := d.growIssue(tx, is); err != nil {
				return 0, 0, err
			}
			linked += len(is.newDocs)
		}
	}
	for _, is := range fresh {
		is.model = d.modelOf(is.newDocs, rate)
		if err := d.createIssue(tx, board, is, until); err != nil {
			return 0, 0, err
		}
		linked += len(is.newDocs)
	}
	return len(fresh), linked, nil
}

// loadWindow returns the board's questions of the last span up to until,
// oldest first, each with the issue it already belongs to.
func (d *detector) loadWindow(tx *gorm.DB, board int64, until time.Time) ([]*trendDoc, error) {
	var rows []struct {
		QuestionID int64
		AuthorID   int64
		Hour       int64
		CreatedAt  time.Time
		Terms      string
		IssueID    int64
	}
	err := tx.Raw(`SELECT t.question_id, t.author_id, t.hour, t.created_at, t.terms, COALESCE(l.issue_id, 0) AS issue_id
		FROM trend_docs t LEFT JOIN emerging_issue_questions l ON l.scope = t.scope AND l.question_id = t.question_id
		WHERE t.scope = ? AND t.board_id = ? AND t.created_at > ? AND t.created_at <= ?
		ORDER BY t.created_at, t.question_id`, d.scope, board, until.Add(-d.cfg.Span), until).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read recent questions: %w", err)
	}
	docs := make([]*trendDoc, len(rows))
	for i, r := range rows {
		docs[i] = &trendDoc{QuestionID: r.QuestionID, BoardID: board, AuthorID: r.AuthorID, Hour: r.Hour,
			CreatedAt: r.CreatedAt.UTC(), Terms: parseTermList(r.Terms), issue: r.IssueID}
	}
	return docs, nil
}

// loadActiveIssues returns the board's issues that still claim questions:
// those with a question within the quiet period, whatever their status.
func (d *detector) loadActiveIssues(tx *gorm.DB, board int64, until time.Time) ([]*issueState, error) {
	var rows []struct {
		ID              int64
		Status          string
		Score           float64
		QuestionCount   int
		FirstQuestionAt time.Time
		LastQuestionAt  time.Time
		BaselineFrom    int64
		BaselineTo      int64
	}
	if err := tx.Raw(`SELECT id, status, score, question_count, first_question_at, last_question_at, baseline_from, baseline_to
		FROM emerging_issues WHERE scope = ? AND board_id = ? AND last_question_at >= ? ORDER BY id`,
		d.scope, board, until.Add(-d.cfg.Quiet)).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read active issues: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	byID := map[int64]*issueState{}
	ids := make([]int64, len(rows))
	out := make([]*issueState, len(rows))
	for i, r := range rows {
		is := &issueState{id: r.ID, board: board, score: r.Score, refFrom: r.BaselineFrom, refTo: r.BaselineTo,
			firstAt: r.FirstQuestionAt.UTC(), lastAt: r.LastQuestionAt.UTC(),
			model: issueModel{docs: r.QuestionCount, terms: map[int64]termStat{}, cfg: d.cfg}}
		byID[r.ID], ids[i], out[i] = is, r.ID, is
	}
	var terms []struct {
		IssueID    int64
		TermID     int64
		Docs       int
		Background float64
	}
	if err := tx.Raw(`SELECT issue_id, term_id, docs, background FROM emerging_issue_terms WHERE issue_id IN ?`, ids).
		Scan(&terms).Error; err != nil {
		return nil, fmt.Errorf("read issue terms: %w", err)
	}
	for _, t := range terms {
		byID[t.IssueID].model.terms[t.TermID] = termStat{docs: t.Docs, background: t.Background}
	}
	return out, nil
}

// assign gives each open question to the issue it matches best, if any.
// An active issue with a core keeps the questions it matches: a candidate
// made of one language's share of its questions fits them more closely,
// yet is the same issue. Otherwise the best score wins.
func (d *detector) assign(open []*trendDoc, active, fresh []*issueState) {
	all := append(append([]*issueState(nil), active...), fresh...)
	for _, is := range all {
		is.newDocs = is.newDocs[:0]
	}
	for _, doc := range open {
		best := d.bestMatch(doc, active, true)
		if best == nil {
			best = d.bestMatch(doc, all, false)
		}
		if best != nil {
			best.newDocs = append(best.newDocs, doc)
		}
	}
}

// bestMatch returns the issue whose signature doc matches with the highest
// score, among those with a core only when coreOnly is set.
func (d *detector) bestMatch(doc *trendDoc, issues []*issueState, coreOnly bool) *issueState {
	var best *issueState
	bestScore := 0.0
	for _, is := range issues {
		if coreOnly && len(is.sig.core) == 0 {
			continue
		}
		if s, ok := is.sig.match(doc.Terms, d.cfg); ok && s > bestScore {
			best, bestScore = is, s
		}
	}
	return best
}

// newOnly drops the bursts that continue an active issue: those whose
// bursting term is in the issue's core. (Its questions in a second language
// share that core, a product name or an error code, which bursts first and
// takes them along.) A new problem sharing only a side word with an older
// issue stays new, and its questions go to whichever matches them better.
func (d *detector) newOnly(fresh, issues []*issueState) []*issueState {
	var out []*issueState
next:
	for _, f := range fresh {
		for _, is := range issues {
			if is.sig.core[f.seed] {
				continue next
			}
		}
		out = append(out, f)
	}
	return out
}

func hasTerm(terms []int64, t int64) bool {
	i := sort.Search(len(terms), func(i int) bool { return terms[i] >= t })
	return i < len(terms) && terms[i] == t
}

func distinctAuthors(docs []*trendDoc) int {
	seen := map[int64]bool{}
	for _, d := range docs {
		seen[d.AuthorID] = true
	}
	return len(seen)
}

func sortedKeys(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
