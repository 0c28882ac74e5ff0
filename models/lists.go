package models

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// ErrBadCursor is returned for a page cursor that was not made by us.
var ErrBadCursor = errors.New("invalid page cursor")

// ListKind names a question list.
type ListKind string

// The lists.
const (
	ListLatest     ListKind = "latest"
	ListUnanswered ListKind = "unanswered"
	ListSolved     ListKind = "solved"
)

// PageSize is the number of questions on a list page.
const PageSize = 30

// ListOptions selects a page of questions.
type ListOptions struct {
	Kind    ListKind
	BoardID int64 // 0 for every visible board
	TagID   int64 // 0 for any tag
	Cursor  string
	Limit   int
}

// QuestionSummary is a question as lists show it.
type QuestionSummary struct {
	Question
	BoardSlug         string
	BoardName         string
	AuthorHandle      string
	AuthorDisplayName string
	Tags              []string `gorm:"-"`
}

type cursor struct {
	t  time.Time
	id int64
}

func (c cursor) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.t.UnixMicro(), 10) + ":" + strconv.FormatInt(c.id, 10)))
}

// maxCursorMicros is the last microsecond of the year 9999.
const maxCursorMicros = 253402300799999999

func decodeCursor(s string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 64 {
		return cursor{}, ErrBadCursor
	}
	ts, id, ok := strings.Cut(string(b), ":")
	if !ok {
		return cursor{}, ErrBadCursor
	}
	micros, err1 := strconv.ParseInt(ts, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	// Beyond year 9999 PostgreSQL refuses the timestamp and SQLite compares
	// a garbled one, so such a cursor was not made by us.
	if err1 != nil || err2 != nil || n <= 0 || micros < 0 || micros > maxCursorMicros {
		return cursor{}, ErrBadCursor
	}
	return cursor{t: time.UnixMicro(micros).UTC(), id: n}, nil
}

const summaryColumns = `q.*, b.slug AS board_slug, b.name AS board_name, u.handle AS author_handle, u.display_name AS author_display_name`

// ListQuestions returns one page of a list, visible to viewer, and the
// cursor of the next page ("" on the last). Pages are keyset-paginated on
// (created_at, id), so a deep page costs what the first does.
func ListQuestions(ctx context.Context, db *gorm.DB, viewer *User, opt ListOptions) ([]QuestionSummary, string, error) {
	if opt.Limit <= 0 || opt.Limit > 100 {
		opt.Limit = PageSize
	}
	var cur *cursor
	if opt.Cursor != "" {
		c, err := decodeCursor(opt.Cursor)
		if err != nil {
			return nil, "", err
		}
		cur = &c
	}
	tcol, icol := "q.created_at", "q.id"
	// LEFT JOINs (every question has its board and author) keep questions
	// the driving table, so SQLite walks the (time, id) index instead of
	// reading every visible question and sorting; visibility is a semi-join.
	qry := db.WithContext(ctx).Table("questions q").Select(summaryColumns).
		Joins("LEFT JOIN boards b ON b.id = q.board_id").
		Joins("LEFT JOIN users u ON u.id = q.author_id").
		Where("q.deleted_at IS NULL").
		Where(SeenQuestions(db, viewer, "q"))
	if opt.TagID != 0 {
		// question_tags carries the question's time so the tag index orders the page.
		qry = qry.Joins("JOIN question_tags qt ON qt.question_id = q.id").Where("qt.tag_id = ?", opt.TagID)
		tcol, icol = "qt.created_at", "qt.question_id"
	} else if opt.BoardID != 0 {
		qry = qry.Where("q.board_id = ?", opt.BoardID)
	}
	asc := false
	switch opt.Kind {
	case ListUnanswered:
		qry = qry.Where("q.answer_count = 0")
		asc = true
	case ListSolved:
		qry = qry.Where("q.accepted_answer_id IS NOT NULL")
	case ListLatest, "":
	default:
		return nil, "", fmt.Errorf("unknown list %q", opt.Kind)
	}
	if cur != nil {
		op := "<"
		if asc {
			op = ">"
		}
		// The leading "time <= t" bound lets the planner seek the (time, id)
		// index to the cursor; the OR alone is only a filter, so page 1000
		// scanned the 30,000 rows before it (measured by BenchmarkLatestList).
		qry = qry.Where(fmt.Sprintf("%s %s= ? AND (%s %s ? OR (%s = ? AND %s %s ?))", tcol, op, tcol, op, tcol, icol, op),
			cur.t, cur.t, cur.t, cur.id)
	}
	dir := "DESC"
	if asc {
		dir = "ASC"
	}
	qry = qry.Order(tcol + " " + dir + ", " + icol + " " + dir).Limit(opt.Limit + 1)
	var rows []QuestionSummary
	if err := qry.Scan(&rows).Error; err != nil {
		return nil, "", fmt.Errorf("list questions: %w", err)
	}
	next := ""
	if len(rows) > opt.Limit {
		rows = rows[:opt.Limit]
		last := rows[len(rows)-1]
		next = cursor{t: last.CreatedAt, id: last.ID}.encode()
	}
	if err := attachTags(ctx, db, rows); err != nil {
		return nil, "", err
	}
	return rows, next, nil
}

// summariesByIDs loads question summaries in the order of ids.
func summariesByIDs(ctx context.Context, db *gorm.DB, ids []int64) ([]QuestionSummary, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []QuestionSummary
	err := db.WithContext(ctx).Table("questions q").Select(summaryColumns).
		Joins("JOIN boards b ON b.id = q.board_id").
		Joins("JOIN users u ON u.id = q.author_id").
		Where("q.id IN ?", ids).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	pos := map[int64]int{}
	for i, id := range ids {
		pos[id] = i
	}
	out := make([]QuestionSummary, len(ids))
	for _, r := range rows {
		out[pos[r.ID]] = r
	}
	if err := attachTags(ctx, db, out); err != nil {
		return nil, err
	}
	return out, nil
}

// attachTags fills in the tags of every row in one query.
func attachTags(ctx context.Context, db *gorm.DB, rows []QuestionSummary) error {
	if len(rows) == 0 {
		return nil
	}
	ids := make([]int64, len(rows))
	idx := map[int64]int{}
	for i, r := range rows {
		ids[i] = r.ID
		idx[r.ID] = i
	}
	var links []struct {
		QuestionID int64
		Name       string
	}
	err := db.WithContext(ctx).Table("question_tags qt").Select("qt.question_id, t.name").
		Joins("JOIN tags t ON t.id = qt.tag_id").Where("qt.question_id IN ?", ids).
		Order("t.name").Scan(&links).Error
	if err != nil {
		return err
	}
	for _, l := range links {
		rows[idx[l.QuestionID]].Tags = append(rows[idx[l.QuestionID]].Tags, l.Name)
	}
	return nil
}

// TagByName finds a tag.
func TagByName(ctx context.Context, db *gorm.DB, name string) (*Tag, error) {
	var t Tag
	// No tag was ever stored that fails validation; such a name from a URL
	// (invalid UTF-8, NUL) would only make PostgreSQL fail.
	if utf8.RuneCountInString(name) > TagNameMax || !tagPattern.MatchString(strings.ToLower(name)) {
		return nil, ErrNotFound
	}
	err := db.WithContext(ctx).Where("name = ?", strings.ToLower(name)).First(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &t, err
}

// popularWindow is how many of the latest questions popular tags are
// counted over: recent popularity, at a cost that does not grow with the
// forum. With 100,000 questions on PostgreSQL a window of 200 takes 0.5 ms;
// from about 500 the planner turns to scanning all of question_tags (8 ms).
const popularWindow = 200

// PopularTags lists the tags most used by the latest questions viewer may
// see, each with its count among them. Counting visible questions only (not
// tags.question_count) keeps a tag used on a private board, and how often,
// private.
func PopularTags(ctx context.Context, db *gorm.DB, viewer *User, limit int) ([]Tag, error) {
	db = db.WithContext(ctx)
	recent := db.Table("questions q").Select("q.id").
		Joins("JOIN boards b ON b.id = q.board_id").
		Where("q.deleted_at IS NULL").Where(SeenQuestions(db, viewer, "q")).
		Order("q.created_at DESC, q.id DESC").Limit(popularWindow)
	var ts []Tag
	err := db.Table("question_tags qt").Select("t.id, t.name, COUNT(*) AS question_count").
		Joins("JOIN tags t ON t.id = qt.tag_id").
		Where("qt.question_id IN (?)", recent).
		Group("t.id, t.name").Order("question_count DESC, t.name").Limit(limit).Scan(&ts).Error
	if err != nil {
		return nil, fmt.Errorf("popular tags: %w", err)
	}
	return ts, nil
}

// Author is a post's author as a page shows them.
type Author struct {
	User
	RolesCSV string
	// AuthorRankName is set by loaders that select rankNameColumn.
	AuthorRankName string
	// AuthorExpertTier is set by loaders that select expertTierColumn.
	AuthorExpertTier string
	// ExpertBoardsCSV and UnreadCount are set by UserBySession.
	ExpertBoardsCSV string
	UnreadCount     int64
}

// expertTierColumn selects the tier name of an active expert, so a post's
// author and their label load in one statement.
const expertTierColumn = "(SELECT et.name FROM experts ex JOIN expert_tiers et ON et.id = ex.tier_id WHERE ex.user_id = users.id AND ex.status = 'active') AS author_expert_tier"

// expertBoardsAggregate lists the boards of an active expert as "1,2,3".
func expertBoardsAggregate(db *gorm.DB) string {
	agg := "group_concat(eb.board_id, ',')"
	if DialectOf(db) == Postgres {
		agg = "string_agg(eb.board_id::text, ',')"
	}
	return "SELECT " + agg + " FROM expert_boards eb JOIN experts ex ON ex.user_id = eb.user_id AND ex.status = 'active' WHERE eb.user_id = users.id"
}

// rankNameColumn selects the name of the rank a user's points reach, so
// authors and their ranks load in the same statement (there are few ranks,
// and threshold is indexed).
const rankNameColumn = "(SELECT rk.name FROM ranks rk WHERE rk.threshold <= users.points ORDER BY rk.threshold DESC LIMIT 1) AS author_rank_name"

// rolesAggregate is a correlated subquery listing a user's roles as
// "a,b,c", so users and their roles load in one statement.
func rolesAggregate(db *gorm.DB) string {
	agg := "group_concat(role, ',')"
	if DialectOf(db) == Postgres {
		agg = "string_agg(role, ',' ORDER BY role)"
	}
	return "SELECT " + agg + " FROM user_roles r WHERE r.user_id = users.id"
}

// user returns the User with its roles parsed.
func (a *Author) user() *User {
	u := a.User
	u.RankName = a.AuthorRankName
	u.ExpertTier = a.AuthorExpertTier
	u.Unread = a.UnreadCount
	if a.RolesCSV != "" {
		for _, r := range strings.Split(a.RolesCSV, ",") {
			u.Roles = append(u.Roles, Role(r))
		}
	}
	if a.ExpertBoardsCSV != "" {
		for _, s := range strings.Split(a.ExpertBoardsCSV, ",") {
			if id, err := strconv.ParseInt(s, 10, 64); err == nil {
				u.ExpertBoardIDs = append(u.ExpertBoardIDs, id)
			}
		}
	}
	return &u
}

// usersWithRoles loads users and their roles in one statement.
func usersWithRoles(ctx context.Context, db *gorm.DB, ids []int64) (map[int64]*User, error) {
	out := map[int64]*User{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Author
	err := db.WithContext(ctx).Table("users").
		Select("users.*, ("+rolesAggregate(db)+") AS roles_csv, "+rankNameColumn+", "+expertTierColumn).
		Where("id IN ?", ids).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	for i := range rows {
		u := rows[i].user()
		out[u.ID] = u
	}
	return out, nil
}

// PostView is a post with its author, ready for a page.
type PostView struct {
	Post
	Author   *User
	Accepted bool
	// KudosGiven is whether the viewer has a live kudos on the post.
	KudosGiven bool
	// Verifier is who verified the answer, if anyone.
	Verifier *User
}

// QuestionView is everything the question page shows.
type QuestionView struct {
	Question
	Board    Board
	Body     PostView   // the question's own post
	Solution *PostView  // the accepted answer, also listed in Answers
	Answers  []PostView // answers in the order they were written
	Tags     []string
}

// LoadQuestion loads the question page in a fixed number of statements
// (question and board, posts, authors with roles, tags), however many
// answers and authors it has. A question on a board viewer may not see is
// reported as not found.
func LoadQuestion(ctx context.Context, db *gorm.DB, viewer *User, id int64) (*QuestionView, error) {
	db = db.WithContext(ctx)
	var row struct {
		Question
		BID         int64 `gorm:"column:b_id"`
		BSlug       string
		BName       string
		BVisibility Visibility
	}
	err := db.Table("questions q").
		Select("q.*, b.id AS b_id, b.slug AS b_slug, b.name AS b_name, b.visibility AS b_visibility").
		Joins("JOIN boards b ON b.id = q.board_id").
		Where("q.id = ? AND q.deleted_at IS NULL", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if ok, err := CanSeeBoard(ctx, db, viewer, &Board{ID: row.BID, Visibility: row.BVisibility}); err != nil || !ok || !CanReadThread(viewer, &row.Question) {
		if err != nil {
			return nil, err
		}
		return nil, ErrNotFound
	}
	v := &QuestionView{Question: row.Question, Board: Board{ID: row.BID, Slug: row.BSlug, Name: row.BName, Visibility: row.BVisibility}}
	var posts []Post
	if err := db.Table("posts p").Where("p.question_id = ? AND p.deleted_at IS NULL", id).Where(postAudience(viewer, "p")).
		Order("p.created_at, p.id").Find(&posts).Error; err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	var authorIDs []int64
	for _, p := range posts {
		for _, id := range []*int64{&p.AuthorID, p.VerifiedBy} {
			if id != nil && !seen[*id] {
				seen[*id] = true
				authorIDs = append(authorIDs, *id)
			}
		}
	}
	authors, err := usersWithRoles(ctx, db, authorIDs)
	if err != nil {
		return nil, err
	}
	postIDs := make([]int64, len(posts))
	for i, p := range posts {
		postIDs[i] = p.ID
	}
	given, err := KudosGivenBy(ctx, db, viewer, postIDs)
	if err != nil {
		return nil, err
	}
	for _, p := range posts {
		pv := PostView{Post: p, Author: authors[p.AuthorID], KudosGiven: given[p.ID]}
		if p.VerifiedBy != nil {
			pv.Verifier = authors[*p.VerifiedBy]
		}
		if p.Kind == KindQuestion {
			v.Body = pv
			continue
		}
		pv.Accepted = v.AcceptedAnswerID != nil && *v.AcceptedAnswerID == p.ID
		v.Answers = append(v.Answers, pv)
		if pv.Accepted {
			s := pv
			v.Solution = &s
		}
	}
	if err := db.Table("question_tags qt").Joins("JOIN tags t ON t.id = qt.tag_id").
		Where("qt.question_id = ?", id).Order("t.name").Pluck("t.name", &v.Tags).Error; err != nil {
		return nil, err
	}
	return v, nil
}
