package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Bounds of routing. A question older than RouteMaxAge is not routed any
// more: whoever asked it has moved on, and routing it would only take an
// expert away from a question that can still be helped. RouteBatch bounds
// the due questions one run takes per board, oldest first, so one run's
// work follows what is due, never the forum's history.
const (
	RouteMaxAge = 14 * 24 * time.Hour
	RouteBatch  = 100
	// MaxFirstResponseMinutes is the longest first-response target a board
	// may have (one week); 0 means no target.
	MaxFirstResponseMinutes = 7 * 24 * 60
)

// Weights of an expert's record when scoring them for a question: an
// accepted or a verified answer on the question's board says more than one
// on another board's question that shares a tag with it.
const (
	routeWeightBoard = 3
	routeWeightTag   = 1
)

// RouteResult is what one routing run did.
type RouteResult struct {
	Answered int64 // open routes closed because their question was answered or deleted
	Expired  int64 // open routes closed because they were older than route_expire_hours
	Due      int   // due questions still short of experts that the run looked at
	Routed   int   // routes created (each with its notification)
}

// routeSettings are the program's bounds on routing.
type routeSettings struct{ perQuestion, maxOpen, expireHours int }

func loadRouteSettings(db *gorm.DB) (routeSettings, error) {
	var s routeSettings
	for name, dst := range map[string]*int{SettingRoutePerQuestion: &s.perQuestion,
		SettingRouteMaxOpen: &s.maxOpen, SettingRouteExpireHours: &s.expireHours} {
		v, err := SettingInt(db, name)
		if err != nil {
			return s, err
		}
		*dst = v
	}
	return s, nil
}

// dueQuestion is an unanswered question past its board's target.
type dueQuestion struct {
	ID        int64
	BoardID   int64
	AuthorID  int64
	CreatedAt time.Time
}

// routeCandidate is an active expert who may take routed questions.
type routeCandidate struct {
	ID         int64
	Points     int
	RolesCSV   string
	OpenRoutes int
	user       *User
}

// routeRecord is an expert's accepted and verified answers in one scope
// (a board, or the questions sharing a tag with one question).
type routeRecord struct {
	Scope    int64 // board id or question id
	UserID   int64
	Accepted int
	Verified int
}

// routeScore is a candidate ranked for one question.
type routeScore struct {
	UserID int64
	Score  int
}

