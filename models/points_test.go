package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// pointsFixture is a board, a question and a few users for points tests.
type pointsFixture struct {
	db    *gorm.DB
	ctx   context.Context
	board *models.Board
}

func newPointsFixture(t *testing.T, db *gorm.DB) *pointsFixture {
	t.Helper()
	f := &pointsFixture{db: db, ctx: context.Background()}
	b, err := models.CreateBoard(f.ctx, db, models.BoardInput{Slug: "printers", Name: "Printers", Visibility: models.VisibilityPublic})
	if err != nil {
		t.Fatal(err)
	}
	f.board = b
	return f
}

// user creates a user. veteran users are two days old and hold 10 points
// (from the ledger, so the books balance), so their kudos count.
func (f *pointsFixture) user(t *testing.T, handle string, veteran bool, roles ...models.Role) *models.User {
	t.Helper()
	u := &models.User{Handle: handle, Roles: roles}
	if err := models.CreateUser(f.ctx, f.db, u); err != nil {
		t.Fatal(err)
	}
	if veteran {
		old := time.Now().UTC().Add(-48 * time.Hour)
		if err := f.db.Model(&models.User{}).Where("id = ?", u.ID).Update("created_at", old).Error; err != nil {
			t.Fatal(err)
		}
		u.CreatedAt = old
		f.award(t, models.PointEvent{UserID: u.ID, Reason: models.ReasonAnswerValidated, AwardKey: "seed:" + handle})
	}
	return u
}

