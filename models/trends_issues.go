package models

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// EmergingIssue is a burst of questions about one problem, as product
// teams see and handle it.
type EmergingIssue struct {
	ID              int64
	Scope           int
	BoardID         int64
	Status          string
	Title           string // its strongest terms, until someone names it
	Score           float64
	QuestionCount   int
	AskerCount      int
	FirstQuestionAt time.Time
	LastQuestionAt  time.Time
	DetectedAt      time.Time
	BaselineFrom    int64
	BaselineTo      int64
	Notes           string
	ExternalURL     string
	StatusChangedBy *int64
	StatusChangedAt *time.Time
	// FixMessage is the product team's message of the latest move to
	// fixed (round FixRound), posted in FixPosted of the questions so far.
	FixMessage string
	FixRound   int
	FixPosted  int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// issueTitleTerms is how many terms make an issue's provisional title, and
// issueShownTerms how many HeldIssues lists.
const (
	issueTitleTerms = 4
	issueShownTerms = 8
)

// createIssue stores a new issue with its questions and terms.
func (d *detector) createIssue(tx *gorm.DB, board int64, is *issueState, until time.Time) error {
	first, last := docSpan(is.newDocs)
	title, err := d.issueTitle(tx, &is.model)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	row := EmergingIssue{Scope: d.scope, BoardID: board, Status: IssueNew, Title: title, Score: is.score,
		QuestionCount: len(is.newDocs), AskerCount: distinctAuthors(is.newDocs), FirstQuestionAt: first, LastQuestionAt: last,
		DetectedAt: until, BaselineFrom: is.refFrom, BaselineTo: is.refTo, CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("create emerging issue: %w", err)
	}
	is.id = row.ID
	if d.scope == ScopeLive {
		// Subscribers hear about it; a replay's rows (and this outbox
		// row with them) are rolled back.
		if err := Enqueue(tx, TaskIssueAlert, IssueEvent{IssueID: row.ID}); err != nil {
			return err
		}
	}
	if err := d.linkDocs(tx, row.ID, board, is.newDocs); err != nil {
		return err
	}
	return d.addIssueTerms(tx, row.ID, is.model.terms)
}

// growIssue adds the questions an active issue claimed in this run: their
// links, their terms (a term new to the issue gets its background rate
// from the issue's own baseline, before the burst), and the counts.
func (d *detector) growIssue(tx *gorm.DB, is *issueState) error {
	delta := map[int64]termStat{}
	var unknown []int64
	for _, doc := range is.newDocs {
		for _, t := range doc.Terms {
			s, seen := delta[t]
			if !seen {
				if old, ok := is.model.terms[t]; ok {
					s.background = old.background
				} else {
					unknown = append(unknown, t)
				}
			}
			s.docs++
			delta[t] = s
		}
	}
	if len(unknown) > 0 {
		sort.Slice(unknown, func(i, j int) bool { return unknown[i] < unknown[j] })
		sums, err := d.baselineSums(tx, is.board, [][2]int64{{is.refFrom, is.refTo}}, unknown)
		if err != nil {
			return err
		}
		total := float64(sums[0][0])
		for _, t := range unknown {
			s := delta[t]
			s.background = (float64(sums[t][0]) + 0.5) / (total + 1)
			delta[t] = s
		}
	}
	if err := d.linkDocs(tx, is.id, is.board, is.newDocs); err != nil {
		return err
	}
	if err := d.addIssueTerms(tx, is.id, delta); err != nil {
		return err
	}
	for t, s := range delta {
		old := is.model.terms[t]
		old.docs += s.docs
		if old.background == 0 {
			old.background = s.background
		}
		is.model.terms[t] = old
	}
	is.model.docs += len(is.newDocs)
	first, last := docSpan(is.newDocs)
	if first.Before(is.firstAt) {
		is.firstAt = first
	}
	if last.After(is.lastAt) {
		is.lastAt = last
	}
	title, err := d.issueTitle(tx, &is.model)
	if err != nil {
		return err
	}
	if err := tx.Exec(`UPDATE emerging_issues SET question_count = question_count + ?,
		asker_count = (SELECT COUNT(DISTINCT author_id) FROM emerging_issue_questions WHERE issue_id = ?),
		first_question_at = ?, last_question_at = ?, title = ?, updated_at = ? WHERE id = ?`,
		len(is.newDocs), is.id, is.firstAt, is.lastAt, title, time.Now().UTC(), is.id).Error; err != nil {
		return fmt.Errorf("update emerging issue %d: %w", is.id, err)
	}
	return nil
}

// linkDocs links questions to an issue and counts their askers as claimed
// in the hourly counts, which baselines then leave out.
func (d *detector) linkDocs(tx *gorm.DB, issue, board int64, docs []*trendDoc) error {
	now := time.Now().UTC()
	for _, doc := range docs {
		doc.issue = issue
	}
	for _, chunk := range chunks(docs, 500) {
		var sql strings.Builder
		args := make([]any, 0, 6*len(chunk))
		sql.WriteString(`INSERT INTO emerging_issue_questions (issue_id, question_id, scope, author_id, created_at, linked_at) VALUES `)
		for i, doc := range chunk {
			if i > 0 {
				sql.WriteString(",")
			}
			sql.WriteString("(?,?,?,?,?,?)")
			args = append(args, issue, doc.QuestionID, d.scope, doc.AuthorID, doc.CreatedAt, now)
		}
		if err := tx.Exec(sql.String(), args...).Error; err != nil {
			return fmt.Errorf("link questions to issue %d: %w", issue, err)
		}
	}
	return d.countClaimed(tx, board, docs)
}

// countClaimed adds linked questions' askers to the claimed counts, once
// per asker, term and bucket.
func (d *detector) countClaimed(tx *gorm.DB, board int64, docs []*trendDoc) error {
	for _, table := range countTables {
		seen := map[askerKey]bool{}
		claimed := map[countKey]int{}
		for _, doc := range docs {
			for _, t := range append([]int64{0}, doc.Terms...) {
				k := countKey{board, t, table.bucket(doc.Hour)}
				if ak := (askerKey{k, doc.AuthorID}); !seen[ak] {
					seen[ak] = true
					claimed[k]++
				}
			}
		}
		if err := d.addCounts(tx, table, claimed, func(k countKey) []any { return []any{0, 0, claimed[k]} },
			"claimed = %[1]s.claimed + excluded.claimed"); err != nil {
			return fmt.Errorf("count claimed askers: %w", err)
		}
	}
	return nil
}

// addIssueTerms adds term counts to an issue; a term it already has keeps
// its background rate.
func (d *detector) addIssueTerms(tx *gorm.DB, issue int64, terms map[int64]termStat) error {
	ids := make([]int64, 0, len(terms))
	for t := range terms {
		ids = append(ids, t)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, chunk := range chunks(ids, 1000) {
		var sql strings.Builder
		args := make([]any, 0, 4*len(chunk))
		sql.WriteString(`INSERT INTO emerging_issue_terms (issue_id, term_id, docs, background) VALUES `)
		for i, t := range chunk {
			if i > 0 {
				sql.WriteString(",")
			}
			sql.WriteString("(?,?,?,?)")
			args = append(args, issue, t, terms[t].docs, terms[t].background)
		}
		sql.WriteString(` ON CONFLICT (issue_id, term_id) DO UPDATE SET docs = emerging_issue_terms.docs + excluded.docs`)
		if err := tx.Exec(sql.String(), args...).Error; err != nil {
			return fmt.Errorf("add terms of issue %d: %w", issue, err)
		}
	}
	return nil
}

// topTerms returns the ids of a model's strongest terms: those that are
// both common in the issue and rare elsewhere.
func topTerms(m *issueModel, n int) []int64 {
	type tw struct {
		t int64
		w float64
	}
	var ts []tw
	for t, w := range m.signature().weights {
		p := float64(m.terms[t].docs) / math.Max(1, float64(m.docs))
		ts = append(ts, tw{t, w * p})
	}
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].w != ts[j].w {
			return ts[i].w > ts[j].w
		}
		return ts[i].t < ts[j].t
	})
	out := make([]int64, 0, n)
	for i := 0; i < len(ts) && i < n; i++ {
		out = append(out, ts[i].t)
	}
	return out
}