// RouteQuestions offers unanswered questions to the experts whose record
// shows they can answer them. One run:
//
//  1. closes open routes whose question was answered or deleted, then those
//     older than route_expire_hours, which frees their experts;
//  2. on every board with a first-response target, takes the live
//     questions without an answer that have waited past the target (and
//     are younger than RouteMaxAge) and have fewer open routes than
//     route_per_question, oldest first, at most RouteBatch per board;
//  3. for each, picks the best-scored active experts who may read the
//     board, did not ask it, were never offered it and hold fewer than
//     route_max_open open routes, and writes each route with its
//     notification, one transaction per question.
//
// Running it again, or twice at once, creates nothing twice: the question
// row and the experts' rows are locked while a question is routed, and
// the unique (question, expert) index with ON CONFLICT DO NOTHING and the
// notification's dedup key back that up. The statements it runs are
// bounded by the boards with a target and the due questions, not by the
// number of experts, and none of them scans history.
func RouteQuestions(ctx context.Context, db *gorm.DB, now time.Time) (RouteResult, error) {
	db = db.WithContext(ctx)
	now = now.UTC().Truncate(time.Microsecond)
	var res RouteResult
	set, err := loadRouteSettings(db)
	if err != nil {
		return res, err
	}
	if res.Answered, res.Expired, err = closeRoutes(db, now, set.expireHours); err != nil {
		return res, err
	}
	if set.perQuestion <= 0 {
		return res, nil // routing is switched off
	}
	var boards []Board
	if err := db.Where("first_response_minutes > 0").Order("id").Find(&boards).Error; err != nil {
		return res, fmt.Errorf("boards with a target: %w", err)
	}
	due, err := dueQuestions(db, boards, now, set.perQuestion)
	if err != nil || len(due) == 0 {
		return res, err
	}
	res.Due = len(due)
	pool, err := routeCandidates(db, now, set.maxOpen)
	if err != nil || len(pool) == 0 {
		return res, err
	}
	sc, err := newRouteScorer(db, now, boards, due, pool)
	if err != nil {
		return res, err
	}
	// The oldest question of the whole run gets first pick of the
	// experts, whatever its board.
	slices.SortFunc(due, func(a, b dueQuestion) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	for _, q := range due {
		ranked := sc.rank(q, set.maxOpen)
		if len(ranked) == 0 {
			continue
		}
		got, err := routeOne(db, q, ranked, set, now)
		if err != nil {
			return res, fmt.Errorf("route question %d: %w", q.ID, err)
		}
		res.Routed += len(got)
		for _, id := range got {
			sc.routed[q.ID] = append(sc.routed[q.ID], id)
			sc.pool[id].OpenRoutes++
		}
	}
	return res, nil
}

// closeRoutes closes the open routes whose question has an answer or is
// gone, then the ones older than expireHours.
func closeRoutes(db *gorm.DB, now time.Time, expireHours int) (answered, expired int64, err error) {
	r := db.Model(&QuestionRoute{}).
		Where("closed_at IS NULL AND EXISTS (SELECT 1 FROM questions q WHERE q.id = question_routes.question_id AND (q.answer_count > 0 OR q.deleted_at IS NOT NULL))").
		Updates(map[string]any{"closed_at": now, "close_reason": RouteClosedAnswered})
	if r.Error != nil {
		return 0, 0, fmt.Errorf("close answered routes: %w", r.Error)
	}
	answered = r.RowsAffected
	if expireHours <= 0 {
		return answered, 0, nil
	}
	r = db.Model(&QuestionRoute{}).Where("closed_at IS NULL AND created_at <= ?", now.Add(-time.Duration(expireHours)*time.Hour)).
		Updates(map[string]any{"closed_at": now, "close_reason": RouteClosedExpired})
	if r.Error != nil {
		return answered, 0, fmt.Errorf("expire routes: %w", r.Error)
	}
	return answered, r.RowsAffected, nil
}

// dueQuestions lists, per board, the questions that have waited past the
// board's target and still lack experts: one statement per board with a
// target, each reading only the last RouteMaxAge of unanswered questions.
func dueQuestions(db *gorm.DB, boards []Board, now time.Time, perQuestion int) ([]dueQuestion, error) {
	var out []dueQuestion
	oldest := now.Add(-RouteMaxAge)
	for _, b := range boards {
		var qs []dueQuestion
		err := db.Table("questions q").Select("q.id, q.board_id, q.author_id, q.created_at").
			// Private and held threads are for staff, not for experts' routing.
			Where("q.board_id = ? AND q.deleted_at IS NULL AND q.private = ? AND q.held = ? AND q.answer_count = 0 AND q.created_at >= ? AND q.created_at <= ?",
				b.ID, false, false, oldest, now.Add(-time.Duration(b.FirstResponseMinutes)*time.Minute)).
			Where("(SELECT COUNT(*) FROM question_routes r WHERE r.question_id = q.id AND r.closed_at IS NULL) < ?", perQuestion).
			Order("q.created_at, q.id").Limit(RouteBatch).Scan(&qs).Error
		if err != nil {
			return nil, fmt.Errorf("due questions of board %d: %w", b.ID, err)
		}
		out = append(out, qs...)
	}
	return out, nil
}

// activeExpertsSQL selects the ids of the experts who may be routed
// questions: in the program and active, holding the expert role (the two
// change together, but an admin may revoke the role alone), not suspended.
const activeExpertsSQL = `SELECT ex.user_id FROM experts ex JOIN users su ON su.id = ex.user_id
	WHERE ex.status = 'active' AND EXISTS (SELECT 1 FROM user_roles er WHERE er.user_id = ex.user_id AND er.role = 'expert')
	AND (su.suspended_until IS NULL OR su.suspended_until <= @now)`

// routeCandidates loads every active expert with room for another route,
// with their roles and points (for the visibility rule) and their open
// routes, in one statement.
func routeCandidates(db *gorm.DB, now time.Time, maxOpen int) (map[int64]*routeCandidate, error) {
	var rows []routeCandidate
	err := db.Raw(`SELECT users.id, users.points, (`+rolesAggregate(db)+`) AS roles_csv,
		(SELECT COUNT(*) FROM question_routes r WHERE r.expert_id = users.id AND r.closed_at IS NULL) AS open_routes
		FROM users WHERE users.id IN (`+activeExpertsSQL+`)`, map[string]any{"now": now}).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("route candidates: %w", err)
	}
	pool := map[int64]*routeCandidate{}
	for i := range rows {
		c := &rows[i]
		if c.OpenRoutes >= maxOpen {
			continue
		}
		c.user = &User{ID: c.ID}
		for _, r := range strings.Split(c.RolesCSV, ",") {
			if r != "" {
				c.user.Roles = append(c.user.Roles, Role(r))
			}
		}
		pool[c.ID] = c
	}
	return pool, nil
}

