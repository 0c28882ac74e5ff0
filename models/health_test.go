package models_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// healthWorld is a hand-made forum whose health figures are known: see
// TestCommunityHealthFigures for every question and what it counts for.
type healthWorld struct {
	t                          *testing.T
	db                         *gorm.DB
	ctx                        context.Context
	users                      map[string]*models.User
	printers, scanners, staff  int64
	from, to, now              time.Time
	omarID, emilID, rayID, pia int64
}

func (w *healthWorld) user(handle string, roles ...models.Role) *models.User {
	u := newTestUser(w.t, w.db, handle, roles...)
	w.users[handle] = u
	return u
}

// ask posts a question at the given time with the given language.
func (w *healthWorld) ask(asker, board string, at time.Time, lang string) int64 {
	w.t.Helper()
	q, err := models.Ask(w.ctx, w.db, w.users[asker], models.AskInput{Board: board, Title: "Health question asked at " + at.Format(time.DateTime), Body: "Body."})
	if err != nil {
		w.t.Fatal(err)
	}
	w.exec("UPDATE questions SET created_at = ?, lang = ? WHERE id = ?", at, lang, q.ID)
	w.exec("UPDATE posts SET created_at = ? WHERE question_id = ?", at, q.ID)
	return q.ID
}

// answer posts an answer after the given delay from the question.
func (w *healthWorld) answer(author string, qid int64, after time.Duration) int64 {
	w.t.Helper()
	a, err := models.Answer(w.ctx, w.db, w.users[author], qid, models.AnswerInput{Body: "An answer by " + author + "."})
	if err != nil {
		w.t.Fatal(err)
	}
	var asked time.Time
	if err := w.db.Raw("SELECT created_at FROM questions WHERE id = ?", qid).Scan(&asked).Error; err != nil {
		w.t.Fatal(err)
	}
	w.exec("UPDATE posts SET created_at = ? WHERE id = ?", asked.Add(after).UTC(), a.ID)
	return a.ID
}

func (w *healthWorld) exec(sql string, args ...any) {
	w.t.Helper()
	if err := w.db.Exec(sql, args...).Error; err != nil {
		w.t.Fatal(err)
	}
}

func newHealthWorld(t *testing.T, db *gorm.DB) *healthWorld {
	w := &healthWorld{t: t, db: db, ctx: context.Background(), users: map[string]*models.User{},
		from: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC),
		now: time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)}
	for _, b := range []struct {
		slug   string
		vis    models.Visibility
		target int
		id     *int64
	}{{"printers", models.VisibilityPublic, 60, &w.printers}, {"scanners", models.VisibilityPublic, 0, &w.scanners},
		{"staff-room", models.VisibilityStaff, 30, &w.staff}} {
		bd, err := models.CreateBoard(w.ctx, db, models.BoardInput{Slug: b.slug, Name: b.slug, Visibility: b.vis, FirstResponseMinutes: b.target})
		if err != nil {
			t.Fatal(err)
		}
		*b.id = bd.ID
	}
	w.user("asha")
	w.user("bob")
	w.omarID = w.user("omar").ID
	w.emilID = w.user("emil", models.RoleEmployee).ID
	w.rayID = w.user("ray", models.RoleExpert).ID
	w.user("mona", models.RoleModerator)
	w.pia = w.user("pia", models.RoleProduct).ID
	day := func(d int, h, m int) time.Time {
		return w.from.AddDate(0, 0, d).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}

	q1 := w.ask("asha", "printers", day(0, 10, 0), "en")
	a := w.answer("omar", q1, 30*time.Minute)
	w.answer("emil", q1, 2*time.Hour)
	if err := models.Accept(w.ctx, db, w.users["asha"], q1, a); err != nil {
		t.Fatal(err)
	}
	q2 := w.ask("asha", "printers", day(0, 12, 0), "en")
	v := w.answer("emil", q2, 90*time.Minute)
	w.exec("UPDATE posts SET verified_by = ?, verified_at = ? WHERE id = ?", w.rayID, day(1, 0, 0), v)
	q3 := w.ask("bob", "printers", day(1, 9, 0), "en")
	w.answer("ray", q3, 10*time.Minute)
	q4 := w.ask("bob", "printers", day(1, 9, 30), "en")
	gone := w.answer("emil", q4, time.Minute)
	if err := models.DeletePost(w.ctx, db, w.users["emil"], gone); err != nil {
		t.Fatal(err)
	}
	w.answer("bob", q4, 5*time.Minute) // the asker's own answer is no response
	w.answer("omar", q4, 4*time.Hour)
	w.ask("asha", "printers", day(2, 8, 0), "en") // q5: never answered
	q6 := w.ask("asha", "scanners", day(2, 9, 0), "hi")
	w.answer("ray", q6, 24*time.Hour)
	q7 := w.ask("bob", "scanners", day(3, 9, 0), "hi")
	a = w.answer("omar", q7, 3*time.Hour)
	if err := models.Accept(w.ctx, db, w.users["bob"], q7, a); err != nil {
		t.Fatal(err)
	}
	w.ask("asha", "scanners", day(5, 9, 0), "") // q8: never answered, no target
	q9 := w.ask("emil", "staff-room", day(4, 9, 0), "en")
	w.answer("mona", q9, 20*time.Minute)
	q10 := w.ask("bob", "printers", day(6, 23, 0), "en")
	w.answer("emil", q10, 45*time.Minute)
	// Outside the period, or deleted: never counted.
	q11 := w.ask("asha", "printers", w.from.Add(-time.Hour), "en")
	w.answer("omar", q11, time.Minute)
	q12 := w.ask("asha", "printers", w.to, "en")
	w.answer("omar", q12, time.Minute)
	q13 := w.ask("asha", "printers", day(3, 3, 0), "en")
	w.answer("omar", q13, time.Minute)
	var body int64
	db.Raw("SELECT id FROM posts WHERE question_id = ? AND kind = 'question'", q13).Scan(&body)
	if err := models.DeletePost(w.ctx, db, w.users["asha"], body); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestCommunityHealthFigures computes the dashboard over a hand-made
