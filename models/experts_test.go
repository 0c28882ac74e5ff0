package models_test

import (
	"errors"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

func openProgram(t *testing.T, db *gorm.DB) {
	t.Helper()
	if err := db.Exec("UPDATE settings SET value = '0' WHERE name = ?", models.SettingApplyMinRank).Error; err != nil {
		t.Fatal(err)
	}
}

func applyInput(board int64) models.ApplyInput {
	return models.ApplyInput{Statement: "I have answered printer questions for years.", BoardIDs: []int64{board}, AcceptGuidelines: true}
}

// TestApplyConcurrently: a burst of the same application (a double click,
// a retried request) files exactly one pending application.
func TestApplyConcurrently(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newPointsFixture(t, db)
		openProgram(t, db)
		u := f.user(t, "mina", false)
		var wg sync.WaitGroup
		errs := make([]error, 12)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = models.ApplyForExpert(f.ctx, db, u, applyInput(f.board.ID))
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, models.ErrApplicationPending):
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		var n int64
		db.Model(&models.ExpertApplication{}).Where("user_id = ?", u.ID).Count(&n)
		if ok != 1 || n != 1 {
			t.Errorf("%d applications filed, %d rows; want 1 and 1", ok, n)
		}
	})
}

// TestDecideConcurrently: two admins deciding the same application at once
// make one decision; the other is told it was decided.
func TestDecideConcurrently(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newPointsFixture(t, db)
		openProgram(t, db)
		u := f.user(t, "mina", false)
		a1, a2 := f.user(t, "ada", false, models.RoleAdmin), f.user(t, "bea", false, models.RoleAdmin)
		app, err := models.ApplyForExpert(f.ctx, db, u, applyInput(f.board.ID))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, admin := range []*models.User{a1, a2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = models.DecideApplication(f.ctx, db, admin, app.ID, models.DecisionInput{Approve: i == 0, TierID: 1, Note: "decided"})
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("both or neither decision succeeded: %v, %v", errs[0], errs[1])
		}
		for _, err := range errs {
			if err != nil && !errors.Is(err, models.ErrNotPending) {
				t.Errorf("the losing decision: %v, want ErrNotPending", err)
			}
		}
		var notes, audits int64
		db.Model(&models.Notification{}).Where("user_id = ?", u.ID).Count(&notes)
		db.Model(&models.AuditEntry{}).Where("action = 'experts.decide' AND target_user_id = ?", u.ID).Count(&audits)
		if notes != 1 || audits != 1 {
			t.Errorf("%d notifications and %d audit entries, want one each", notes, audits)
		}
	})
}

// TestVerifyConcurrently: many verifiers clicking at once verify once and
// award the points once; Notify is idempotent on its key.
func TestVerifyConcurrently(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newPointsFixture(t, db)
		author := f.user(t, "author", true)
		q := f.ask(t, author, "printers")
		a := f.answer(t, author, q)
		base := f.points(t, author)
		var wg sync.WaitGroup
		for i := range 8 {
			emp := f.user(t, "emp"+string(rune('a'+i)), true, models.RoleEmployee)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := models.VerifyAnswer(f.ctx, db, emp, a.ID); err != nil {
					t.Errorf("verify: %v", err)
				}
			}()
		}
		wg.Wait()
		if got := f.points(t, author) - base; got != 10 {
			t.Errorf("verification gave %d points, want 10", got)
		}
		var notes int64
		db.Model(&models.Notification{}).Where("user_id = ? AND kind = ?", author.ID, models.NotifyAnswerVerified).Count(&notes)
		if notes != 1 {
			t.Errorf("%d verification notifications, want 1", notes)
		}
		// Notify twice with one key writes one row.
		err := db.Transaction(func(tx *gorm.DB) error {
			for range 2 {
				if _, err := models.Notify(tx, models.Notification{UserID: author.ID, Kind: models.NotifyExpertResumed, DedupKey: "same"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		db.Model(&models.Notification{}).Where("user_id = ? AND dedup_key = 'same'", author.ID).Count(&notes)
		if notes != 1 {
			t.Errorf("Notify wrote %d rows for one key", notes)
		}
	})
}