// routeScorer holds what ranking needs, loaded once per run: the
// candidates, who may read which board, their records and who was already
// offered each due question.
type routeScorer struct {
	pool    map[int64]*routeCandidate
	readers map[int64][]int64        // board id → candidates who may read it
	board   map[[2]int64]routeRecord // (board, user) → record on the board
	tag     map[[2]int64]routeRecord // (question, user) → record on questions sharing a tag
	routed  map[int64][]int64        // question id → experts ever offered it
}

func newRouteScorer(db *gorm.DB, now time.Time, boards []Board, due []dueQuestion, pool map[int64]*routeCandidate) (*routeScorer, error) {
	sc := &routeScorer{pool: pool, readers: map[int64][]int64{}, board: map[[2]int64]routeRecord{},
		tag: map[[2]int64]routeRecord{}, routed: map[int64][]int64{}}
	var perks []Rank
	if err := db.Where("perk_board_id IS NOT NULL").Find(&perks).Error; err != nil {
		return nil, fmt.Errorf("rank perks: %w", err)
	}
	ids := make([]int64, 0, len(pool))
	for id := range pool {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var dueBoards, dueIDs []int64
	for _, q := range due {
		dueIDs = append(dueIDs, q.ID)
		if !slices.Contains(dueBoards, q.BoardID) {
			dueBoards = append(dueBoards, q.BoardID)
		}
	}
	for i := range boards {
		b := &boards[i]
		if !slices.Contains(dueBoards, b.ID) {
			continue
		}
		for _, id := range ids {
			if mayRead(pool[id].user, pool[id].Points, b, perks) {
				sc.readers[b.ID] = append(sc.readers[b.ID], id)
			}
		}
	}
	if err := sc.loadBoardRecords(db, now, dueBoards); err != nil {
		return nil, err
	}
	if err := sc.loadTagRecords(db, now, dueIDs); err != nil {
		return nil, err
	}
	var prior []QuestionRoute
	if err := db.Select("question_id, expert_id").Where("question_id IN ?", dueIDs).Find(&prior).Error; err != nil {
		return nil, fmt.Errorf("earlier routes: %w", err)
	}
	for _, r := range prior {
		sc.routed[r.QuestionID] = append(sc.routed[r.QuestionID], r.ExpertID)
	}
	return sc, nil
}

// skilledAnswerSQL keeps the answers that show skill: accepted by someone
// else (the asker accepting their own answer shows nothing), or verified
// (nobody can verify their own). The record queries start from the active
// experts' answers (posts_author_id): the unary + keeps SQLite's planner
// from starting at the board's or the tag's questions, which would read
// their whole history.
const skilledAnswerSQL = `p.author_id IN (` + activeExpertsSQL + `) AND p.kind = 'answer' AND p.deleted_at IS NULL AND q.deleted_at IS NULL
	AND ((q.accepted_answer_id = p.id AND q.author_id <> p.author_id) OR p.verified_by IS NOT NULL)`

const skilledFlagsSQL = `CASE WHEN q.accepted_answer_id = p.id AND q.author_id <> p.author_id THEN 1 ELSE 0 END AS accepted,
	CASE WHEN p.verified_by IS NOT NULL THEN 1 ELSE 0 END AS verified`

// loadBoardRecords counts each active expert's accepted and verified
// answers on the boards with due questions, in one statement.
func (sc *routeScorer) loadBoardRecords(db *gorm.DB, now time.Time, boards []int64) error {
	var recs []routeRecord
	err := db.Raw(`SELECT scope, user_id, SUM(accepted) AS accepted, SUM(verified) AS verified FROM (
		SELECT q.board_id AS scope, p.author_id AS user_id, `+skilledFlagsSQL+`
		FROM posts p JOIN questions q ON q.id = p.question_id
		WHERE +q.board_id IN @boards AND `+skilledAnswerSQL+`) rec
		GROUP BY scope, user_id`, map[string]any{"now": now, "boards": boards}).Scan(&recs).Error
	if err != nil {
		return fmt.Errorf("experts' record on boards: %w", err)
	}
	for _, r := range recs {
		sc.board[[2]int64{r.Scope, r.UserID}] = r
	}
	return nil
}

// loadTagRecords finds, for each due question, each active expert's
// accepted and verified answers on questions sharing one of its tags,
// each answer counted once however many tags it shares: two statements
// (the due questions' tags, then the experts' answers carrying them).
func (sc *routeScorer) loadTagRecords(db *gorm.DB, now time.Time, due []int64) error {
	var dueTags []QuestionTag
	if err := db.Select("question_id, tag_id").Where("question_id IN ?", due).Find(&dueTags).Error; err != nil {
		return fmt.Errorf("tags of due questions: %w", err)
	}
	if len(dueTags) == 0 {
		return nil
	}
	tagIDs := make([]int64, 0, len(dueTags))
	for _, t := range dueTags {
		if !slices.Contains(tagIDs, t.TagID) {
			tagIDs = append(tagIDs, t.TagID)
		}
	}
	var rows []struct {
		PostID, UserID, TagID int64
		Accepted, Verified    int
	}
	err := db.Raw(`SELECT p.id AS post_id, p.author_id AS user_id, qt.tag_id, `+skilledFlagsSQL+`
		FROM posts p JOIN questions q ON q.id = p.question_id JOIN question_tags qt ON qt.question_id = q.id
		WHERE +qt.tag_id IN @tags AND `+skilledAnswerSQL, map[string]any{"now": now, "tags": tagIDs}).Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("experts' record on tags: %w", err)
	}
	byTag := map[int64][]int{}
	for i, r := range rows {
		byTag[r.TagID] = append(byTag[r.TagID], i)
	}
	type answerKey struct{ question, post int64 }
	counted := map[answerKey]bool{}
	for _, dt := range dueTags {
		for _, i := range byTag[dt.TagID] {
			r := rows[i]
			if counted[answerKey{dt.QuestionID, r.PostID}] {
				continue
			}
			counted[answerKey{dt.QuestionID, r.PostID}] = true
			k := [2]int64{dt.QuestionID, r.UserID}
			rec := sc.tag[k]
			rec.Accepted += r.Accepted
			rec.Verified += r.Verified
			sc.tag[k] = rec
		}
	}
	return nil
}

