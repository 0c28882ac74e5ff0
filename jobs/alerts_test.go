package jobs

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// TestIssueAlertQueuesOnce: a new issue queues one mail per subscriber with
// a verified email and one delivery per webhook, once however often the
// job runs.
func TestIssueAlertQueuesOnce(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		mk := func(h string, roles ...models.Role) *models.User {
			u := &models.User{Handle: h, Email: h + "@example.com", EmailVerified: true, Roles: roles}
			if err := models.CreateUser(ctx, db, u); err != nil {
				t.Fatal(err)
			}
			return u
		}
		pia, pat := mk("pia", models.RoleProduct), mk("pat", models.RoleProduct)
		b, err := models.CreateBoard(ctx, db, models.BoardInput{Slug: "printers", Name: "Printers", Visibility: models.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.SaveAlertSubscription(ctx, db, pia, models.AlertInput{BoardID: b.ID, Email: true, WebhookURL: "https://hooks.example.com/T1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := models.SaveAlertSubscription(ctx, db, pat, models.AlertInput{Email: true}); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Second)
		issue := models.EmergingIssue{BoardID: b.ID, Status: models.IssueNew, Title: "e-301 after update", Score: 9, QuestionCount: 12,
			AskerCount: 11, FirstQuestionAt: now.Add(-2 * time.Hour), LastQuestionAt: now, DetectedAt: now, CreatedAt: now, UpdatedAt: now}
		if err := db.Create(&issue).Error; err != nil {
			t.Fatal(err)
		}
		d := Deps{DB: db, BaseURL: "https://forum.example"}
		payload, _ := json.Marshal(models.IssueEvent{IssueID: issue.ID})
		for range 2 {
			if err := d.handleIssueAlert(ctx, asynq.NewTask(models.TaskIssueAlert, payload)); err != nil {
				t.Fatal(err)
			}
		}
		var rows []models.OutboxMessage
		if err := db.Order("id").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, r := range rows {
			kinds[r.Kind]++
			if r.Kind == TaskMailSend && !strings.Contains(r.Payload, "12 questions from 11 people") {
				t.Errorf("mail payload %s", r.Payload)
			}
			if r.Kind == TaskWebhookSend && (!strings.Contains(r.Payload, `\"text\":\"New emerging issue on Printers`) && !strings.Contains(r.Payload, `"text":"New emerging issue on Printers`)) {
				t.Errorf("webhook payload %s", r.Payload)
			}
		}
		if kinds[TaskMailSend] != 2 || kinds[TaskWebhookSend] != 1 || len(rows) != 3 {
			t.Errorf("queued %v, want 2 mails and 1 webhook, once", kinds)
		}
		if err := d.handleIssueAlert(ctx, asynq.NewTask(models.TaskIssueAlert, []byte("{}"))); err == nil {
			t.Error("an empty payload was accepted")
		}
	})
}
