package models

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// maxDocTerms bounds the terms kept per question: a very long post says
// what it is about long before its 300th distinct word.
const maxDocTerms = 300

// detector carries one run's settings and its caches of the term
// dictionary. It lives for one RunTrends or one backtest, inside whose
// transactions the cached ids are valid.
type detector struct {
	db        *gorm.DB
	scope     int
	cfg       *TrendConfig
	termIDs   map[string]int64
	termNames map[int64]string
}

func newDetector(db *gorm.DB, scope int, cfg *TrendConfig) *detector {
	return &detector{db: db, scope: scope, cfg: cfg, termIDs: map[string]int64{}, termNames: map[int64]string{}}
}

// trendDoc is one processed question as the detector sees it.
type trendDoc struct {
	QuestionID int64
	BoardID    int64
	AuthorID   int64
	Hour       int64
	CreatedAt  time.Time
	Terms      []int64 // distinct, ascending
	issue      int64   // the issue it belongs to, 0 for none
}

type batchResult struct {
	questions, boards, newIssues, linked int
}

// hourOf returns t's hourly bucket: Unix hours.
func hourOf(t time.Time) int64 { return t.Unix() / 3600 }

// runBatch processes one batch of new questions up to until and commits
// the watermark with it (tx is the batch's transaction).
func (d *detector) runBatch(tx *gorm.DB, until time.Time) (batchResult, error) {
	var res batchResult
	lastAt, lastID, err := d.lockState(tx)
	if err != nil {
		return res, err
	}
	if lastAt == nil {
		// A first run needs a baseline, not all of history: start one
		// span and one baseline before now.
		start := until.Add(-d.cfg.Span - d.cfg.Baseline)
		lastAt, lastID = &start, 0
	}
	docs, err := d.readNewQuestions(tx, *lastAt, lastID, until)
	if err != nil || len(docs) == 0 {
		return res, err
	}
	if err := d.countDocs(tx, docs); err != nil {
		return res, err
	}
	boards := boardsOf(docs)
	for _, b := range boards {
		n, l, err := d.detectBoard(tx, b, until)
		if err != nil {
			return res, fmt.Errorf("detect on board %d: %w", b, err)
		}
		res.newIssues += n
		res.linked += l
	}
	if err := d.prune(tx, until); err != nil {
		return res, err
	}
	last := docs[len(docs)-1]
	if err := tx.Exec(`UPDATE trend_state SET last_created_at = ?, last_question_id = ?, updated_at = ? WHERE scope = ?`,
		last.CreatedAt, last.QuestionID, time.Now().UTC(), d.scope).Error; err != nil {
		return res, fmt.Errorf("advance trends watermark: %w", err)
	}
	res.questions, res.boards = len(docs), len(boards)
	return res, nil
}

// lockState reads the scope's watermark, holding its row lock on
// PostgreSQL so two runs take turns (SQLite serialises writers anyway).
func (d *detector) lockState(tx *gorm.DB) (*time.Time, int64, error) {
	q := `SELECT last_created_at, last_question_id FROM trend_state WHERE scope = ?`
	if DialectOf(tx) == Postgres {
		q += ` FOR UPDATE`
	}
	var rows []struct {
		LastCreatedAt  *time.Time
		LastQuestionID int64
	}
	if err := tx.Raw(q, d.scope).Scan(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("read trends watermark: %w", err)
	}
	if len(rows) == 0 {
		return nil, 0, errNoTrendState
	}
	return rows[0].LastCreatedAt, rows[0].LastQuestionID, nil
}

// readNewQuestions returns the next batch of live questions after the
// watermark (lastAt, lastID) and asked no later than until, in time order,
// tokenised: title, body and tags (as #tag, which reads the same in every
// language).
func (d *detector) readNewQuestions(tx *gorm.DB, lastAt time.Time, lastID int64, until time.Time) ([]*trendDoc, error) {
	var rows []struct {
		ID        int64
		BoardID   int64
		AuthorID  int64
		Title     string
		CreatedAt time.Time
		BodyMD    string
	}
	// The leading created_at >= bound lets the planner seek the (time, id)
	// index; the OR then only filters the first instant.
	err := tx.Raw(`SELECT q.id, q.board_id, q.author_id, q.title, q.created_at, p.body_md
		FROM questions q JOIN posts p ON p.question_id = q.id AND p.kind = ?
		WHERE q.deleted_at IS NULL AND q.private = FALSE AND q.held = FALSE AND q.created_at >= ? AND (q.created_at > ? OR q.id > ?) AND q.created_at <= ?
		ORDER BY q.created_at, q.id LIMIT ?`, KindQuestion, lastAt, lastAt, lastID, until, d.cfg.BatchSize).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read new questions: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	tags, err := tagsOfQuestions(tx, ids)
	if err != nil {
		return nil, err
	}
	texts := make([][]string, len(rows))
	var names []string
	for i, r := range rows {
		texts[i] = docTerms(r.Title, r.BodyMD, tags[r.ID])
		names = append(names, texts[i]...)
	}
	termIDs, err := d.resolveTerms(tx, names)
	if err != nil {
		return nil, err
	}
	docs := make([]*trendDoc, len(rows))
	for i, r := range rows {
		terms := make([]int64, 0, len(texts[i]))
		for _, n := range texts[i] {
			terms = append(terms, termIDs[n])
		}
		sort.Slice(terms, func(a, b int) bool { return terms[a] < terms[b] })
		ca := r.CreatedAt.UTC()
		docs[i] = &trendDoc{QuestionID: r.ID, BoardID: r.BoardID, AuthorID: r.AuthorID, Hour: hourOf(ca), CreatedAt: ca, Terms: terms}
	}
	return docs, nil
}

