package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hibiken/asynq"

	"github.com/crowdcare/crowdcare/models"
)

// handleIssueAlert queues the mails and webhook deliveries about a new
// emerging issue, once per issue.
func (d Deps) handleIssueAlert(ctx context.Context, t *asynq.Task) error {
	var ev models.IssueEvent
	if err := json.Unmarshal(t.Payload(), &ev); err != nil || ev.IssueID == 0 {
		return fmt.Errorf("bad payload %q: %v: %w", t.Payload(), err, asynq.SkipRetry)
	}
	a, err := models.LoadIssueAlert(ctx, d.DB, ev.IssueID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	text := issueAlertText(a, d.BaseURL)
	id := strconv.FormatInt(a.ID, 10)
	_, err = models.QueueIssueAlerts(ctx, d.DB, a, TaskMailSend, TaskWebhookSend,
		func(r models.AlertRecipient) any {
			return Mail{To: r.Addr, Subject: "Emerging issue on " + a.Board.Name + ": " + a.Title, Text: text,
				Key: "issue-alert:" + id + ":user:" + strconv.FormatInt(r.UserID, 10)}
		},
		func(r models.AlertRecipient) any {
			body, _ := json.Marshal(map[string]any{"text": text, "event": "issue.new", "issue": map[string]any{
				"id": a.ID, "title": a.Title, "board": a.Board.Slug, "status": a.Status, "questions": a.QuestionCount,
				"askers": a.AskerCount, "first_question_at": a.FirstQuestionAt, "terms": a.Terms,
				"url": d.BaseURL + "/product/issues/" + id}})
			return WebhookDelivery{SubscriptionID: r.ID, Event: "issue.new", Key: "issue-alert:" + id + ":sub:" + strconv.FormatInt(r.ID, 10), Body: body}
		})
	return err
}

// issueAlertText is the alert's plain text, for the mail body and the
// webhook's Slack-compatible "text".
func issueAlertText(a *models.IssueAlert, base string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "New emerging issue on %s: %s\n", a.Board.Name, a.Title)
	fmt.Fprintf(&b, "%d questions from %d people since %s UTC.\n", a.QuestionCount, a.AskerCount, a.FirstQuestionAt.UTC().Format("2 Jan 15:04"))
	if len(a.Terms) > 0 {
		fmt.Fprintf(&b, "Terms: %s\n", strings.Join(a.Terms, ", "))
	}
	fmt.Fprintf(&b, "%s/product/issues/%d\n", base, a.ID)
	return b.String()
}
