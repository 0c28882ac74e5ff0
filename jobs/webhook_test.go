package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// receiver is a webhook endpoint on loopback that checks signatures the
// way a real receiver would and answers with the status it is told.
type receiver struct {
	mu     sync.Mutex
	status int
	got    []http.Header
	bodies []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.got = append(rc.got, r.Header.Clone())
	rc.bodies = append(rc.bodies, string(b))
	w.WriteHeader(rc.status)
}

func TestWebhookDelivery(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		pm := &models.User{Handle: "pia", Roles: []models.Role{models.RoleProduct}}
		if err := models.CreateUser(ctx, db, pm); err != nil {
			t.Fatal(err)
		}
		b, err := models.CreateBoard(ctx, db, models.BoardInput{Slug: "printers", Name: "Printers", Visibility: models.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		rc := &receiver{status: http.StatusOK}
		srv := httptest.NewServer(rc)
		defer srv.Close()
		sub, err := models.SaveAlertSubscription(ctx, db, pm, models.AlertInput{BoardID: b.ID, WebhookURL: srv.URL + "/hook"})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		d := Deps{DB: db, Now: func() time.Time { return now }}
		body := json.RawMessage(`{"text":"New emerging issue on Printers: E-301 after update","issue":{"id":7}}`)
		task, err := NewWebhookTask(WebhookDelivery{SubscriptionID: sub.ID, Event: "issue.new", Key: "issue:7:sub:1", Body: body})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.handleWebhookSend(ctx, task); err != nil {
			t.Fatal(err)
		}
		rc.mu.Lock()
		h, got := rc.got[0], rc.bodies[0]
		rc.mu.Unlock()
		ts, _ := strconv.ParseInt(h.Get("X-Crowdcare-Timestamp"), 10, 64)
		if got != string(body) || ts != now.Unix() || h.Get("X-Crowdcare-Event") != "issue.new" || h.Get("Content-Type") != "application/json" {
			t.Errorf("delivered %q with headers %v", got, h)
		}
		if want := SignWebhook(sub.WebhookSecret, ts, []byte(got)); h.Get("X-Crowdcare-Signature") != want {
			t.Errorf("signature %q, want %q", h.Get("X-Crowdcare-Signature"), want)
		}
		if SignWebhook("other secret", ts, []byte(got)) == h.Get("X-Crowdcare-Signature") {
			t.Error("the signature does not depend on the secret")
		}
		// A failing receiver: 5xx and 429 are retried, 4xx are not.
		for status, retry := range map[int]bool{500: true, 503: true, 429: true, 400: false, 404: false, 410: false} {
			rc.mu.Lock()
			rc.status = status
			rc.mu.Unlock()
			err := d.handleWebhookSend(ctx, task)
			if err == nil || errors.Is(err, asynq.SkipRetry) == retry {
				t.Errorf("status %d: %v (retry wanted: %v)", status, err, retry)
			}
		}
		// A receiver that is down is retried.
		down := httptest.NewServer(rc)
		down.Close()
		if _, err := models.SaveAlertSubscription(ctx, db, pm, models.AlertInput{BoardID: b.ID, WebhookURL: down.URL}); err != nil {
			t.Fatal(err)
		}
		if err := d.handleWebhookSend(ctx, task); err == nil || errors.Is(err, asynq.SkipRetry) {
			t.Errorf("unreachable receiver: %v, want a retry", err)
		}
		// Unsubscribed since: nothing to deliver, nothing to retry.
		if _, err := models.SaveAlertSubscription(ctx, db, pm, models.AlertInput{BoardID: b.ID}); err != nil {
			t.Fatal(err)
		}
		if err := d.handleWebhookSend(ctx, task); err != nil {
			t.Errorf("delivery to a removed subscription: %v", err)
		}
		if err := d.handleWebhookSend(ctx, asynq.NewTask(TaskWebhookSend, []byte("{"))); !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("bad payload: %v", err)
		}
	})
}