// docTerms returns the distinct terms of a question.
func docTerms(title, body string, tags []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if len(t) > 100 || seen[t] || len(out) >= maxDocTerms {
			return
		}
		seen[t] = true
		out = append(out, t)
	}
	for _, t := range tags {
		add("#" + t)
	}
	for _, t := range Tokenize(title + "\n" + body) {
		add(t)
	}
	return out
}

func tagsOfQuestions(tx *gorm.DB, ids []int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	for _, chunk := range chunks(ids, 900) {
		var rows []struct {
			QuestionID int64
			Name       string
		}
		if err := tx.Raw(`SELECT qt.question_id, t.name FROM question_tags qt JOIN tags t ON t.id = qt.tag_id
			WHERE qt.question_id IN ?`, chunk).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("read tags: %w", err)
		}
		for _, r := range rows {
			out[r.QuestionID] = append(out[r.QuestionID], r.Name)
		}
	}
	return out, nil
}

// resolveTerms returns the dictionary ids of names, adding the new ones.
func (d *detector) resolveTerms(tx *gorm.DB, names []string) (map[string]int64, error) {
	var missing []string
	seen := map[string]bool{}
	for _, n := range names {
		if _, ok := d.termIDs[n]; !ok && !seen[n] {
			seen[n] = true
			missing = append(missing, n)
		}
	}
	sort.Strings(missing) // a fixed order: concurrent inserts lock alike
	for _, chunk := range chunks(missing, 500) {
		var sql strings.Builder
		args := make([]any, 0, len(chunk))
		sql.WriteString(`INSERT INTO trend_terms (term) VALUES `)
		for i, n := range chunk {
			if i > 0 {
				sql.WriteString(",")
			}
			sql.WriteString("(?)")
			args = append(args, n)
		}
		sql.WriteString(` ON CONFLICT (term) DO NOTHING`)
		if err := tx.Exec(sql.String(), args...).Error; err != nil {
			return nil, fmt.Errorf("add terms: %w", err)
		}
		var rows []struct {
			ID   int64
			Term string
		}
		if err := tx.Raw(`SELECT id, term FROM trend_terms WHERE term IN ?`, chunk).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("read terms: %w", err)
		}
		for _, r := range rows {
			d.termIDs[r.Term] = r.ID
			d.termNames[r.ID] = r.Term
		}
	}
	for _, n := range missing {
		if _, ok := d.termIDs[n]; !ok {
			return nil, fmt.Errorf("term %q has no id after insert", n)
		}
	}
	return d.termIDs, nil
}

func (d *detector) insertDocs(tx *gorm.DB, docs []*trendDoc) error {
	for _, chunk := range chunks(docs, 500) {
		var sql strings.Builder
		args := make([]any, 0, 7*len(chunk))
		sql.WriteString(`INSERT INTO trend_docs (scope, question_id, board_id, author_id, hour, created_at, terms) VALUES `)
		for i, doc := range chunk {
			if i > 0 {
				sql.WriteString(",")
			}
			sql.WriteString("(?,?,?,?,?,?,?)")
			args = append(args, d.scope, doc.QuestionID, doc.BoardID, doc.AuthorID, doc.Hour, doc.CreatedAt, formatTermList(doc.Terms))
		}
		if err := tx.Exec(sql.String(), args...).Error; err != nil {
			return fmt.Errorf("store trend documents: %w", err)
		}
	}
	return nil
}

func formatTermList(ts []int64) string {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatInt(t, 10))
	}
	return b.String()
}

func parseTermList(s string) []int64 {
	fields := strings.Fields(s)
	out := make([]int64, 0, len(fields))
	for _, f := range fields {
		if n, err := strconv.ParseInt(f, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func boardsOf(docs []*trendDoc) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, d := range docs {
		if !seen[d.BoardID] {
			seen[d.BoardID] = true
			out = append(out, d.BoardID)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// chunks splits s into slices of at most n elements, for statements whose
// parameter count the databases limit.
func chunks[T any](s []T, n int) [][]T {
	var out [][]T
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}
