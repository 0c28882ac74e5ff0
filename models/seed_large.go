package models

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// LargeSeedOptions sizes a bulk seed. Zero fields take the defaults.
type LargeSeedOptions struct {
	Questions  int           // default 100,000
	Users      int           // default Questions/40, at least 60
	MaxAnswers int           // ordinary questions get 0..MaxAnswers answers; default 4
	FiftyEvery int           // every FiftyEvery-th question gets exactly 50 answers; default 1,000
	Span       time.Duration // questions are spread over this much past; default one year
	Now        time.Time     // the end of the span; default time.Now()
	Seed       uint64        // random seed; the same seed gives the same forum
	Progress   func(done, total int)
}

func (o *LargeSeedOptions) defaults() {
	if o.Questions <= 0 {
		o.Questions = 100_000
	}
	if o.Users <= 0 {
		o.Users = max(60, o.Questions/40)
	}
	o.Users = max(o.Users, 60) // a 50-answer thread needs 50 distinct authors besides its asker
	if o.MaxAnswers <= 0 {
		o.MaxAnswers = 4
	}
	if o.FiftyEvery <= 0 {
		o.FiftyEvery = 1000
	}
	if o.Span <= 0 {
		o.Span = 365 * day
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC().Truncate(time.Microsecond)
	if o.Seed == 0 {
		o.Seed = 1
	}
}

// Bulk sizes: questions per transaction and rows per multi-row INSERT. A
// post row has 13 parameters, so 1,000 rows stay far below PostgreSQL's
// 65,535 and SQLite's 32,766 parameter limits.
const (
	largeChunk = 5000
	largeBatch = 1000
)

// largeBoards are the boards a large seed spreads its questions over: the
// public demo boards plus a few more products.
var largeBoards = append(demoBoards[:4:4],
	demoBoard{"desktops", "Desktops", "Towers, all-in-ones and mini PCs.", VisibilityPublic},
	demoBoard{"monitors", "Monitors & displays", "Monitors, colour, resolution and cables.", VisibilityPublic},
	demoBoard{"scanners", "Scanners", "Document and photo scanners.", VisibilityPublic},
	demoBoard{"docks", "Docks & accessories", "Docks, keyboards, mice and headsets.", VisibilityPublic},
)

// SeedLarge writes a large forum for benchmarks straight into the tables
// with multi-row INSERTs, one transaction per chunk of questions: users and
// roles, boards, tags, questions with 0..k answers (some with exactly 50),
// their search entries, and correct cached counts. It bypasses the outbox:
// bulk history is not news for the background jobs. Markdown is rendered
// once per template, as a write would render it once per post.
func SeedLarge(ctx context.Context, db *gorm.DB, opt LargeSeedOptions) error {
	opt.defaults()
	db = db.WithContext(ctx)
	g, err := newLargeGen(opt, DialectOf(db))
	if err != nil {
		return err
	}
	if g.boards, err = ensureLargeBoards(db); err != nil {
		return err
	}
	if g.users, err = insertLargeUsers(db, g); err != nil {
		return err
	}
	if g.tags, err = ensureTags(db, largeTagNames()); err != nil {
		return err
	}
	for start := 0; start < opt.Questions; start += largeChunk {
		n := min(largeChunk, opt.Questions-start)
		c := g.chunk(start, n)
		if err := db.Transaction(func(tx *gorm.DB) error { return g.insert(tx, c) }); err != nil {
			return fmt.Errorf("seed questions %d..%d: %w", start, start+n, err)
		}
		if opt.Progress != nil {
			opt.Progress(start+n, opt.Questions)
		}
	}
	return finishLarge(db)
}

// finishLarge refreshes the planner statistics, so the first queries
// after a seed are planned on the real table sizes.
func finishLarge(db *gorm.DB) error {
	if err := db.Exec(`ANALYZE`).Error; err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// addQuestionCounts adds deltas (id → questions added) to the
// question_count of table's rows in one statement. A chunk adds its own
// counts in its own transaction, so the counts hold even when a seed is
// interrupted. Recounting per tag instead took seconds on a large forum.
func addQuestionCounts(tx *gorm.DB, table string, deltas map[int64]int) error {
	if len(deltas) == 0 {
		return nil
	}
	// The numbers are ours, not user input, so they are written inline:
	// bound parameters in a CASE would be typed text by PostgreSQL.
	var sql strings.Builder
	ids := make([]int64, 0, len(deltas))
	sql.WriteString("UPDATE " + table + " SET question_count = question_count + CASE id")
	for id, n := range deltas {
		fmt.Fprintf(&sql, " WHEN %d THEN %d", id, n)
		ids = append(ids, id)
	}
	sql.WriteString(" ELSE 0 END WHERE id IN ?")
	if err := tx.Exec(sql.String(), ids).Error; err != nil {
		return fmt.Errorf("count questions of %s: %w", table, err)
	}
	return nil
}

// ensureLargeBoards creates the large-seed boards that are missing and
// returns them all.
func ensureLargeBoards(db *gorm.DB) ([]Board, error) {
	now := time.Now().UTC()
	slugs := make([]string, len(largeBoards))
	rows := make([]Board, len(largeBoards))
	for i, b := range largeBoards {
		slugs[i] = b.slug
		rows[i] = Board{Slug: b.slug, Name: b.name, Description: b.description, Visibility: b.visibility,
			Position: (i + 1) * 10, CreatedAt: now, UpdatedAt: now}
	}
	if err := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "slug"}}, DoNothing: true}).
		Create(&rows).Error; err != nil {
		return nil, fmt.Errorf("create boards: %w", err)
	}
	var out []Board
	if err := db.Where("slug IN ?", slugs).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("load boards: %w", err)
	}
	return out, nil
}

