package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// TestPointsRebuildCommand breaks a user's cached points and checks that
// `crowdcare points rebuild` reports and fixes the drift, then finds none.
func TestPointsRebuildCommand(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(string(b), func(t *testing.T) {
			ctx := context.Background()
			env := backendEnv(t, b, t.TempDir())
			if err := run(ctx, []string{"migrate"}, envOf(env), io.Discard); err != nil {
				t.Fatal(err)
			}
			db := openDB(t, env)
			u := &models.User{Handle: "alice"}
			if err := models.CreateUser(ctx, db, u); err != nil {
				t.Fatal(err)
			}
			err := db.Transaction(func(tx *gorm.DB) error {
				_, _, err := models.Award(tx, models.PointEvent{UserID: u.ID, Reason: models.ReasonAnswerAccepted, Points: 60, AwardKey: "test:1"})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Exec("UPDATE users SET points = 7 WHERE id = ?", u.ID).Error; err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := run(ctx, []string{"points", "rebuild"}, envOf(env), &out); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "1 drifted") || !strings.Contains(out.String(), "alice") || !strings.Contains(out.String(), "points 7 -> 60") {
				t.Fatalf("rebuild printed %q", out.String())
			}
			out.Reset()
			if err := run(ctx, []string{"points", "rebuild"}, envOf(env), &out); err != nil || !strings.Contains(out.String(), "0 drifted") {
				t.Fatalf("second rebuild: %v %q", err, out.String())
			}
			if err := run(ctx, []string{"points"}, envOf(env), io.Discard); err == nil {
				t.Error("`points` without rebuild accepted")
			}
		})
	}
}
