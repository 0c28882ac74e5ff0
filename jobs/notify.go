package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crowdcare/crowdcare/models"
)

// Periodic notification tasks.
const (
	// TaskNotifyDigest mails the daily and weekly digests that are due.
	// It runs every 15 minutes, so a digest leaves within 15 minutes of
	// 08:00 in every time zone (some are offset by 30 or 45 minutes).
	TaskNotifyDigest = "notify:digest"
	// TaskRemindAskers reminds askers with answers and none accepted.
	TaskRemindAskers = "notify:remind"
	// TaskNotifyMails mails each new notification, of whatever kind, to
	// members who want a mail per event (every minute, after a watermark).
	TaskNotifyMails = "notify:mails"
)

func init() {
	Schedule = append(Schedule,
		struct{ Spec, Type string }{"*/15 * * * *", TaskNotifyDigest},
		struct{ Spec, Type string }{"@every 1h", TaskRemindAskers},
		struct{ Spec, Type string }{"@every 1m", TaskNotifyMails})
}

// notifyHandlers registers the notification tasks.
func (d Deps) notifyHandlers(mux *asynq.ServeMux) {
	mux.HandleFunc(models.TaskNotifyPost, d.handleNotifyPost)
	mux.HandleFunc(models.TaskNotifyAccepted, d.handleNotifyAccepted)
	mux.HandleFunc(models.TaskNotifyKudos, d.handleNotifyKudos)
	mux.HandleFunc(TaskNotifyMails, d.handleNotifyMails)
	mux.HandleFunc(TaskNotifyDigest, d.handleNotifyDigest)
	mux.HandleFunc(TaskRemindAskers, d.handleRemindAskers)
}

func questionEvent(t *asynq.Task) (models.QuestionEvent, error) {
	var ev models.QuestionEvent
	if err := json.Unmarshal(t.Payload(), &ev); err != nil || ev.PostID == 0 {
		return ev, fmt.Errorf("bad payload %q: %v: %w", t.Payload(), err, asynq.SkipRetry)
	}
	return ev, nil
}

// handleNotifyPost fans a new question or answer out. Notifications are
// keyed by post, so a redelivered task writes nothing more.
func (d Deps) handleNotifyPost(ctx context.Context, t *asynq.Task) error {
	ev, err := questionEvent(t)
	if err != nil {
		return err
	}
	_, err = models.FanOutPost(ctx, d.DB, ev.PostID)
	return err
}

func (d Deps) handleNotifyAccepted(ctx context.Context, t *asynq.Task) error {
	ev, err := questionEvent(t)
	if err != nil {
		return err
	}
	_, err = models.NotifyAnswerAccepted(ctx, d.DB, ev.PostID, ev.ActorID)
	return err
}

func (d Deps) handleNotifyKudos(ctx context.Context, t *asynq.Task) error {
	var ev models.KudosEvent
	if err := json.Unmarshal(t.Payload(), &ev); err != nil || ev.PostID == 0 {
		return fmt.Errorf("bad payload %q: %v: %w", t.Payload(), err, asynq.SkipRetry)
	}
	return models.NotifyKudosOn(ctx, d.DB, ev.PostID)
}

// notifyAwards tells a user about badges earned in the last week and the
// rank reached, once each (after every badge check).
func (d Deps) notifyAwards(ctx context.Context, userID int64) error {
	_, err := models.NotifyAwards(ctx, d.DB, userID, d.now().Add(-7*24*time.Hour))
	return err
}

func (d Deps) handleRemindAskers(ctx context.Context, _ *asynq.Task) error {
	n, err := models.RemindAskers(ctx, d.DB, d.now())
	if n > 0 {
		d.logger().InfoContext(ctx, "askers reminded", "count", n)
	}
	return err
}

// t translates for mails; without a translator the id stands.
func (d Deps) t(lang, id string, args map[string]any) string {
	if d.Text == nil {
		return id
	}
	return d.Text(lang, id, args)
}

func langOf(u *models.User) string {
	if u.Locale == "" {
		return "en"
	}
	return u.Locale
}

// sentence is a notification's text, the one the bell list shows.
func (d Deps) sentence(lang string, n *models.NotificationView) string {
	return d.t(lang, "notify."+n.Kind, models.NotificationArgs(n))
}

// unsubscribe returns the link that stops every mail (or, with a follow,
// that follow) and sets the List-Unsubscribe headers on m.
func (d Deps) unsubscribe(m *Mail, u models.Unsubscribe) string {
	tok := models.SignUnsubscribe(d.Secret, u)
	m.Headers = map[string]string{
		"List-Unsubscribe":      "<" + d.BaseURL + "/unsubscribe/one-click?t=" + tok + ">",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	}
	return d.BaseURL + "/unsubscribe?t=" + tok
}

// footer ends every notification mail: why it came, where to change
// that, and the unsubscribe link.
func (d Deps) footer(lang, unsubscribe string, extra ...string) string {
	var b strings.Builder
	b.WriteString("\n-- \n")
	b.WriteString(d.t(lang, "notify.mail.footer", nil) + "\n")
	b.WriteString(d.t(lang, "notify.mail.preferences", map[string]any{"URL": d.BaseURL + "/settings/notifications"}) + "\n")
	for _, e := range extra {
		b.WriteString(e + "\n")
	}
	b.WriteString(d.t(lang, "notify.mail.unsubscribe", map[string]any{"URL": unsubscribe}) + "\n")
	return b.String()
}

// handleQuestionCreated recounts a new question's tags and fans it out
// to the followers of its board and tags and the people it mentions.
func (d Deps) handleQuestionCreated(ctx context.Context, t *asynq.Task) error {
	if err := d.handleQuestionTags(ctx, t); err != nil {
		return err
	}
	return d.handleNotifyPost(ctx, t)
}

