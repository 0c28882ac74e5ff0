package models_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// agWorld is a forum where kudos can be given at chosen times.
type agWorld struct {
	t     *testing.T
	db    *gorm.DB
	board *models.Board
	q     *models.Question
	users map[string]*models.User
	now   time.Time
}

func newAGWorld(t *testing.T, db *gorm.DB, handles ...string) *agWorld {
	t.Helper()
	ctx := context.Background()
	w := &agWorld{t: t, db: db, users: map[string]*models.User{}, now: time.Now().UTC().Truncate(time.Second)}
	for _, h := range append([]string{"asker"}, handles...) {
		u := &models.User{Handle: h}
		if h == "mod" {
			u.Roles = []models.Role{models.RoleModerator}
		}
		if err := models.CreateUser(ctx, db, u); err != nil {
			t.Fatal(err)
		}
		w.users[h] = u
	}
	var err error
	if w.board, err = models.CreateBoard(ctx, db, models.BoardInput{Slug: "printers", Name: "Printers", Visibility: models.VisibilityPublic}); err != nil {
		t.Fatal(err)
	}
	if w.q, err = models.Ask(ctx, db, w.users["asker"], models.AskInput{Board: "printers", Title: "Printer blinks orange", Body: "Why?"}); err != nil {
		t.Fatal(err)
	}
	return w
}

// kudos has giver give n counted kudos to receiver, each on a new answer
// by receiver, the i-th at at(i), with its points, as GiveKudos does.
func (w *agWorld) kudos(giver, receiver string, n int, at func(i int) time.Time) []int64 {
	w.t.Helper()
	g, r := w.users[giver], w.users[receiver]
	var ids []int64
	for i := 0; i < n; i++ {
		p, err := models.Answer(context.Background(), w.db, r, w.q.ID, models.AnswerInput{Body: fmt.Sprintf("Answer %d from %s", i, receiver)})
		if err != nil {
			w.t.Fatal(err)
		}
		err = w.db.Transaction(func(tx *gorm.DB) error {
			k := models.Kudos{PostID: p.ID, GiverID: g.ID, ReceiverID: r.ID, Counted: true, CreatedAt: at(i)}
			if err := tx.Create(&k).Error; err != nil {
				return err
			}
			ids = append(ids, k.ID)
			_, _, err := models.Award(tx, models.PointEvent{UserID: r.ID, Points: 10, Reason: models.ReasonKudosReceived, SubjectType: models.SubjectPost,
				SubjectID: p.ID, BoardID: &w.board.ID, ActorID: &g.ID, AwardKey: models.KudosAwardKey(k.ID), CreatedAt: at(i)})
			return err
		})
		if err != nil {
			w.t.Fatal(err)
		}
	}
	return ids
}

func (w *agWorld) minutesAgo(step int) func(int) time.Time {
	return func(i int) time.Time { return w.now.Add(-time.Duration((i+1)*step) * time.Minute) }
}

func (w *agWorld) points() map[string]int {
	w.t.Helper()
	out := map[string]int{}
	for h, u := range w.users {
		var p int
		w.db.Table("users").Select("points").Where("id = ?", u.ID).Scan(&p)
		out[h] = p
	}
	return out
}

func (w *agWorld) count(q string, args ...any) int64 {
	w.t.Helper()
	var n int64
	if err := w.db.Raw(q, args...).Scan(&n).Error; err != nil {
		w.t.Fatal(err)
	}
	return n
}

