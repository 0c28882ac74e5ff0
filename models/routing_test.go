package models_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// routeForum is a forum for routing tests: boards, people, and a clock.
type routeForum struct {
	t   *testing.T
	db  *gorm.DB
	ctx context.Context
	now time.Time
	// verifier is an employee who verifies answers; asker asks the
	// questions whose answers make the experts' record.
	verifier, asker *models.User
}

func newRouteForum(t *testing.T, db *gorm.DB) *routeForum {
	t.Helper()
	f := &routeForum{t: t, db: db, ctx: context.Background(), now: time.Now().UTC().Truncate(time.Second)}
	f.verifier = f.user("vic", models.RoleEmployee)
	f.asker = f.user("asha")
	return f
}

func (f *routeForum) user(handle string, roles ...models.Role) *models.User {
	f.t.Helper()
	u := &models.User{Handle: handle, Roles: roles}
	if err := models.CreateUser(f.ctx, f.db, u); err != nil {
		f.t.Fatal(err)
	}
	return u
}

// board creates a board with a first-response target in minutes.
func (f *routeForum) board(slug string, vis models.Visibility, target int) *models.Board {
	f.t.Helper()
	b, err := models.CreateBoard(f.ctx, f.db, models.BoardInput{Slug: slug, Name: slug, Visibility: vis, FirstResponseMinutes: target})
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// expert puts u in the program with the given status, answering in boards.
// The expert role is held exactly while the status is active, as
// models.ChangeExpert keeps it.
func (f *routeForum) expert(u *models.User, status string, boards ...*models.Board) *models.User {
	f.t.Helper()
	var tier int64
	if err := f.db.Raw("SELECT id FROM expert_tiers ORDER BY position LIMIT 1").Scan(&tier).Error; err != nil {
		f.t.Fatal(err)
	}
	if err := f.db.Create(&models.Expert{UserID: u.ID, TierID: tier, Status: status, Since: f.now, UpdatedAt: f.now}).Error; err != nil {
		f.t.Fatal(err)
	}
	if status == models.ExpertActive {
		if err := f.db.Create(&models.UserRole{UserID: u.ID, Role: models.RoleExpert, CreatedAt: f.now}).Error; err != nil {
			f.t.Fatal(err)
		}
		u.Roles = append(u.Roles, models.RoleExpert)
	}
	for _, b := range boards {
		if err := f.db.Create(&models.ExpertBoard{UserID: u.ID, BoardID: b.ID}).Error; err != nil {
			f.t.Fatal(err)
		}
	}
	return u
}

// ask posts a question created at the given time.
func (f *routeForum) ask(u *models.User, b *models.Board, title string, at time.Time, tags ...string) int64 {
	f.t.Helper()
	q, err := models.Ask(f.ctx, f.db, u, models.AskInput{Board: b.Slug, Title: title, Body: "Details: " + title, Tags: tags, CreatedAt: at})
	if err != nil {
		f.t.Fatalf("ask %q: %v", title, err)
	}
	return q.ID
}

func (f *routeForum) answer(u *models.User, qid int64) int64 {
	f.t.Helper()
	p, err := models.Answer(f.ctx, f.db, u, qid, models.AnswerInput{Body: "Try this: " + u.Handle})
	if err != nil {
		f.t.Fatalf("%s answers %d: %v", u.Handle, qid, err)
	}
	return p.ID
}

// record gives u n accepted answers on board b (and on questions tagged
// tags) and m verified, unaccepted ones.
func (f *routeForum) record(u *models.User, b *models.Board, accepted, verified int, tags ...string) {
	f.t.Helper()
	for i := 0; i < accepted+verified; i++ {
		q := f.ask(f.asker, b, fmt.Sprintf("Old question %d for %s on %s", i, u.Handle, b.Slug), f.now.Add(-30*24*time.Hour), tags...)
		a := f.answer(u, q)
		if i < accepted {
			if err := models.Accept(f.ctx, f.db, f.asker, q, a); err != nil {
				f.t.Fatal(err)
			}
		} else if err := models.VerifyAnswer(f.ctx, f.db, f.verifier, a); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *routeForum) route(at time.Time) models.RouteResult {
	f.t.Helper()
	res, err := models.RouteQuestions(f.ctx, f.db, at)
	if err != nil {
		f.t.Fatalf("route at %s: %v", at, err)
	}
	return res
}

func (f *routeForum) setting(name string, v int) {
	f.t.Helper()
	if err := f.db.Model(&models.Setting{}).Where("name = ?", name).Update("value", fmt.Sprint(v)).Error; err != nil {
		f.t.Fatal(err)
	}
}

// routes lists the routes of question qid as "handle:score" (open) or
// "handle:score:reason" (closed), best first.
func (f *routeForum) routes(qid int64) []string {
	f.t.Helper()
	var rows []struct {
		Handle      string
		Score       int
		CloseReason string
	}
	if err := f.db.Raw(`SELECT u.handle, r.score, r.close_reason FROM question_routes r JOIN users u ON u.id = r.expert_id
		WHERE r.question_id = ? ORDER BY r.score DESC, r.expert_id`, qid).Scan(&rows).Error; err != nil {
		f.t.Fatal(err)
	}
	out := []string{}
	for _, r := range rows {
		s := fmt.Sprintf("%s:%d", r.Handle, r.Score)
		if r.CloseReason != "" {
			s += ":" + r.CloseReason
		}
		out = append(out, s)
	}
	return out
}

func (f *routeForum) count(sql string, args ...any) int64 {
	f.t.Helper()
	var n int64
	if err := f.db.Raw(sql, args...).Scan(&n).Error; err != nil {
		f.t.Fatal(err)
	}
	return n
}

func wantRoutes(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: routes %v, want %v", what, got, want)
	}
}

// TestRouteQuestionsPicksByRecord: the experts whose record on the board or
// on the question's tags shows skill are routed the question, best first;
// an expert without a record, a paused or suspended expert and a member
// who is no expert never are; a second run changes nothing; an answer closes the
// routes and stops routing.
func TestRouteQuestionsPicksByRecord(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newRouteForum(t, db)
		printers := f.board("printers", models.VisibilityPublic, 60)
		scanners := f.board("scanners", models.VisibilityPublic, 0)
		ace := f.expert(f.user("ace"), models.ExpertActive, printers)
		vera := f.expert(f.user("vera"), models.ExpertActive, printers)
		tagger := f.expert(f.user("tagger"), models.ExpertActive, scanners)
		f.expert(f.user("novice"), models.ExpertActive, printers)
		paused := f.expert(f.user("paused"), models.ExpertPaused, printers)
		helper := f.user("helper") // a member with a fine record, not an expert
		banned := f.expert(f.user("banned"), models.ExpertActive, printers)
		f.record(ace, printers, 2, 0)
		f.record(vera, printers, 0, 1, "wifi")
		f.record(tagger, scanners, 1, 1, "wifi", "driver")
		f.record(paused, printers, 3, 0)
		f.record(helper, printers, 3, 0)
		f.record(banned, printers, 4, 0)
		until := f.now.Add(24 * time.Hour)
		if err := db.Model(&models.User{}).Where("id = ?", banned.ID).Update("suspended_until", until).Error; err != nil {
			t.Fatal(err)
		}

		q := f.ask(f.asker, printers, "Printer drops off Wi-Fi", f.now.Add(-2*time.Hour), "wifi", "driver")
		res := f.route(f.now)
		if res.Routed != 3 || res.Due != 1 {
			t.Errorf("result %+v, want 1 due question and 3 routes", res)
		}
		// ace: 2 accepted on the board (6); vera: 1 verified on the board (3)
		// and the same answer shares a tag (1); tagger: 2 answers on
		// questions sharing two tags, each counted once (2).
		want := []string{"ace:6", "vera:4", "tagger:2"}
		wantRoutes(t, "first run", f.routes(q), want...)
		if n := f.count(`SELECT COUNT(*) FROM notifications WHERE kind = ? AND question_id = ? AND url = ? AND dedup_key LIKE 'route:%'`,
			models.NotifyQuestionRouted, q, fmt.Sprintf("/q/%d", q)); n != 3 {
			t.Errorf("%d routing notifications, want 3", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND dedup_key = ?`, ace.ID, fmt.Sprintf("route:%d:%d", q, ace.ID)); n != 1 {
			t.Errorf("ace has %d notifications for the route", n)
		}

		// A second run, later, adds nothing: the question has its experts.
		res = f.route(f.now.Add(10 * time.Minute))
		if res.Routed != 0 {
			t.Errorf("second run routed %d", res.Routed)
		}
		wantRoutes(t, "second run", f.routes(q), want...)
		if n := f.count(`SELECT COUNT(*) FROM notifications WHERE kind = ?`, models.NotifyQuestionRouted); n != 3 {
			t.Errorf("%d notifications after a second run, want 3", n)
		}

		// Once answered (by anyone), the routes are closed and no new ones
		// are made.
		f.answer(helper, q)
		f.route(f.now.Add(20 * time.Minute))
		wantRoutes(t, "answered", f.routes(q), "ace:6:answered", "vera:4:answered", "tagger:2:answered")
		if n := f.count(`SELECT COUNT(*) FROM question_routes WHERE closed_at IS NULL`); n != 0 {
			t.Errorf("%d open routes after the answer", n)
		}

		// A deleted question's routes are closed by the run.
		q2 := f.ask(f.asker, printers, "Toner light stays on", f.now.Add(-3*time.Hour))
		f.route(f.now.Add(30 * time.Minute))
		wantRoutes(t, "before delete", f.routes(q2), "ace:6", "vera:3")
		var post int64
		db.Raw("SELECT id FROM posts WHERE question_id = ? AND kind = 'question'", q2).Scan(&post)
		if err := models.DeletePost(f.ctx, db, f.asker, post); err != nil {
			t.Fatal(err)
		}
		res = f.route(f.now.Add(40 * time.Minute))
		if res.Answered != 2 {
			t.Errorf("closed %d routes of the deleted question, want 2", res.Answered)
		}
		wantRoutes(t, "deleted", f.routes(q2), "ace:6:answered", "vera:3:answered")
	})
}

// TestRouteQuestionsLimits: route_per_question and route_max_open bound the
// routes; the asker is never routed their own question; a question younger
// than its board's target, one older than RouteMaxAge and one on a board
// without a target are not routed.
func TestRouteQuestionsLimits(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newRouteForum(t, db)
		b := f.board("printers", models.VisibilityPublic, 60)
		none := f.board("lounge", models.VisibilityPublic, 0)
		e1 := f.expert(f.user("ex1"), models.ExpertActive, b)
		e2 := f.expert(f.user("ex2"), models.ExpertActive, b)
		e3 := f.expert(f.user("ex3"), models.ExpertActive, b)
		f.record(e1, b, 2, 0)
		f.record(e2, b, 1, 0)
		f.record(e3, b, 1, 0)
		f.record(e1, none, 1, 0)
		f.setting(models.SettingRoutePerQuestion, 2)
		f.setting(models.SettingRouteMaxOpen, 1)

		q1 := f.ask(f.asker, b, "First waiting question", f.now.Add(-3*time.Hour))
		q2 := f.ask(f.asker, b, "Second waiting question", f.now.Add(-2*time.Hour))
		own := f.ask(e3, b, "A question of an expert", f.now.Add(-90*time.Minute))
		young := f.ask(f.asker, b, "Asked a moment ago", f.now.Add(-30*time.Minute))
		ancient := f.ask(f.asker, b, "Asked long ago", f.now.Add(-models.RouteMaxAge-time.Hour))
		elsewhere := f.ask(f.asker, none, "On a board without a target", f.now.Add(-5*time.Hour))

		res := f.route(f.now)
		// q1, the oldest, gets the two best; q2 only e3, the others having
		// reached route_max_open; e3's own question nobody, since the two
		// others are full.
		wantRoutes(t, "q1", f.routes(q1), "ex1:6", "ex2:3")
		wantRoutes(t, "q2", f.routes(q2), "ex3:3")
		wantRoutes(t, "own", f.routes(own))
		wantRoutes(t, "young", f.routes(young))
		wantRoutes(t, "ancient", f.routes(ancient))
		wantRoutes(t, "elsewhere", f.routes(elsewhere))
		if res.Routed != 3 {
			t.Errorf("routed %d, want 3", res.Routed)
		}

		// With room again and three experts per question, ex3 is still
		// never routed their own question, and the young one is routed
		// once past the target.
		f.setting(models.SettingRouteMaxOpen, 5)
		f.setting(models.SettingRoutePerQuestion, 3)
		f.route(f.now.Add(31 * time.Minute))
		wantRoutes(t, "q1, with room", f.routes(q1), "ex1:6", "ex2:3", "ex3:3")
		wantRoutes(t, "q2, with room", f.routes(q2), "ex1:6", "ex2:3", "ex3:3")
		wantRoutes(t, "own, with room", f.routes(own), "ex1:6", "ex2:3")
		wantRoutes(t, "young, past the target", f.routes(young), "ex1:6", "ex2:3", "ex3:3")
		wantRoutes(t, "ancient, still", f.routes(ancient))
		if n := f.count(`SELECT COUNT(*) FROM question_routes WHERE expert_id = ? AND closed_at IS NULL`, e1.ID); n != 4 {
			t.Errorf("ex1 holds %d open routes, want 4", n)
		}
	})
}

// TestRouteQuestionsExpiry: a route older than route_expire_hours is
// closed as expired, which frees the expert for another question; the
// question goes to someone it was never offered to.
func TestRouteQuestionsExpiry(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newRouteForum(t, db)
		b := f.board("printers", models.VisibilityPublic, 60)
		e1 := f.expert(f.user("ex1"), models.ExpertActive, b)
		e2 := f.expert(f.user("ex2"), models.ExpertActive, b)
		f.record(e1, b, 2, 0)
		f.record(e2, b, 1, 0)
		f.setting(models.SettingRoutePerQuestion, 1)
		f.setting(models.SettingRouteMaxOpen, 1)

		q1 := f.ask(f.asker, b, "First waiting question", f.now.Add(-2*time.Hour))
		f.route(f.now)
		wantRoutes(t, "at first", f.routes(q1), "ex1:6")
		q2 := f.ask(f.asker, b, "Asked the next day", f.now.Add(24*time.Hour))

		// Before the expiry the route stays, and q2 goes to e2.
		res := f.route(f.now.Add(47 * time.Hour))
		if res.Expired != 0 {
			t.Errorf("expired %d routes before route_expire_hours", res.Expired)
		}
		wantRoutes(t, "q2 before expiry", f.routes(q2), "ex2:3")

		// Past 48 hours e1's offer of q1 expires; q1 cannot go back to e1,
		// e2 is full; e1 is free, but q2 has its one expert.
		res = f.route(f.now.Add(49 * time.Hour))
		if res.Expired != 1 {
			t.Errorf("expired %d routes, want 1", res.Expired)
		}
		wantRoutes(t, "q1 after expiry", f.routes(q1), "ex1:6:expired")
		q3 := f.ask(f.asker, b, "Asked on the third day", f.now.Add(48*time.Hour))
		f.route(f.now.Add(50 * time.Hour))
		wantRoutes(t, "q3 goes to the freed expert", f.routes(q3), "ex1:6")

		// When e2's offer of q2 (made at 47 hours) expires too, q1 finally
		// goes to e2.
		f.route(f.now.Add(96 * time.Hour))
		wantRoutes(t, "q1 after e2 is free", f.routes(q1), "ex1:6:expired", "ex2:3")
		if n := f.count(`SELECT COUNT(*) FROM notifications WHERE kind = ?`, models.NotifyQuestionRouted); n != 4 {
			t.Errorf("%d notifications, want 4 (one per route)", n)
		}
	})
}

// TestRouteQuestionsVisibility: private boards stay private. An experts-only
// board's question goes to active experts, not to someone in the program
// whose expert role was revoked; a staff board's question goes only to an
// expert who is staff, or whose rank opens the board to them.
func TestRouteQuestionsVisibility(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newRouteForum(t, db)
		public := f.board("printers", models.VisibilityPublic, 0)
		early := f.board("early", models.VisibilityExperts, 60)
		staff := f.board("staff-room", models.VisibilityStaff, 60)
		plain := f.expert(f.user("plain"), models.ExpertActive, public)
		worker := f.expert(f.user("worker", models.RoleEmployee), models.ExpertActive, public)
		ranked := f.expert(f.user("ranked"), models.ExpertActive, public)
		revoked := f.expert(f.user("revoked"), models.ExpertActive, public)
		for _, u := range []*models.User{plain, worker, ranked, revoked} {
			f.record(u, public, 1, 0, "wifi")
		}
		if err := db.Where("user_id = ? AND role = ?", revoked.ID, models.RoleExpert).Delete(&models.UserRole{}).Error; err != nil {
			t.Fatal(err)
		}
		// A rank perk opens the staff room to holders of 100,000 points.
		if err := db.Create(&models.Rank{Name: "Legend", Threshold: 100000, PerkBoardID: &staff.ID, CreatedAt: f.now}).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Exec("UPDATE users SET points = 100000 WHERE id = ?", ranked.ID).Error; err != nil {
			t.Fatal(err)
		}

		qe := f.ask(worker, early, "Early firmware and Wi-Fi", f.now.Add(-2*time.Hour), "wifi")
		qs := f.ask(worker, staff, "Internal Wi-Fi escalation", f.now.Add(-2*time.Hour), "wifi")
		f.route(f.now)
		wantRoutes(t, "experts-only board", f.routes(qe), "plain:1", "ranked:1") // worker asked it
		wantRoutes(t, "staff board", f.routes(qs), "ranked:1")
		// Asked by someone else, the staff board's question goes to the
		// employee expert too, never to the plain one.
		qs2 := f.ask(f.user("emma", models.RoleEmployee), staff, "Another staff question", f.now.Add(-2*time.Hour), "wifi")
		f.route(f.now)
		wantRoutes(t, "staff board, asked by another", f.routes(qs2), "worker:1", "ranked:1")
	})
}

// TestRouteQuestionsConcurrentRuns: runs at the same time route each
// question once per expert, notify once per route, and keep route_max_open.
func TestRouteQuestionsConcurrentRuns(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newRouteForum(t, db)
		b := f.board("printers", models.VisibilityPublic, 60)
		var experts []*models.User
		for i := 0; i < 4; i++ {
			e := f.expert(f.user(fmt.Sprintf("ex%d", i)), models.ExpertActive, b)
			f.record(e, b, 1, 0)
			experts = append(experts, e)
		}
		f.setting(models.SettingRouteMaxOpen, 2)
		for i := 0; i < 5; i++ {
			f.ask(f.asker, b, fmt.Sprintf("Waiting question %d", i), f.now.Add(-time.Duration(2+i)*time.Hour))
		}
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := models.RouteQuestions(f.ctx, db, f.now); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		// 4 experts × 2 open routes each = 8 routes, at most 3 per question.
		if n := f.count(`SELECT COUNT(*) FROM question_routes`); n != 8 {
			t.Errorf("%d routes, want 8", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM notifications WHERE kind = ?`, models.NotifyQuestionRouted); n != 8 {
			t.Errorf("%d notifications, want 8", n)
		}
		for _, e := range experts {
			if n := f.count(`SELECT COUNT(*) FROM question_routes WHERE expert_id = ?`, e.ID); n != 2 {
				t.Errorf("%s holds %d routes, want 2", e.Handle, n)
			}
		}
		if n := f.count(`SELECT COUNT(*) FROM (SELECT question_id FROM question_routes GROUP BY question_id HAVING COUNT(*) > 3) x`); n != 0 {
			t.Errorf("%d questions with more than 3 routes", n)
		}
	})
}