// mailSweepBatch is how many notifications one sweep looks at.
const mailSweepBatch = 500

// handleNotifyMails mails the notifications written since the last sweep
// to the members who want a mail per event. Every kind goes this way,
// whoever wrote it through models.Notify.
func (d Deps) handleNotifyMails(ctx context.Context, _ *asynq.Task) error {
	for {
		ids, err := models.NotificationsToMail(ctx, d.DB, d.now(), mailSweepBatch)
		if err != nil || len(ids) == 0 {
			return err
		}
		for _, id := range ids {
			if err := d.mailNotification(ctx, id); err != nil {
				return err
			}
		}
		if err := models.SetMailWatermark(ctx, d.DB, ids[len(ids)-1]); err != nil {
			return err
		}
		if len(ids) < mailSweepBatch {
			return nil
		}
	}
}

// mailNotification mails one notification if its reader wants a mail per
// event, once (emailed_at is set in the transaction that queues the mail).
func (d Deps) mailNotification(ctx context.Context, id int64) error {
	n, r, err := models.NotificationForMail(ctx, d.DB, id)
	if err != nil || n == nil {
		return err
	}
	lang := langOf(&r.User)
	text := d.sentence(lang, n)
	m := Mail{To: r.Email, Subject: text, Key: "notification:" + strconv.FormatInt(n.ID, 10)}
	if len([]rune(m.Subject)) > 150 {
		m.Subject = string([]rune(m.Subject)[:149]) + "…"
	}
	exp := d.now().Add(models.UnsubscribeTTL)
	var extra []string
	if typ, id, name, ok := models.FollowOfNotification(ctx, d.DB, n); ok {
		tok := models.SignUnsubscribe(d.Secret, models.Unsubscribe{UserID: r.ID, Action: models.UnsubscribeFollow, TargetType: typ, TargetID: id, Expires: exp})
		extra = append(extra, d.t(lang, "notify.mail.unfollow", map[string]any{"Name": name, "URL": d.BaseURL + "/unsubscribe?t=" + tok}))
	}
	unsub := d.unsubscribe(&m, models.Unsubscribe{UserID: r.ID, Action: models.UnsubscribeAll, Expires: exp})
	m.Text = text + "\n\n" + d.BaseURL + n.URL + "\n" + d.footer(lang, unsub, extra...)
	_, err = models.QueueNotificationMail(ctx, d.DB, n.ID, TaskMailSend, m)
	return err
}

// digestBatch is how many members a digest run reads at once.
const digestBatch = 500

// handleNotifyDigest mails each member whose daily or weekly period has
// ended one digest of the period's unread notifications they may see. A
// period is recorded with its mail in one transaction, so running twice,
// or a redelivered task, mails nothing twice.
func (d Deps) handleNotifyDigest(ctx context.Context, _ *asynq.Task) error {
	now := d.now()
	var after int64
	for {
		rs, err := models.DigestRecipients(ctx, d.DB, after, digestBatch)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return nil
		}
		after = rs[len(rs)-1].ID
		type due struct {
			r        *models.Recipient
			loc      *time.Location
			key      string
			from, to time.Time
		}
		var dues []due
		ids := make([]int64, 0, len(rs))
		keys := map[string]bool{}
		for i := range rs {
			r := &rs[i]
			loc, err := time.LoadLocation(r.TimeZone)
			if err != nil {
				loc = time.UTC
			}
			key, from, to := models.DigestPeriod(r.Mode, loc, now)
			if !to.After(r.ModeSince) {
				continue // the period ended before they chose digests
			}
			dues = append(dues, due{r, loc, key, from, to})
			ids = append(ids, r.ID)
			keys[key] = true
		}
		periods := make([]string, 0, len(keys))
		for k := range keys {
			periods = append(periods, k)
		}
		sent, err := models.DigestsSent(ctx, d.DB, ids, periods)
		if err != nil {
			return err
		}
		for _, x := range dues {
			if sent[strconv.FormatInt(x.r.ID, 10)+"/"+x.key] {
				continue
			}
			if err := d.sendDigest(ctx, x.r, x.loc, x.key, x.from, x.to, now); err != nil {
				return err
			}
		}
		if len(rs) < digestBatch {
			return nil
		}
	}
}

func (d Deps) sendDigest(ctx context.Context, r *models.Recipient, loc *time.Location, key string, from, to, now time.Time) error {
	items, err := models.DigestItems(ctx, d.DB, &r.User, from, to)
	if err != nil {
		return err
	}
	lang := langOf(&r.User)
	m := Mail{To: r.Email, Key: "digest:" + strconv.FormatInt(r.ID, 10) + ":" + key, Date: now.In(loc)}
	if len(items) > 0 {
		args := map[string]any{"Count": len(items), "Date": to.In(loc).Format("2006-01-02")}
		m.Subject = d.t(lang, "notify.digest.subject_"+r.Mode, args)
		var b strings.Builder
		b.WriteString(d.t(lang, "notify.digest.intro_"+r.Mode, args) + "\n\n")
		for i := range items {
			n := &items[i]
			fmt.Fprintf(&b, "- %s\n  %s\n", d.sentence(lang, n), d.BaseURL+n.URL)
		}
		unsub := d.unsubscribe(&m, models.Unsubscribe{UserID: r.ID, Action: models.UnsubscribeAll, Expires: now.Add(models.UnsubscribeTTL)})
		b.WriteString(d.footer(lang, unsub))
		m.Text = b.String()
	}
	_, err = models.RecordDigest(ctx, d.DB, r.ID, key, len(items), now, TaskMailSend, m)
	return err
}