// mayRead is CanSeeBoard for many users at once: the same rule (the
// board's visibility for the user's roles, else a perk of a rank the
// user's points reach, as PerkBoardIDs reads it), with the perks loaded
// once instead of once per user.
func mayRead(u *User, points int, b *Board, perks []Rank) bool {
	if CanSee(u, b.Visibility) {
		return true
	}
	for _, r := range perks {
		if r.PerkBoardID != nil && *r.PerkBoardID == b.ID && r.Threshold <= points {
			return true
		}
	}
	return false
}

// rank returns the candidates for q whose record shows skill, best first
// (score, then user id): readers of q's board, not its asker, never
// offered q, with room for another route.
func (sc *routeScorer) rank(q dueQuestion, maxOpen int) []routeScore {
	var out []routeScore
	for _, id := range sc.readers[q.BoardID] {
		c := sc.pool[id]
		if id == q.AuthorID || c.OpenRoutes >= maxOpen || slices.Contains(sc.routed[q.ID], id) {
			continue
		}
		b, t := sc.board[[2]int64{q.BoardID, id}], sc.tag[[2]int64{q.ID, id}]
		score := routeWeightBoard*(b.Accepted+b.Verified) + routeWeightTag*(t.Accepted+t.Verified)
		if score > 0 {
			out = append(out, routeScore{UserID: id, Score: score})
		}
	}
	slices.SortFunc(out, func(a, b routeScore) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.UserID, b.UserID))
	})
	return out
}

