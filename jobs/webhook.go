package jobs

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crowdcare/crowdcare/models"
)

// TaskWebhookSend posts one event to one alert subscription's webhook.
// asynq retries a failed delivery with exponential backoff.
const TaskWebhookSend = "webhook:send"

// WebhookDelivery is one event for one subscription. Body is the JSON the
// receiver gets; it carries a Slack-compatible "text" field.
type WebhookDelivery struct {
	SubscriptionID int64           `json:"subscription_id"`
	Event          string          `json:"event"`
	Key            string          `json:"key"`
	Body           json.RawMessage `json:"body"`
}

// NewWebhookTask is the task that delivers d.
func NewWebhookTask(d WebhookDelivery) (*asynq.Task, error) {
	if d.SubscriptionID == 0 || d.Key == "" || !json.Valid(d.Body) {
		return nil, errors.New("webhook: subscription, key and a JSON body are required")
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TaskWebhookSend, b, asynq.MaxRetry(8)), nil
}

// SignWebhook is the signature a receiver checks: HMAC-SHA256 with the
// subscription's secret over "TIMESTAMP.BODY", hex, as
// X-Crowdcare-Signature: sha256=<hex>. The timestamp (Unix seconds, in
// X-Crowdcare-Timestamp) lets receivers refuse old replays.
func SignWebhook(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// webhookClient bounds a delivery and never follows a redirect (a
// receiver that moved must be reconfigured, not followed blindly).
var webhookClient = &http.Client{Timeout: 10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (d Deps) handleWebhookSend(ctx context.Context, t *asynq.Task) error {
	var wd WebhookDelivery
	if err := json.Unmarshal(t.Payload(), &wd); err != nil || wd.SubscriptionID == 0 || !json.Valid(wd.Body) {
		return fmt.Errorf("bad webhook payload: %v: %w", err, asynq.SkipRetry)
	}
	sub, err := models.AlertSubscriptionByID(ctx, d.DB, wd.SubscriptionID)
	if errors.Is(err, models.ErrNotFound) {
		return nil // unsubscribed since: nothing to deliver
	}
	if err != nil {
		return err
	}
	if sub.WebhookURL == "" {
		return nil
	}
	ts := d.now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.WebhookURL, bytes.NewReader(wd.Body))
	if err != nil {
		return fmt.Errorf("webhook request: %v: %w", err, asynq.SkipRetry)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Crowdcare-Webhook/1")
	req.Header.Set("X-Crowdcare-Event", wd.Event)
	req.Header.Set("X-Crowdcare-Delivery", wd.Key)
	req.Header.Set("X-Crowdcare-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Crowdcare-Signature", SignWebhook(sub.WebhookSecret, ts, wd.Body))
	client := d.HTTPClient
	if client == nil {
		client = webhookClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %d: %w", sub.ID, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("webhook %d: status %d", sub.ID, resp.StatusCode)
	default:
		// The receiver refuses this delivery (gone, forbidden, bad
		// request): trying again would be refused the same way.
		d.logger().Warn("webhook refused", "subscription", sub.ID, "status", resp.StatusCode, "event", wd.Event)
		return fmt.Errorf("webhook %d: status %d: %w", sub.ID, resp.StatusCode, asynq.SkipRetry)
	}
}