// ensureTags creates the named tags that are missing and returns them all.
func ensureTags(db *gorm.DB, names []string) ([]Tag, error) {
	rows := make([]Tag, len(names))
	for i, n := range names {
		rows[i] = Tag{Name: n}
	}
	if err := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}}, DoNothing: true}).
		CreateInBatches(&rows, largeBatch).Error; err != nil {
		return nil, fmt.Errorf("create tags: %w", err)
	}
	var out []Tag
	if err := db.Where("name IN ?", names).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("load tags: %w", err)
	}
	return out, nil
}

// insertLargeUsers adds opt.Users members, a few of them experts,
// employees or moderators. Handles carry a number past the highest user id,
// so a second large seed adds new people instead of colliding.
func insertLargeUsers(db *gorm.DB, g *largeGen) ([]User, error) {
	var base int64
	if err := db.Model(&User{}).Select("COALESCE(MAX(id), 0)").Scan(&base).Error; err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	users := make([]User, g.opt.Users)
	for i := range users {
		first := firstNames[g.rng.IntN(len(firstNames))]
		last := lastNames[g.rng.IntN(len(lastNames))]
		at := g.opt.Now.Add(-g.opt.Span - time.Duration(g.rng.Int64N(int64(g.opt.Span))))
		users[i] = User{
			Handle:      fmt.Sprintf("%s-%c%d", strings.ToLower(first), strings.ToLower(last)[0], base+int64(i)+1),
			DisplayName: first + " " + last, CreatedAt: at, UpdatedAt: at,
		}
	}
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.CreateInBatches(&users, largeBatch).Error; err != nil {
			return fmt.Errorf("create users: %w", err)
		}
		var roles []UserRole
		for i, u := range users {
			if r := largeRole(i); r != "" {
				roles = append(roles, UserRole{UserID: u.ID, Role: r, CreatedAt: u.CreatedAt})
			}
		}
		if len(roles) == 0 {
			return nil
		}
		return tx.CreateInBatches(&roles, largeBatch).Error
	})
	return users, err
}

// largeRole gives about 2% of users the expert role, 1% employee and a few
// moderators, so pages show badges as a real forum does.
func largeRole(i int) Role {
	switch {
	case i%500 == 7:
		return RoleModerator
	case i%100 == 3:
		return RoleEmployee
	case i%50 == 1:
		return RoleExpert
	}
	return ""
}