// forUpdate locks the selected rows on PostgreSQL. SQLite transactions
// are serialised already (_txlock=immediate), and it knows no FOR UPDATE.
func forUpdate(tx *gorm.DB) string {
	if DialectOf(tx) == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// routeOne offers q to the best of ranked, in one transaction, and returns
// the experts it was offered to. What ranked was computed from may be
// stale (another run, an answer, an admin pausing an expert): under the
// question's and the experts' row locks it reads again whether q still
// waits, how many experts it still lacks, and who still has room.
func routeOne(db *gorm.DB, q dueQuestion, ranked []routeScore, set routeSettings, now time.Time) ([]int64, error) {
	var got []int64
	err := db.Transaction(func(tx *gorm.DB) error {
		got = got[:0]
		var live []int64
		if err := tx.Raw("SELECT id FROM questions WHERE id = ? AND deleted_at IS NULL AND answer_count = 0"+forUpdate(tx), q.ID).
			Scan(&live).Error; err != nil {
			return err
		}
		if len(live) == 0 {
			return nil // answered or deleted since the run began
		}
		ids := make([]int64, len(ranked))
		for i, r := range ranked {
			ids[i] = r.UserID
		}
		slices.Sort(ids)
		var still []int64
		if err := tx.Raw(`SELECT ex.user_id FROM experts ex WHERE ex.user_id IN @ids AND ex.user_id IN (`+activeExpertsSQL+`)
			ORDER BY ex.user_id`+forUpdate(tx), map[string]any{"ids": ids, "now": now}).Scan(&still).Error; err != nil {
			return err
		}
		var open []struct {
			ExpertID int64
			N        int
		}
		if err := tx.Model(&QuestionRoute{}).Select("expert_id, COUNT(*) AS n").
			Where("closed_at IS NULL AND expert_id IN ?", ids).Group("expert_id").Scan(&open).Error; err != nil {
			return err
		}
		openOf := map[int64]int{}
		for _, o := range open {
			openOf[o.ExpertID] = o.N
		}
		var prior []QuestionRoute
		if err := tx.Select("expert_id, closed_at").Where("question_id = ?", q.ID).Find(&prior).Error; err != nil {
			return err
		}
		missing := set.perQuestion
		offered := map[int64]bool{}
		for _, r := range prior {
			offered[r.ExpertID] = true
			if r.ClosedAt == nil {
				missing--
			}
		}
		for _, r := range ranked {
			if missing <= 0 {
				break
			}
			if offered[r.UserID] || openOf[r.UserID] >= set.maxOpen || !slices.Contains(still, r.UserID) {
				continue
			}
			ins := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "question_id"}, {Name: "expert_id"}}, DoNothing: true}).
				Create(&QuestionRoute{QuestionID: q.ID, ExpertID: r.UserID, Score: r.Score, CreatedAt: now})
			if ins.Error != nil {
				return fmt.Errorf("insert route: %w", ins.Error)
			}
			if ins.RowsAffected == 0 {
				continue // offered meanwhile: the unique index decided
			}
			qid := q.ID
			if _, err := Notify(tx, Notification{UserID: r.UserID, Kind: NotifyQuestionRouted, QuestionID: &qid,
				URL: "/q/" + strconv.FormatInt(q.ID, 10), DedupKey: fmt.Sprintf("route:%d:%d", q.ID, r.UserID), CreatedAt: now}); err != nil {
				return err
			}
			got = append(got, r.UserID)
			missing--
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return got, nil
}