// TestRouteQuestionsStatements: a run's statements depend on the boards
// with a target, the due questions and the routes made, never on the
// number of experts or of questions in the forum's history.
func TestRouteQuestionsStatements(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newRouteForum(t, db)
		b := f.board("printers", models.VisibilityPublic, 60)
		f.board("scanners", models.VisibilityPublic, 30)
		for i := 0; i < 12; i++ {
			e := f.expert(f.user(fmt.Sprintf("e%02d", i)), models.ExpertActive, b)
			if i%3 == 0 {
				f.record(e, b, 1, 0, "wifi")
			}
		}
		run := func(at time.Time) ([]string, models.RouteResult) {
			var res models.RouteResult
			sqls, err := count(db, func(db *gorm.DB) error {
				var err error
				res, err = models.RouteQuestions(f.ctx, db, at)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return sqls, res
		}
		// Nothing due: settings (3), two closing updates, the boards, and
		// the due questions of each of the two boards.
		if sqls, _ := run(f.now); len(sqls) != 8 {
			t.Errorf("a run with nothing due ran %d statements, want 8:\n%s", len(sqls), strings.Join(sqls, "\n"))
		}
		for i := 0; i < 4; i++ {
			f.ask(f.asker, b, fmt.Sprintf("Waiting question %d", i), f.now.Add(-2*time.Hour), "wifi")
		}
		sqls, res := run(f.now)
		// 8 as above, candidates, perks, board records, the due questions'
		// tags, tag records, earlier routes; then per question 4 reads
		// under lock and 2 per route.
		want := 8 + 6 + 4*4 + 2*res.Routed
		if res.Routed != 12 || len(sqls) != want {
			t.Errorf("routed %d with %d statements, want 12 routes and %d statements", res.Routed, len(sqls), want)
		}
	})
}

