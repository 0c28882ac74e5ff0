package models_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

func TestKudosRules(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newPointsFixture(t, db)
		if _, err := models.CreateBoard(f.ctx, db, models.BoardInput{Slug: "staff", Name: "Staff", Visibility: models.VisibilityStaff}); err != nil {
			t.Fatal(err)
		}
		author, giver := f.user(t, "author", true), f.user(t, "giver", true)
		emp := f.user(t, "emp", true, models.RoleEmployee)
		q := f.ask(t, author, "printers")
		a := f.answer(t, author, q)
		priv := f.ask(t, emp, "staff")
		base := f.points(t, author)

		if _, err := models.GiveKudos(f.ctx, db, author, a.ID); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("kudos on own post: %v, want ErrForbidden", err)
		}
		if _, err := models.GiveKudos(f.ctx, db, giver, 999999); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("kudos on a missing post: %v", err)
		}
		if _, err := models.GiveKudos(f.ctx, db, giver, f.questionPost(t, priv)); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("kudos on a post the giver cannot see: %v", err)
		}

		st, err := models.GiveKudos(f.ctx, db, giver, a.ID)
		if err != nil || st.Count != 1 || !st.Given {
			t.Fatalf("give: %+v, %v", st, err)
		}
		if p := f.points(t, author); p != base+10 {
			t.Fatalf("author has %d points, want %d", p, base+10)
		}
		st, err = models.WithdrawKudos(f.ctx, db, giver, a.ID)
		if err != nil || st.Count != 0 || st.Given {
			t.Fatalf("withdraw: %+v, %v", st, err)
		}
		if p := f.points(t, author); p != base {
			t.Fatalf("after withdrawal author has %d points, want %d", p, base)
		}
		if st, err := models.WithdrawKudos(f.ctx, db, giver, a.ID); err != nil || st.Count != 0 {
			t.Fatalf("second withdrawal: %+v, %v", st, err)
		}

		// A new account's kudos is recorded but gives nothing.
		newbie := f.user(t, "newbie", false)
		if st, err := models.GiveKudos(f.ctx, db, newbie, a.ID); err != nil || st.Count != 1 {
			t.Fatalf("newbie kudos: %+v, %v", st, err)
		}
		var k models.Kudos
		db.Where("giver_id = ?", newbie.ID).Take(&k)
		if k.Counted || f.points(t, author) != base {
			t.Fatalf("newbie kudos counted=%v, author points %d", k.Counted, f.points(t, author))
		}

		// Deleting the post reverses what its kudos gave.
		if _, err := models.GiveKudos(f.ctx, db, giver, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := models.DeletePost(f.ctx, db, author, a.ID); err != nil {
			t.Fatal(err)
		}
		if p := f.points(t, author); p != base-2 {
			t.Fatalf("after deletion author has %d points, want %d", p, base-2)
		}
		if _, err := models.GiveKudos(f.ctx, db, emp, a.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("kudos on a deleted post: %v", err)
		}

		// The daily limit.
		if err := db.Model(&models.Setting{}).Where("name = ?", models.SettingKudosDailyLimit).Update("value", "1").Error; err != nil {
			t.Fatal(err)
		}
		qp := f.questionPost(t, q)
		if _, err := models.GiveKudos(f.ctx, db, emp, qp); err != nil {
			t.Fatal(err)
		}
		if _, err := models.WithdrawKudos(f.ctx, db, emp, qp); err != nil {
			t.Fatal(err)
		}
		if _, err := models.GiveKudos(f.ctx, db, emp, qp); !errors.Is(err, models.ErrKudosLimit) {
			t.Errorf("kudos over the daily limit: %v", err)
		}

		// Suspended users may not give.
		until := time.Now().Add(time.Hour)
		giver.SuspendedUntil = &until
		if _, err := models.GiveKudos(f.ctx, db, giver, qp); !errors.Is(err, models.ErrSuspended) {
			t.Errorf("suspended giver: %v", err)
		}
	})
}

func TestKudosDoubleClick(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newPointsFixture(t, db)
		author, giver := f.user(t, "author", true), f.user(t, "giver", true)
		q := f.ask(t, author, "printers")
		a := f.answer(t, author, q)
		base := f.points(t, author)
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := models.GiveKudos(f.ctx, db, giver, a.ID); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var live int64
		db.Model(&models.Kudos{}).Where("post_id = ? AND withdrawn_at IS NULL", a.ID).Count(&live)
		p, _ := models.PostByID(f.ctx, db, a.ID)
		if live != 1 || p.KudosCount != 1 || f.points(t, author) != base+10 {
			t.Fatalf("%d live kudos, kudos_count %d, %d points (want 1, 1, %d)", live, p.KudosCount, f.points(t, author), base+10)
		}
	})
}

// TestKudosThousandGivers is DESIGN.md's budget: kudos on one post from
// 1,000 concurrent users gives exactly 1,000 kudos and the exact points.
func TestKudosThousandGivers(t *testing.T) {
	db := testenv.PostgresDB(t)
	f := newPointsFixture(t, db)
	author := f.user(t, "author", false)
	q := f.ask(t, author, "printers")
	a := f.answer(t, author, q)
	base := f.points(t, author)
	const n = 1000
	if err := db.Model(&models.Setting{}).Where("name = ?", models.SettingDailyCap).Update("value", "1000000").Error; err != nil {
		t.Fatal(err)
	}
	givers := make([]*models.User, n)
	old := time.Now().UTC().Add(-72 * time.Hour)
	for i := range givers {
		givers[i] = &models.User{Handle: fmt.Sprintf("giver%04d", i), DisplayName: "Giver", CreatedAt: old, UpdatedAt: old}
	}
	if err := db.CreateInBatches(givers, 500).Error; err != nil {
		t.Fatal(err)
	}
	// Five points each, through the ledger so the books balance.
	if err := db.Exec(`INSERT INTO point_events (user_id, points, reason, award_key, created_at)
		SELECT id, 5, 'answer_validated', 'seed:' || id, ? FROM users WHERE handle LIKE 'giver%'`, old).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("UPDATE users SET points = 5, rank_id = (SELECT id FROM ranks WHERE threshold = 0) WHERE handle LIKE 'giver%'").Error; err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, g := range givers {
		wg.Add(1)
		go func(g *models.User) {
			defer wg.Done()
			if _, err := models.GiveKudos(f.ctx, db, g, a.ID); err != nil {
				errs <- err
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("1,000 concurrent kudos took %v", time.Since(start))
	var live int64
	db.Model(&models.Kudos{}).Where("post_id = ? AND withdrawn_at IS NULL AND counted", a.ID).Count(&live)
	p, _ := models.PostByID(f.ctx, db, a.ID)
	if live != n || p.KudosCount != n {
		t.Fatalf("%d live counted kudos, kudos_count %d; want %d", live, p.KudosCount, n)
	}
	if got := f.points(t, author); got != base+10*n {
		t.Fatalf("author has %d points, want %d", got, base+10*n)
	}
	if rep, err := models.RebuildPoints(f.ctx, db); err != nil || len(rep.Drift) != 0 {
		t.Fatalf("rebuild: %v, %d users drifted", err, len(rep.Drift))
	}
}