// forum whose every figure is known, for a product team member (who
// cannot read the staff board), for an admin and for one board.
//
// In the period (1–7 March 2026), on boards the product member reads:
//
//	q1  printers d0 omar +30m (accepted), emil +2h later
//	q2  printers d0 emil +90m, verified          breach (target 60m)
//	q3  printers d1 ray +10m
//	q4  printers d1 emil +1m deleted, asker +5m, omar +4h   breach
//	q5  printers d2 unanswered                   breach
//	q6  scanners d2 hi ray +24h
//	q7  scanners d3 hi omar +3h (accepted)
//	q8  scanners d5 no language, unanswered, no target
//	q10 printers d6 emil +45m
//
// and q9 on the staff board (d4, mona +20m, target 30m) for the admin.
func TestCommunityHealthFigures(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		w := newHealthWorld(t, db)
		pia := w.users["pia"]
		pia.Roles = []models.Role{models.RoleProduct}
		h, err := models.CommunityHealth(w.ctx, db, pia, models.HealthQuery{From: w.from, To: w.to, Now: w.now})
		if err != nil {
			t.Fatal(err)
		}
		check := func(name string, got, want any) {
			t.Helper()
			if got != want {
				t.Errorf("%s = %v, want %v", name, got, want)
			}
		}
		check("asked", h.Asked, int64(9))
		check("answered", h.Answered, int64(7))
		check("resolved", h.Resolved, int64(3))
		// Delays 600 1800 2700 5400 10800 14400 86400 s: the median is the
		// 4th; the 90th percentile sits at rank 5.4, 14400 + 0.4 × 72000.
		check("median", h.MedianSeconds, 5400.0)
		check("p90", h.P90Seconds, 43200.0)
		check("by employee", h.ByEmployee, int64(2))
		check("by expert", h.ByExpert, int64(2))
		check("by member", h.ByMember, int64(3))
		check("with target", h.WithTarget, int64(6))
		check("breaches", h.Breaches, int64(3))
		wantDelays := []int64{3, 2, 1, 1, 0, 0}
		for i, n := range wantDelays {
			check("delay bucket "+models.HealthDelayBucketNames[i], h.Delays[i], n)
		}
		wantDays := []int64{2, 2, 2, 1, 0, 1, 1}
		if len(h.Days) != len(wantDays) {
			t.Fatalf("%d days", len(h.Days))
		}
		for i, n := range wantDays {
			check("day "+h.Days[i].Day.Format(time.DateOnly), h.Days[i].Count, n)
		}
		wantLangs := []models.HealthLanguage{{Lang: "en", Count: 6}, {Lang: "hi", Count: 2}, {Lang: "", Count: 1}}
		if len(h.Languages) != len(wantLangs) {
			t.Fatalf("languages %+v", h.Languages)
		}
		for i, l := range wantLangs {
			check("language "+l.Lang, h.Languages[i], l)
		}
		wantTop := []models.HealthContributor{
			{UserID: w.omarID, Handle: "omar", Answers: 3, FirstResponses: 3, Accepted: 2},
			{UserID: w.emilID, Handle: "emil", Answers: 3, FirstResponses: 2},
			{UserID: w.rayID, Handle: "ray", Answers: 2, FirstResponses: 2},
		}
		if len(h.Top) != len(wantTop) {
			t.Fatalf("top %+v", h.Top)
		}
		for i, c := range wantTop {
			c.DisplayName = h.Top[i].DisplayName
			check("contributor "+c.Handle, h.Top[i], c)
		}

		// The admin also reads the staff board: q9, answered by a moderator
		// (an "other member") in 20 minutes, within its 30-minute target.
		admin := w.user("ada", models.RoleAdmin)
		h, err = models.CommunityHealth(w.ctx, db, admin, models.HealthQuery{From: w.from, To: w.to, Now: w.now})
		if err != nil {
			t.Fatal(err)
		}
		check("admin asked", h.Asked, int64(10))
		check("admin answered", h.Answered, int64(8))
		check("admin by member", h.ByMember, int64(4))
		check("admin with target", h.WithTarget, int64(7))
		check("admin breaches", h.Breaches, int64(3))
		// 8 delays: 600 1200 1800 2700 5400 10800 14400 86400.
		check("admin median", h.MedianSeconds, 4050.0)
		check("admin day 4", h.Days[4].Count, int64(1))

		// One board: scanners' delays 10800 and 86400.
		h, err = models.CommunityHealth(w.ctx, db, pia, models.HealthQuery{From: w.from, To: w.to, Now: w.now, BoardID: w.scanners})
		if err != nil {
			t.Fatal(err)
		}
		check("scanners asked", h.Asked, int64(3))
		check("scanners answered", h.Answered, int64(2))
		check("scanners median", h.MedianSeconds, 48600.0)
		check("scanners p90", h.P90Seconds, 78840.0)
		check("scanners with target", h.WithTarget, int64(0))

		// A board the viewer cannot read counts nothing, even asked for.
		h, err = models.CommunityHealth(w.ctx, db, pia, models.HealthQuery{From: w.from, To: w.to, Now: w.now, BoardID: w.staff})
		if err != nil {
			t.Fatal(err)
		}
		check("staff board for product", h.Asked, int64(0))
		check("staff board median", h.MedianSeconds, 0.0)
	})
}