// TestExpertDashboard: an expert sees the questions routed to them, the
// unanswered queue of their boards oldest first and their own record, all
// limited to the boards they may read now, in a fixed number of
// statements; an employee without boards sees the queue of every board
// they may read; members may not have a dashboard.
func TestExpertDashboard(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newRouteForum(t, db)
		printers := f.board("printers", models.VisibilityPublic, 60)
		early := f.board("early", models.VisibilityExperts, 0)
		staff := f.board("staff-room", models.VisibilityStaff, 0)
		lounge := f.board("lounge", models.VisibilityPublic, 0)
		ace := f.expert(f.user("ace"), models.ExpertActive, printers, early)
		f.record(ace, printers, 2, 1)
		var answer int64
		db.Raw("SELECT MIN(id) FROM posts WHERE author_id = ? AND kind = 'answer'", ace.ID).Scan(&answer)
		if _, err := models.GiveKudos(f.ctx, db, f.asker, answer); err != nil {
			t.Fatal(err)
		}
		q1 := f.ask(f.asker, printers, "Printer drops off Wi-Fi", f.now.Add(-2*time.Hour))
		qe := f.ask(f.verifier, early, "Early firmware feedback", f.now.Add(-5*time.Hour))
		qs := f.ask(f.verifier, staff, "Internal escalation", f.now.Add(-6*time.Hour))
		ql := f.ask(f.asker, lounge, "Off-topic chat", f.now.Add(-7*time.Hour))
		f.route(f.now)

		dash := func(u *models.User) *models.Dashboard {
			t.Helper()
			var d *models.Dashboard
			sqls, err := count(db, func(db *gorm.DB) error {
				var err error
				d, err = models.ExpertDashboard(f.ctx, db, u, f.now)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(sqls) != 7 {
				t.Errorf("dashboard of %s ran %d statements, want 7", u.Handle, len(sqls))
			}
			return d
		}
		ids := func(qs []models.DashboardQuestion) []int64 {
			out := []int64{}
			for _, q := range qs {
				out = append(out, q.ID)
			}
			return out
		}
		d := dash(ace)
		if got := ids(d.Routed); !slices.Equal(got, []int64{q1}) || d.Routed[0].RoutedAt.IsZero() || !d.Routed[0].Overdue ||
			d.Routed[0].BoardSlug != "printers" || d.Routed[0].Title != "Printer drops off Wi-Fi" {
			t.Errorf("routed %+v, want q1, routed and overdue", d.Routed)
		}
		if got := ids(d.Queue); !slices.Equal(got, []int64{qe, q1}) {
			t.Errorf("queue %v, want the early board's question then q1 (not %d on the staff board, not %d on the lounge)", got, qs, ql)
		}
		if d.Queue[0].Overdue || !d.Queue[1].Overdue {
			t.Errorf("overdue flags %v %v: the early board has no target", d.Queue[0].Overdue, d.Queue[1].Overdue)
		}
		if len(d.QueueBoards) != 2 || d.AllBoards {
			t.Errorf("queue boards %v (all %v), want printers and early", d.QueueBoards, d.AllBoards)
		}
		var points int64
		db.Raw("SELECT points FROM users WHERE id = ?", ace.ID).Scan(&points)
		want := models.ExpertStats{Answers: 3, Accepted: 2, Verified: 1, KudosReceived: 1, PointsMonth: points, Routed: 1}
		if d.Stats != want || points == 0 {
			t.Errorf("stats %+v, want %+v", d.Stats, want)
		}
		f.answer(ace, q1)
		d = dash(ace)
		if len(d.Routed) != 0 || d.Stats.RoutedAnswered != 1 || d.Stats.Routed != 1 || d.Stats.Answers != 4 {
			t.Errorf("after answering: routed %v, stats %+v", d.Routed, d.Stats)
		}

		// A board the expert can no longer read drops out of everything.
		q2 := f.ask(f.asker, printers, "Paper jam in tray 2", f.now.Add(-3*time.Hour))
		f.route(f.now)
		db.Model(&models.Board{}).Where("id = ?", printers.ID).Update("visibility", models.VisibilityStaff)
		d = dash(ace)
		if len(d.Routed) != 0 || !slices.Equal(ids(d.Queue), []int64{qe}) || d.Stats.Answers != 0 || d.Stats.KudosReceived != 0 || d.Stats.Routed != 0 {
			t.Errorf("printers hidden: routed %v, queue %v, stats %+v", ids(d.Routed), ids(d.Queue), d.Stats)
		}
		db.Model(&models.Board{}).Where("id = ?", printers.ID).Update("visibility", models.VisibilityPublic)
		if d = dash(ace); !slices.Equal(ids(d.Routed), []int64{q2}) {
			t.Errorf("printers public again: routed %v, want q2", ids(d.Routed))
		}

		// An employee without expert boards: every board they may read.
		d = dash(f.verifier)
		if !d.AllBoards || !slices.Equal(ids(d.Queue), []int64{ql, qs, qe, q2}) {
			t.Errorf("employee queue %v (all %v), want every unanswered question", ids(d.Queue), d.AllBoards)
		}
		for _, u := range []*models.User{f.asker, nil} {
			if _, err := models.ExpertDashboard(f.ctx, db, u, f.now); err != models.ErrForbidden {
				t.Errorf("dashboard of %v: %v, want ErrForbidden", u, err)
			}
		}
	})
}