func (d *detector) issueTitle(tx *gorm.DB, m *issueModel) (string, error) {
	names, err := d.names(tx, topTerms(m, issueTitleTerms))
	if err != nil {
		return "", err
	}
	title := strings.Join(names, " ")
	if r := []rune(title); len(r) > 200 {
		title = string(r[:200])
	}
	return title, nil
}

// names returns the terms behind ids, in order.
func (d *detector) names(tx *gorm.DB, ids []int64) ([]string, error) {
	var missing []int64
	for _, id := range ids {
		if _, ok := d.termNames[id]; !ok {
			missing = append(missing, id)
		}
	}
	for _, chunk := range chunks(missing, 900) {
		var rows []struct {
			ID   int64
			Term string
		}
		if err := tx.Raw(`SELECT id, term FROM trend_terms WHERE id IN ?`, chunk).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("read terms: %w", err)
		}
		for _, r := range rows {
			d.termNames[r.ID] = r.Term
			d.termIDs[r.Term] = r.ID
		}
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, d.termNames[id])
	}
	return out, nil
}

func docSpan(docs []*trendDoc) (time.Time, time.Time) {
	first, last := docs[0].CreatedAt, docs[0].CreatedAt
	for _, d := range docs[1:] {
		if d.CreatedAt.Before(first) {
			first = d.CreatedAt
		}
		if d.CreatedAt.After(last) {
			last = d.CreatedAt
		}
	}
	return first, last
}

