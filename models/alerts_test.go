package models_test

import (
	"errors"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

func TestAlertSubscriptions(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newPointsFixture(t, db)
		staff, err := models.CreateBoard(f.ctx, db, models.BoardInput{Slug: "staff", Name: "Staff", Visibility: models.VisibilityStaff})
		if err != nil {
			t.Fatal(err)
		}
		pm := f.user(t, "pia", false, models.RoleProduct)
		member := f.user(t, "mina", false)
		if _, err := models.SaveAlertSubscription(f.ctx, db, member, models.AlertInput{BoardID: f.board.ID, Email: true}); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("a member subscribed: %v", err)
		}
		if _, err := models.SaveAlertSubscription(f.ctx, db, pm, models.AlertInput{BoardID: staff.ID, Email: true}); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("subscribed to a board the user cannot read: %v", err)
		}
		for _, bad := range []string{"ftp://example.com/x", "http://example.com/hook", "https://user:pw@example.com/x", "https://", "not a url"} {
			_, err := models.SaveAlertSubscription(f.ctx, db, pm, models.AlertInput{BoardID: f.board.ID, WebhookURL: bad})
			var v *models.ValidationError
			if !errors.As(err, &v) || v.Field("webhook_url") == nil {
				t.Errorf("webhook %q: %v", bad, err)
			}
		}
		s, err := models.SaveAlertSubscription(f.ctx, db, pm, models.AlertInput{BoardID: f.board.ID, Email: true, WebhookURL: "https://hooks.example.com/T1"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(s.WebhookSecret, "whsec_") || len(s.WebhookSecret) < 40 {
			t.Errorf("secret %q", s.WebhookSecret)
		}
		again, err := models.SaveAlertSubscription(f.ctx, db, pm, models.AlertInput{BoardID: f.board.ID, Email: true, WebhookURL: "https://hooks.example.com/T2"})
		if err != nil || again.ID != s.ID || again.WebhookSecret != s.WebhookSecret {
			t.Errorf("changing the URL changed the secret or the row: %+v, %v", again, err)
		}
		rot, err := models.SaveAlertSubscription(f.ctx, db, pm, models.AlertInput{BoardID: f.board.ID, WebhookURL: "https://hooks.example.com/T2", NewSecret: true})
		if err != nil || rot.WebhookSecret == s.WebhookSecret || rot.Email {
			t.Errorf("rotating the secret: %+v, %v", rot, err)
		}
		// Every board too: one mail per person for a new issue on printers.
		if _, err := models.SaveAlertSubscription(f.ctx, db, pm, models.AlertInput{Email: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := models.SaveAlertSubscription(f.ctx, db, pm, models.AlertInput{BoardID: f.board.ID, Email: true, WebhookURL: "https://hooks.example.com/T2"}); err != nil {
			t.Fatal(err)
		}
		rs, err := models.AlertRecipients(f.ctx, db, f.board)
		if err != nil {
			t.Fatal(err)
		}
		mails := 0
		for _, r := range rs {
			if r.Email {
				mails++
			}
		}
		if len(rs) != 2 || mails != 1 {
			t.Errorf("%d recipients, %d mails; want 2 subscriptions and one mail", len(rs), mails)
		}
		// Nothing asked: the subscription goes.
		if _, err := models.SaveAlertSubscription(f.ctx, db, pm, models.AlertInput{BoardID: f.board.ID}); err != nil {
			t.Fatal(err)
		}
		subs, _ := models.AlertSubscriptionsOf(f.ctx, db, pm)
		if len(subs) != 1 || subs[0].BoardID != 0 {
			t.Errorf("subscriptions after removal: %+v", subs)
		}
		// A product member who loses the role hears nothing more.
		if err := db.Exec("DELETE FROM user_roles WHERE user_id = ?", pm.ID).Error; err != nil {
			t.Fatal(err)
		}
		if rs, _ := models.AlertRecipients(f.ctx, db, f.board); len(rs) != 0 {
			t.Errorf("%d recipients after the role went", len(rs))
		}
	})
}