func (f *pointsFixture) award(t *testing.T, e models.PointEvent) (*models.PointEvent, bool) {
	t.Helper()
	var ev *models.PointEvent
	var created bool
	err := f.db.Transaction(func(tx *gorm.DB) (err error) {
		ev, created, err = models.Award(tx, e)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ev, created
}

func (f *pointsFixture) ask(t *testing.T, u *models.User, board string) *models.Question {
	t.Helper()
	q, err := models.Ask(f.ctx, f.db, u, models.AskInput{Board: board, Title: "Printer shows E-301", Body: "It blinks."})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func (f *pointsFixture) answer(t *testing.T, u *models.User, q *models.Question) *models.Post {
	t.Helper()
	p, err := models.Answer(f.ctx, f.db, u, q.ID, models.AnswerInput{Body: "Reset the tray."})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// points returns the cached total and checks it equals the ledger's sum.
func (f *pointsFixture) points(t *testing.T, u *models.User) int {
	t.Helper()
	var cached, sum int
	if err := f.db.Raw("SELECT points FROM users WHERE id = ?", u.ID).Scan(&cached).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.db.Raw("SELECT COALESCE(SUM(points), 0) FROM point_events WHERE user_id = ?", u.ID).Scan(&sum).Error; err != nil {
		t.Fatal(err)
	}
	if cached != sum {
		t.Fatalf("%s: users.points %d, ledger sum %d", u.Handle, cached, sum)
	}
	return cached
}

func (f *pointsFixture) questionPost(t *testing.T, q *models.Question) int64 {
	t.Helper()
	var id int64
	if err := f.db.Model(&models.Post{}).Where("question_id = ? AND kind = ?", q.ID, models.KindQuestion).
		Select("id").Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

func TestAwardIsIdempotent(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newPointsFixture(t, db)
		u := f.user(t, "alice", false)
		e := models.PointEvent{UserID: u.ID, Reason: models.ReasonAnswerAccepted, AwardKey: "accept:1:2:1"}
		first, created := f.award(t, e)
		again, created2 := f.award(t, e)
		if !created || created2 || again.ID != first.ID || first.Points != 15 {
			t.Fatalf("first %+v (%v), again %+v (%v)", first, created, again, created2)
		}
		var n int64
		db.Model(&models.PointEvent{}).Where("award_key = ?", e.AwardKey).Count(&n)
		if n != 1 || f.points(t, u) != 15 {
			t.Fatalf("%d rows, %d points", n, f.points(t, u))
		}
	})
}

func TestReverseIsIdempotent(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newPointsFixture(t, db)
		u := f.user(t, "alice", false)
		f.award(t, models.PointEvent{UserID: u.ID, Reason: models.ReasonKudosReceived, AwardKey: "kudos:7"})
		for i, want := range []bool{true, false} {
			var got bool
			err := db.Transaction(func(tx *gorm.DB) (err error) {
				got, err = models.Reverse(tx, "kudos:7", "kudos:7:undo", models.ReasonKudosWithdrawn, nil)
				return err
			})
			if err != nil || got != want {
				t.Fatalf("reverse #%d: %v, %v; want %v", i+1, got, err, want)
			}
		}
		err := db.Transaction(func(tx *gorm.DB) error {
			got, err := models.Reverse(tx, "kudos:999", "kudos:999:undo", "", nil)
			if got {
				t.Error("reversed an award that does not exist")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if p := f.points(t, u); p != 0 {
			t.Fatalf("points after reverse: %d", p)
		}
	})
}

func TestDailyCap(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newPointsFixture(t, db)
		u := f.user(t, "alice", false)
		// 5 questions (+2 each, capped) and 20 kudos (+10 each, capped):
		// 210 earned, 200 kept.
		for i := 0; i < 5; i++ {
			f.ask(t, u, "printers")
		}
		for i := 0; i < 20; i++ {
			f.award(t, models.PointEvent{UserID: u.ID, Reason: models.ReasonKudosReceived, AwardKey: fmt.Sprintf("kudos:%d", 100+i)})
		}
		if p := f.points(t, u); p != 200 {
			t.Fatalf("after capped awards: %d points, want 200", p)
		}
		var rows int64
		db.Model(&models.PointEvent{}).Where("user_id = ?", u.ID).Count(&rows)
		if rows != 25 {
			t.Fatalf("%d ledger rows, want 25 (capped rows are still written)", rows)
		}
		// Accepted answers are exempt from the cap.
		f.award(t, models.PointEvent{UserID: u.ID, Reason: models.ReasonAnswerAccepted, AwardKey: "accept:1:1:1"})
		if p := f.points(t, u); p != 215 {
			t.Fatalf("after an accepted answer: %d points, want 215", p)
		}
		// Yesterday's capped points do not count today.
		v := f.user(t, "bob", false)
		f.award(t, models.PointEvent{UserID: v.ID, Reason: models.ReasonKudosReceived, AwardKey: "kudos:old", Points: 200,
			CreatedAt: time.Now().UTC().Add(-24 * time.Hour)})
		f.award(t, models.PointEvent{UserID: v.ID, Reason: models.ReasonKudosReceived, AwardKey: "kudos:new"})
		if p := f.points(t, v); p != 210 {
			t.Fatalf("bob: %d points, want 210", p)
		}
	})
}

func TestRanksFollowPoints(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newPointsFixture(t, db)
		u := f.user(t, "alice", false)
		f.award(t, models.PointEvent{UserID: u.ID, Reason: models.ReasonAnswerAccepted, Points: 60, AwardKey: "x:1"})
		if _, rank, err := models.UserPoints(f.ctx, db, u.ID); err != nil || rank != "Contributor" {
			t.Fatalf("rank at 60: %q, %v", rank, err)
		}
		var n int64
		db.Table("audit_log").Where("action = ? AND target_user_id = ?", "rank.change", u.ID).Count(&n)
		if n != 1 {
			t.Fatalf("%d rank.change audit entries, want 1", n)
		}
		err := db.Transaction(func(tx *gorm.DB) error {
			_, err := models.Reverse(tx, "x:1", "x:1:undo", "", nil)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, rank, _ := models.UserPoints(f.ctx, db, u.ID); rank != "Newcomer" {
			t.Fatalf("rank after reverse: %q", rank)
		}
	})
}

func TestQuestionAndAnswerPoints(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newPointsFixture(t, db)
		asker, bob, carol := f.user(t, "asker", false), f.user(t, "bob", false), f.user(t, "carol", false)
		mod := f.user(t, "mod", false, models.RoleModerator)
		q := f.ask(t, asker, "printers")
		a1, a2 := f.answer(t, bob, q), f.answer(t, carol, q)
		want := func(step string, pts ...int) {
			t.Helper()
			for i, u := range []*models.User{asker, bob, carol} {
				if got := f.points(t, u); got != pts[i] {
					t.Fatalf("%s: %s has %d points, want %d", step, u.Handle, got, pts[i])
				}
			}
		}
		want("posted", 2, 2, 2)
		accept := func(by *models.User, id int64) {
			t.Helper()
			if err := models.Accept(f.ctx, db, by, q.ID, id); err != nil {
				t.Fatal(err)
			}
		}
		accept(asker, a1.ID)
		want("accepted a1", 4, 17, 2)
		accept(asker, a1.ID) // a retry awards nothing more
		want("accepted a1 again", 4, 17, 2)
		accept(asker, a2.ID)
		want("switched to a2", 4, 2, 17)
		accept(asker, 0)
		want("un-accepted", 2, 2, 2)
		accept(mod, a1.ID) // a moderator accepting gives the asker nothing
		want("moderator accepted a1", 2, 17, 2)
		if err := models.DeletePost(f.ctx, db, bob, a1.ID); err != nil {
			t.Fatal(err)
		}
		want("deleted a1", 2, 0, 2)
		own := f.answer(t, asker, q)
		want("asker answered", 4, 0, 2)
		accept(asker, own.ID)
		want("asker accepted own answer", 4, 0, 2)
		var n int64
		db.Model(&models.OutboxMessage{}).Where("kind = ?", models.TaskBadgeCheck).Count(&n)
		if n == 0 {
			t.Fatal("no badge checks enqueued")
		}
		rep, err := models.RebuildPoints(f.ctx, db)
		if err != nil || len(rep.Drift) != 0 {
			t.Fatalf("rebuild: %+v, %v", rep, err)
		}
	})
}