// largeGen holds what every chunk draws from: rendered templates, boards,
// users, tags and the random source.
type largeGen struct {
	opt     LargeSeedOptions
	dialect Dialect
	rng     *rand.Rand
	boards  []Board
	users   []User
	tags    []Tag
	qBodies []renderedTemplate
	aBodies []renderedTemplate
}

// renderedTemplate is a body rendered and tokenised once; search is its
// search entry in the dialect's form (see searchEntry).
type renderedTemplate struct {
	md, html string
	lexemes  []string
	search   string
}

func newLargeGen(opt LargeSeedOptions, d Dialect) (*largeGen, error) {
	g := &largeGen{opt: opt, dialect: d, rng: rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15))}
	var err error
	if g.qBodies, err = renderTemplates(largeQuestionBodies, d); err != nil {
		return nil, err
	}
	if g.aBodies, err = renderTemplates(largeAnswerBodies, d); err != nil {
		return nil, err
	}
	return g, nil
}

func renderTemplates(srcs []string, d Dialect) ([]renderedTemplate, error) {
	out := make([]renderedTemplate, len(srcs))
	for i, s := range srcs {
		md := demoMarkdown.Replace(strings.TrimSpace(s))
		html, err := RenderMarkdown(md)
		if err != nil {
			return nil, err
		}
		lex := searchLexemes(md)
		out[i] = renderedTemplate{md: md, html: html, lexemes: lex, search: searchEntry(d, lex)}
	}
	return out, nil
}

// largeChunkRows is one transaction's worth of rows. Post ids are
// allocated when the chunk is inserted, so posts first point at their
// index in the chunk.
type largeChunkRows struct {
	questions []Question
	posts     []largePost
	links     []QuestionTag // QuestionID holds the question's index until insert
	accepted  map[int]int   // question index → index of its accepted answer in posts
}

// largePost is a post plus the question index it belongs to and its
// search entry.
type largePost struct {
	q      int
	post   Post
	search string
}

// searchEntry encodes lexemes once for the dialect's search index: a
// text[] literal for PostgreSQL's array_to_tsvector, space-separated tokens
// for SQLite's FTS5 table (what indexPost writes).
func searchEntry(d Dialect, lex []string) string {
	if d == Postgres {
		if len(lex) == 0 {
			return ""
		}
		v, _ := pgTextArray(lex).Value()
		return v.(string)
	}
	return strings.Join(lex, " ")
}

// chunk draws n questions starting at global index start.
func (g *largeGen) chunk(start, n int) *largeChunkRows {
	c := &largeChunkRows{accepted: map[int]int{}}
	step := g.opt.Span / time.Duration(g.opt.Questions)
	from := g.opt.Now.Add(-g.opt.Span)
	for i := 0; i < n; i++ {
		gi := start + i
		asked := from.Add(step*time.Duration(gi) + time.Duration(g.rng.Int64N(int64(step)+1)))
		g.drawQuestion(c, gi, asked)
	}
	return c
}

// drawQuestion adds one question, its body post, answers and tags to c.
func (g *largeGen) drawQuestion(c *largeChunkRows, gi int, asked time.Time) {
	qi := len(c.questions)
	board := g.boards[g.rng.IntN(len(g.boards))]
	asker := g.users[g.rng.IntN(len(g.users))]
	title := g.title(board.Slug)
	body := g.qBodies[g.rng.IntN(len(g.qBodies))]
	search := searchEntry(g.dialect, mergeLexemes(searchLexemes(title), body.lexemes))
	c.posts = append(c.posts, largePost{q: qi, search: search, post: Post{
		AuthorID: asker.ID, Kind: KindQuestion, BodyMD: body.md, BodyHTML: body.html, CreatedAt: asked, UpdatedAt: asked}})
	last := asked
	authors := g.answerAuthors(gi, asker.ID)
	t := asked
	firstAnswer := len(c.posts)
	for _, author := range authors {
		t = t.Add(2*time.Minute + time.Duration(g.rng.ExpFloat64()*float64(4*time.Hour)))
		if !t.Before(g.opt.Now) {
			t = g.opt.Now.Add(-time.Second)
		}
		a := g.aBodies[g.rng.IntN(len(g.aBodies))]
		c.posts = append(c.posts, largePost{q: qi, search: a.search, post: Post{
			AuthorID: author, Kind: KindAnswer, BodyMD: a.md, BodyHTML: a.html, CreatedAt: t, UpdatedAt: t}})
		last = t
	}
	if len(authors) > 0 && g.rng.IntN(100) < 45 {
		// The first answer solves it more often than a later one.
		c.accepted[qi] = firstAnswer + min(g.rng.IntN(3), len(authors)-1)
	}
	c.questions = append(c.questions, Question{BoardID: board.ID, AuthorID: asker.ID, Title: title,
		AnswerCount: len(authors), CreatedAt: asked, UpdatedAt: asked, LastActivityAt: last})
	for _, tag := range g.drawTags() {
		c.links = append(c.links, QuestionTag{QuestionID: int64(qi), TagID: tag, CreatedAt: asked})
	}
}