// TestBoardFirstResponseTarget: a board's target is 0 (none) to one week.
func TestBoardFirstResponseTarget(t *testing.T) {
	db := testenv.DB(t, testenv.SQLite)
	ctx := context.Background()
	for _, bad := range []int{-1, models.MaxFirstResponseMinutes + 1} {
		_, err := models.CreateBoard(ctx, db, models.BoardInput{Slug: "printers", Name: "Printers", Visibility: models.VisibilityPublic, FirstResponseMinutes: bad})
		var v *models.ValidationError
		if !errors.As(err, &v) || v.Field("first_response_minutes") == nil {
			t.Errorf("target %d: %v, want a validation error on first_response_minutes", bad, err)
		}
	}
	b, err := models.CreateBoard(ctx, db, models.BoardInput{Slug: "printers", Name: "Printers", Visibility: models.VisibilityPublic, FirstResponseMinutes: 240})
	if err != nil || b.FirstResponseMinutes != 240 || b.TargetHours() != 4 {
		t.Fatalf("create: %+v %v", b, err)
	}
	b, err = models.UpdateBoard(ctx, db, b.ID, models.BoardInput{Slug: "printers", Name: "Printers", Visibility: models.VisibilityPublic, FirstResponseMinutes: models.MaxFirstResponseMinutes})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := models.BoardByID(ctx, db, b.ID); got.FirstResponseMinutes != models.MaxFirstResponseMinutes {
		t.Errorf("stored target %d", got.FirstResponseMinutes)
	}
}