func TestRebuildPointsReportsDrift(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newPointsFixture(t, db)
		u := f.user(t, "alice", true)
		if err := db.Exec("UPDATE users SET points = 999 WHERE id = ?", u.ID).Error; err != nil {
			t.Fatal(err)
		}
		rep, err := models.RebuildPoints(f.ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Drift) != 1 || rep.Drift[0].OldPoints != 999 || rep.Drift[0].NewPoints != 10 || rep.Drift[0].Handle != "alice" {
			t.Fatalf("drift: %+v", rep.Drift)
		}
		if f.points(t, u) != 10 {
			t.Fatal("rebuild did not fix the cache")
		}
		if rep, _ := models.RebuildPoints(f.ctx, db); len(rep.Drift) != 0 {
			t.Fatalf("second rebuild found drift: %+v", rep.Drift)
		}
	})
}

func TestLedgerHidesPrivateBoards(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newPointsFixture(t, db)
		if _, err := models.CreateBoard(f.ctx, db, models.BoardInput{Slug: "staff", Name: "Staff", Visibility: models.VisibilityStaff}); err != nil {
			t.Fatal(err)
		}
		emp := f.user(t, "emp", false, models.RoleEmployee)
		pub := f.ask(t, emp, "printers")
		priv := f.ask(t, emp, "staff")
		rows, err := models.Ledger(f.ctx, db, nil, emp.ID, 0, 10)
		if err != nil || len(rows) != 2 {
			t.Fatalf("ledger: %d rows, %v", len(rows), err)
		}
		// Newest first: the private question's row shows points only.
		if rows[0].Points != 2 || rows[0].Title != "" || rows[0].QuestionID != 0 {
			t.Errorf("private row leaks: %+v", rows[0])
		}
		if rows[1].QuestionID != pub.ID || rows[1].Title == "" {
			t.Errorf("public row: %+v", rows[1])
		}
		staffRows, _ := models.Ledger(f.ctx, db, emp, emp.ID, 0, 10)
		if staffRows[0].QuestionID != priv.ID {
			t.Errorf("staff viewer: %+v", staffRows[0])
		}
		page2, _ := models.Ledger(f.ctx, db, emp, emp.ID, rows[0].ID, 10)
		if len(page2) != 1 || page2[0].ID != rows[1].ID {
			t.Errorf("second page: %+v", page2)
		}
	})
}