// HeldIssues returns the issues of scope held at time at: detected by then,
// neither fixed nor dismissed, with a question within the hold period. Each
// lists only the questions asked by then.
func HeldIssues(ctx context.Context, db *gorm.DB, scope int, at time.Time, cfg TrendConfig) ([]HeldIssue, error) {
	cfg.defaults()
	db = db.WithContext(ctx)
	var rows []EmergingIssue
	if err := db.Where("scope = ? AND last_question_at > ? AND detected_at <= ? AND status NOT IN ?",
		scope, at.Add(-cfg.Hold), at, []string{IssueFixed, IssueDismissed}).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read held issues: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	out := make([]HeldIssue, len(rows))
	idx := map[int64]int{}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = HeldIssue{ID: r.ID, BoardID: r.BoardID, Status: r.Status, Title: r.Title, Score: r.Score,
			Questions: r.QuestionCount, Askers: r.AskerCount, FirstAt: r.FirstQuestionAt.UTC(), LastAt: r.LastQuestionAt.UTC(),
			DetectedAt: r.DetectedAt.UTC()}
		idx[r.ID], ids[i] = i, r.ID
	}
	var topics []struct {
		IssueID    int64
		QuestionID int64
		ExternalID *string
	}
	if err := db.Raw(`SELECT l.issue_id, l.question_id, q.external_id FROM emerging_issue_questions l
		JOIN questions q ON q.id = l.question_id
		WHERE l.issue_id IN ? AND l.created_at <= ? AND q.deleted_at IS NULL
		ORDER BY l.issue_id, l.created_at, l.question_id`, ids, at).Scan(&topics).Error; err != nil {
		return nil, fmt.Errorf("read issue questions: %w", err)
	}
	for _, t := range topics {
		id := strconv.FormatInt(t.QuestionID, 10)
		if t.ExternalID != nil {
			id = *t.ExternalID
		}
		h := &out[idx[t.IssueID]]
		h.Topics = append(h.Topics, id)
	}
	if err := heldTerms(db, out, idx, ids, &cfg); err != nil {
		return nil, err
	}
	return out, nil
}

// heldTerms fills in the strongest terms of each held issue.
func heldTerms(db *gorm.DB, out []HeldIssue, idx map[int64]int, ids []int64, cfg *TrendConfig) error {
	var terms []struct {
		IssueID    int64
		TermID     int64
		Term       string
		Docs       int
		Background float64
	}
	if err := db.Raw(`SELECT it.issue_id, it.term_id, t.term, it.docs, it.background FROM emerging_issue_terms it
		JOIN trend_terms t ON t.id = it.term_id WHERE it.issue_id IN ?`, ids).Scan(&terms).Error; err != nil {
		return fmt.Errorf("read issue terms: %w", err)
	}
	models := map[int64]*issueModel{}
	names := map[int64]string{}
	for _, t := range terms {
		m := models[t.IssueID]
		if m == nil {
			m = &issueModel{docs: out[idx[t.IssueID]].Questions, terms: map[int64]termStat{}, cfg: cfg}
			models[t.IssueID] = m
		}
		m.terms[t.TermID] = termStat{docs: t.Docs, background: t.Background}
		names[t.TermID] = t.Term
	}
	for id, m := range models {
		for _, t := range topTerms(m, issueShownTerms) {
			out[idx[id]].Terms = append(out[idx[id]].Terms, names[t])
		}
	}
	return nil
}