func TestKudosAudit(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := newAGWorld(t, db, "giver", "rex", "ivy", "ian", "xena", "yuri", "zoe", "ann", "ben", "cal", "mod")
		serial := w.kudos("giver", "rex", 7, w.minutesAgo(20))
		// Innocent: exactly the limit, and many kudos spread over days.
		w.kudos("ivy", "rex", 5, w.minutesAgo(30))
		w.kudos("giver", "ian", 6, func(i int) time.Time { return w.now.Add(-time.Duration(i*9) * time.Hour) })
		// A ring of two, and a one-sided friendship that is no ring.
		ring := append(w.kudos("xena", "yuri", 3, w.minutesAgo(60)), w.kudos("yuri", "xena", 3, w.minutesAgo(45))...)
		w.kudos("xena", "zoe", 3, w.minutesAgo(50))
		w.kudos("zoe", "xena", 2, w.minutesAgo(55))
		// A circle of three.
		circle := append(append(w.kudos("ann", "ben", 3, w.minutesAgo(10)), w.kudos("ben", "cal", 3, w.minutesAgo(11))...), w.kudos("cal", "ann", 3, w.minutesAgo(12))...)
		// Old kudos are outside the audit.
		w.kudos("ivy", "ian", 7, func(i int) time.Time { return w.now.Add(-72*time.Hour - time.Duration(i)*time.Minute) })

		before := w.points()
		res, err := models.AuditKudos(ctx, db, models.KudosAuditOptions{Now: w.now})
		if err != nil {
			t.Fatal(err)
		}
		if res.Cases != 3 || res.Reversed != len(serial)+len(ring)+len(circle) {
			t.Fatalf("audit: %+v", res)
		}
		after := w.points()
		want := map[string]int{"rex": -70, "xena": -30, "yuri": -30, "ann": -30, "ben": -30, "cal": -30}
		for h := range w.users {
			if got := after[h] - before[h]; got != want[h] {
				t.Errorf("%s: points moved by %d, want %d", h, got, want[h])
			}
		}
		cases, err := models.KudosCases(ctx, db, models.CaseOpen, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, c := range cases {
			third := ""
			if c.ThirdHandle != nil {
				third = ">" + *c.ThirdHandle
			}
			got[c.Kind] = fmt.Sprintf("%s>%s%s:%d:%d", c.GiverHandle, c.ReceiverHandle, third, c.KudosCount, c.PointsReversed)
		}
		wantCases := map[string]string{models.CaseSerial: "giver>rex:7:70", models.CaseRing: "xena>yuri:6:60", models.CaseRing3: "ann>ben>cal:9:90"}
		if fmt.Sprint(got) != fmt.Sprint(wantCases) {
			t.Errorf("cases %v, want %v", got, wantCases)
		}
		if n := w.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'kudos.case_open'`); n != 3 {
			t.Errorf("%d audit entries", n)
		}
		if n := w.count(`SELECT COUNT(*) FROM kudos WHERE id IN ? AND counted`, serial); n != 0 {
			t.Errorf("%d reversed kudos still counted", n)
		}

		// Running again over the same time: nothing new, nothing twice.
		if res, err := models.AuditKudos(ctx, db, models.KudosAuditOptions{Now: w.now}); err != nil || res.Cases != 0 || res.Reversed != 0 {
			t.Fatalf("second audit: %+v %v", res, err)
		}
		if n := w.count(`SELECT COUNT(*) FROM point_events WHERE award_key LIKE '%:ring'`); n != 22 {
			t.Errorf("%d reversal rows after two audits, want 22", n)
		}
		// Withdrawing a reversed kudos takes nothing more.
		var post int64
		db.Raw(`SELECT post_id FROM kudos WHERE id = ?`, serial[0]).Scan(&post)
		if _, err := models.WithdrawKudos(ctx, db, w.users["giver"], post); err != nil {
			t.Fatal(err)
		}
		if p := w.points()["rex"]; p != after["rex"] {
			t.Errorf("withdrawing a reversed kudos moved rex from %d to %d", after["rex"], p)
		}
		// The ledger and the cached totals agree.
		if rep, err := models.RebuildPoints(ctx, db); err != nil || len(rep.Drift) != 0 {
			t.Errorf("drift after the audit: %+v %v", rep.Drift, err)
		}

		// Moderators decide; members may not; a decided case stays decided.
		id := cases[0].ID
		if err := models.DecideKudosCase(ctx, db, w.users["ivy"], id, models.CaseConfirmed); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("member decided: %v", err)
		}
		mod, _ := models.UserByID(ctx, db, w.users["mod"].ID)
		if err := models.DecideKudosCase(ctx, db, mod, id, "maybe"); err == nil {
			t.Error("decided with an unknown status")
		}
		if err := models.DecideKudosCase(ctx, db, mod, id, models.CaseConfirmed); err != nil {
			t.Fatal(err)
		}
		if err := models.DecideKudosCase(ctx, db, mod, id, models.CaseDismissed); !errors.Is(err, models.ErrConflict) {
			t.Errorf("decided twice: %v", err)
		}
		if err := models.DecideKudosCase(ctx, db, mod, 99999, models.CaseDismissed); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("missing case: %v", err)
		}
		if n := w.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'kudos.case_confirmed' AND actor_id = ?`, mod.ID); n != 1 {
			t.Errorf("%d confirm audit entries", n)
		}
		if open, _ := models.KudosCases(ctx, db, models.CaseOpen, 0, 0); len(open) != 2 {
			t.Errorf("%d open cases after one was confirmed", len(open))
		}
	})
}

// TestKudosAuditSerialWindow: serial means more than five within any 24
// hours of the two-day look-back, not within one fixed day.
func TestKudosAuditSerialWindow(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		w := newAGWorld(t, db, "giver", "rex")
		// Three kudos 30 to 26 hours ago, three 2 hours ago: six within
		// 28 hours but never more than five within 24: innocent.
		w.kudos("giver", "rex", 3, func(i int) time.Time { return w.now.Add(-30*time.Hour + time.Duration(i)*2*time.Hour) })
		w.kudos("giver", "rex", 3, func(i int) time.Time { return w.now.Add(-2*time.Hour + time.Duration(i)*time.Minute) })
		res, err := models.AuditKudos(context.Background(), db, models.KudosAuditOptions{Now: w.now})
		if err != nil || res.Cases != 0 {
			t.Fatalf("innocent spread flagged: %+v %v", res, err)
		}
		// Three more 20 to 18 hours ago: now six fall within 24 hours
		// from 30 hours ago (across the start of the last day), and six
		// from 20 hours ago: all nine are one serial case.
		w.kudos("giver", "rex", 3, func(i int) time.Time { return w.now.Add(-20*time.Hour + time.Duration(i)*time.Hour) })
		res, err = models.AuditKudos(context.Background(), db, models.KudosAuditOptions{Now: w.now})
		if err != nil || res.Cases != 1 || res.Reversed != 9 {
			t.Fatalf("serial across the window: %+v %v", res, err)
		}
	})
}