// DashboardQueueLimit is how many unanswered questions the dashboard lists.
const DashboardQueueLimit = 50

// CanUseExpertDashboard reports whether u has an expert dashboard:
// experts, and employees (who answer anywhere they can read).
func CanUseExpertDashboard(u *User) bool {
	return u.HasRole(RoleExpert) || u.HasRole(RoleEmployee)
}

// DashboardQuestion is a question on the dashboard: routed to the expert,
// or waiting in the queue of their boards.
type DashboardQuestion struct {
	ID          int64
	Title       string
	BoardSlug   string
	BoardName   string
	AnswerCount int
	CreatedAt   time.Time
	// RoutedAt is when the question was offered to the expert (zero in
	// the queue).
	RoutedAt time.Time
	// FirstResponseMinutes is the board's target; Overdue is set when the
	// question has waited longer.
	FirstResponseMinutes int
	Overdue              bool
}

// ExpertStats is an expert's own record, on the boards they may read.
type ExpertStats struct {
	Answers        int64
	Accepted       int64
	Verified       int64
	KudosReceived  int64
	PointsMonth    int64
	Routed         int64 // questions ever routed to them
	RoutedAnswered int64 // of those, the ones they answered
}

// Dashboard is an expert's or employee's page of work: the questions
// routed to them, the unanswered queue of their boards, and their record.
type Dashboard struct {
	Routed []DashboardQuestion
	Queue  []DashboardQuestion
	// QueueBoards are the boards the queue covers; AllBoards is set for an
	// employee without expert boards, whose queue is every board they may
	// read.
	QueueBoards []Board
	AllBoards   bool
	QueueLimit  int
	MonthStart  time.Time
	Stats       ExpertStats
}