// answerAuthors returns the authors of question gi's answers: 50 distinct
// ones for every FiftyEvery-th question, otherwise 0..MaxAnswers, with a
// quarter of the questions left unanswered.
func (g *largeGen) answerAuthors(gi int, asker int64) []int64 {
	n := 0
	if gi%g.opt.FiftyEvery == g.opt.FiftyEvery/2 {
		n = 50
	} else if g.rng.IntN(4) > 0 {
		n = 1 + g.rng.IntN(g.opt.MaxAnswers)
	}
	out := make([]int64, 0, n)
	first := g.rng.IntN(len(g.users))
	for k := 0; len(out) < n; k++ {
		u := g.users[(first+k)%len(g.users)]
		if u.ID != asker {
			out = append(out, u.ID)
		}
	}
	return out
}

// drawTags picks 0..3 distinct tags, skewed so a few tags are popular.
func (g *largeGen) drawTags() []int64 {
	n := g.rng.IntN(4)
	seen := map[int64]bool{}
	var out []int64
	for len(out) < n {
		t := g.tags[g.rng.IntN(g.rng.IntN(len(g.tags))+1)].ID
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func (g *largeGen) title(board string) string {
	p := products[board]
	if len(p) == 0 {
		p = products["laptops"]
	}
	tpl := largeTitles[g.rng.IntN(len(largeTitles))]
	return strings.NewReplacer(
		"{product}", p[g.rng.IntN(len(p))],
		"{code}", fmt.Sprintf("%c-%d", "EFPW"[g.rng.IntN(4)], 100+g.rng.IntN(900)),
		"{version}", fmt.Sprintf("%d.%d.%d", 1+g.rng.IntN(6), g.rng.IntN(10), g.rng.IntN(20)),
		"{os}", oses[g.rng.IntN(len(oses))],
	).Replace(tpl)
}

// mergeLexemes appends to a the lexemes of b it lacks: the same list
// searchLexemes(title, body) returns, without tokenising the body again.
func mergeLexemes(a, b []string) []string {
	seen := make(map[string]bool, len(a))
	for _, l := range a {
		seen[l] = true
	}
	out := append(make([]string, 0, len(a)+len(b)), a...)
	for _, l := range b {
		if !seen[l] {
			out = append(out, l)
		}
	}
	return out
}

// insert writes chunk c: ids first, so every row can point at the others
// without a round trip per row.
func (g *largeGen) insert(tx *gorm.DB, c *largeChunkRows) error {
	qIDs, err := allocIDs(tx, "questions", len(c.questions))
	if err != nil {
		return err
	}
	pIDs, err := allocIDs(tx, "posts", len(c.posts))
	if err != nil {
		return err
	}
	for i := range c.posts {
		c.posts[i].post.ID = pIDs[i]
		c.posts[i].post.QuestionID = qIDs[c.posts[i].q]
	}
	for i := range c.questions {
		c.questions[i].ID = qIDs[i]
		if a, ok := c.accepted[i]; ok {
			c.questions[i].AcceptedAnswerID = &pIDs[a]
		}
	}
	for i := range c.links {
		c.links[i].QuestionID = qIDs[c.links[i].QuestionID]
	}
	if err := tx.CreateInBatches(&c.questions, largeBatch).Error; err != nil {
		return fmt.Errorf("insert questions: %w", err)
	}
	if err := g.insertPosts(tx, c.posts); err != nil {
		return err
	}
	if err := tx.CreateInBatches(&c.links, largeBatch).Error; err != nil {
		return fmt.Errorf("insert question tags: %w", err)
	}
	boards, tags := map[int64]int{}, map[int64]int{}
	for _, q := range c.questions {
		boards[q.BoardID]++
	}
	for _, l := range c.links {
		tags[l.TagID]++
	}
	if err := addQuestionCounts(tx, "boards", boards); err != nil {
		return err
	}
	return addQuestionCounts(tx, "tags", tags)
}

// allocIDs reserves n ids of table. PostgreSQL hands them out from the
// table's sequence, so concurrent writers never collide; SQLite has one
// writer, and the open transaction holds its lock.
func allocIDs(tx *gorm.DB, table string, n int) ([]int64, error) {
	ids := make([]int64, 0, n)
	if n == 0 {
		return ids, nil
	}
	if DialectOf(tx) == Postgres {
		err := tx.Raw(`SELECT nextval(pg_get_serial_sequence(?, 'id')) FROM generate_series(1, ?)`, table, n).
			Scan(&ids).Error
		if err != nil {
			return nil, fmt.Errorf("reserve %s ids: %w", table, err)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		return ids, nil
	}
	var top int64
	if err := tx.Table(table).Select("COALESCE(MAX(id), 0)").Scan(&top).Error; err != nil {
		return nil, fmt.Errorf("reserve %s ids: %w", table, err)
	}
	for i := 1; i <= n; i++ {
		ids = append(ids, top+int64(i))
	}
	return ids, nil
}

// searchPostRow is a post row with its PostgreSQL search vector.
type searchPostRow struct {
	Post
	SearchVector lexemeArray `gorm:"column:search_vector"`
}

// TableName maps searchPostRow to posts.
func (searchPostRow) TableName() string { return "posts" }

// lexemeArray is a text[] literal of lexemes, written as array_to_tsvector
// of it: the same expression indexPost uses.
type lexemeArray string

// GormDataType tells gorm the column type.
func (lexemeArray) GormDataType() string { return "tsvector" }

// GormValue renders the column value in a multi-row INSERT.
func (v lexemeArray) GormValue(context.Context, *gorm.DB) clause.Expr {
	if v == "" {
		return clause.Expr{SQL: "NULL"}
	}
	return clause.Expr{SQL: "array_to_tsvector(CAST(? AS text[]))", Vars: []any{string(v)}}
}

// insertPosts writes posts with their search entries: the search_vector
// column on PostgreSQL, post_search rows on SQLite.
func (g *largeGen) insertPosts(tx *gorm.DB, posts []largePost) error {
	if g.dialect == Postgres {
		rows := make([]searchPostRow, len(posts))
		for i, p := range posts {
			rows[i] = searchPostRow{Post: p.post, SearchVector: lexemeArray(p.search)}
		}
		if err := tx.CreateInBatches(&rows, largeBatch).Error; err != nil {
			return fmt.Errorf("insert posts: %w", err)
		}
		return nil
	}
	rows := make([]Post, len(posts))
	for i, p := range posts {
		rows[i] = p.post
	}
	if err := tx.CreateInBatches(&rows, largeBatch).Error; err != nil {
		return fmt.Errorf("insert posts: %w", err)
	}
	for start := 0; start < len(posts); start += largeBatch {
		end := min(start+largeBatch, len(posts))
		var sql strings.Builder
		sql.WriteString("INSERT INTO post_search (rowid, tokens) VALUES ")
		args := make([]any, 0, 2*(end-start))
		for i, p := range posts[start:end] {
			if i > 0 {
				sql.WriteByte(',')
			}
			sql.WriteString("(?, ?)")
			args = append(args, p.post.ID, p.search)
		}
		if err := tx.Exec(sql.String(), args...).Error; err != nil {
			return fmt.Errorf("index posts: %w", err)
		}
	}
	return nil
}