// ExpertDashboard loads u's dashboard at now. Everything on it is limited
// to the boards u may read now: a board an expert lost access to drops
// out of their queue, their routed questions and their figures. It runs at
// most seven statements, whatever the forum's size.
func ExpertDashboard(ctx context.Context, db *gorm.DB, u *User, now time.Time) (*Dashboard, error) {
	if u == nil || !CanUseExpertDashboard(u) {
		return nil, ErrForbidden
	}
	db = db.WithContext(ctx)
	now = now.UTC()
	d := &Dashboard{QueueLimit: DashboardQueueLimit, MonthStart: PeriodStart(PeriodMonth, now)}
	vis := VisibleBoards(db, u)
	mine := db.Session(&gorm.Session{NewDB: true}).Table("expert_boards eb").Select("eb.board_id").
		Joins("JOIN experts ex ON ex.user_id = eb.user_id AND ex.status = ?", ExpertActive).Where("eb.user_id = ?", u.ID)
	if err := db.Where("id IN (?) AND id IN (?)", mine, vis).Order("position, name").Find(&d.QueueBoards).Error; err != nil {
		return nil, fmt.Errorf("dashboard boards: %w", err)
	}
	if err := db.Table("question_routes r").
		Select("q.id, q.title, q.answer_count, q.created_at, r.created_at AS routed_at, b.slug AS board_slug, b.name AS board_name, b.first_response_minutes").
		Joins("JOIN questions q ON q.id = r.question_id").Joins("JOIN boards b ON b.id = q.board_id").
		Where("r.expert_id = ? AND r.closed_at IS NULL AND q.deleted_at IS NULL", u.ID).Where(SeenQuestions(db, u, "q")).
		Order("q.created_at, q.id").Scan(&d.Routed).Error; err != nil {
		return nil, fmt.Errorf("routed questions: %w", err)
	}
	queue := db.Table("questions q").
		Select("q.id, q.title, q.answer_count, q.created_at, b.slug AS board_slug, b.name AS board_name, b.first_response_minutes").
		Joins("JOIN boards b ON b.id = q.board_id").
		Where("q.deleted_at IS NULL AND q.answer_count = 0").Where(SeenQuestions(db, u, "q"))
	switch {
	case len(d.QueueBoards) > 0:
		ids := make([]int64, len(d.QueueBoards))
		for i, b := range d.QueueBoards {
			ids[i] = b.ID
		}
		queue = queue.Where("q.board_id IN ?", ids)
	case u.HasRole(RoleEmployee):
		d.AllBoards = true
	default:
		queue = nil // an expert without boards has no queue yet
	}
	if queue != nil {
		if err := queue.Order("q.created_at, q.id").Limit(DashboardQueueLimit).Scan(&d.Queue).Error; err != nil {
			return nil, fmt.Errorf("unanswered queue: %w", err)
		}
	}
	for _, list := range [][]DashboardQuestion{d.Routed, d.Queue} {
		for i := range list {
			q := &list[i]
			q.Overdue = q.FirstResponseMinutes > 0 && now.Sub(q.CreatedAt) > time.Duration(q.FirstResponseMinutes)*time.Minute
		}
	}
	var err error
	d.Stats, err = expertStats(db, u, vis, d.MonthStart)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// expertStats reads u's record in four statements.
func expertStats(db *gorm.DB, u *User, vis *gorm.DB, monthStart time.Time) (ExpertStats, error) {
	var st ExpertStats
	err := answersOf(db, u.ID, u).Select(`COUNT(*) AS answers,
		COALESCE(SUM(CASE WHEN q.accepted_answer_id = p.id THEN 1 ELSE 0 END), 0) AS accepted,
		COALESCE(SUM(CASE WHEN p.verified_by IS NOT NULL THEN 1 ELSE 0 END), 0) AS verified`).Scan(&st).Error
	if err != nil {
		return st, fmt.Errorf("answer figures: %w", err)
	}
	if err := db.Table("kudos k").Joins("JOIN posts p ON p.id = k.post_id").Joins("JOIN questions q ON q.id = p.question_id").
		Where("k.receiver_id = ? AND k.withdrawn_at IS NULL AND p.deleted_at IS NULL AND q.deleted_at IS NULL AND q.board_id IN (?)", u.ID, vis).
		Count(&st.KudosReceived).Error; err != nil {
		return st, fmt.Errorf("kudos received: %w", err)
	}
	// The month's points are a total, like the profile's and the overall
	// leaderboard's: they include every board and name none.
	if err := db.Model(&PointEvent{}).Select("COALESCE(SUM(points), 0)").
		Where("user_id = ? AND created_at >= ?", u.ID, monthStart).Scan(&st.PointsMonth).Error; err != nil {
		return st, fmt.Errorf("points this month: %w", err)
	}
	var routed struct{ Routed, Answered int64 }
	if err := db.Table("question_routes r").Select(`COUNT(*) AS routed,
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM posts p WHERE p.question_id = r.question_id AND p.author_id = r.expert_id
			AND p.kind = 'answer' AND p.deleted_at IS NULL) THEN 1 ELSE 0 END), 0) AS answered`).
		Joins("JOIN questions q ON q.id = r.question_id").
		Where("r.expert_id = ? AND q.deleted_at IS NULL AND q.board_id IN (?)", u.ID, vis).Scan(&routed).Error; err != nil {
		return st, fmt.Errorf("routed figures: %w", err)
	}
	st.Routed, st.RoutedAnswered = routed.Routed, routed.Answered
	return st, nil
}

// TargetHours is the board's first-response target in whole hours, or 0
// when it is not a whole number of hours (then say it in minutes).
func (b *Board) TargetHours() int {
	if b.FirstResponseMinutes > 0 && b.FirstResponseMinutes%60 == 0 {
		return b.FirstResponseMinutes / 60
	}
	return 0
}
