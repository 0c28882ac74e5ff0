// Package jobs holds Crowdcare's background work: asynq task types and their
// handlers, the periodic schedule, and the relay that moves the transactional
// outbox into the queue.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/models"
)

// Periodic task types.
const (
	TaskSessionsCleanup = "sessions:cleanup"
	TaskOutboxPurge     = "outbox:purge"
)

// Deps is what handlers need.
type Deps struct {
	DB     *gorm.DB
	Logger *slog.Logger
	Now    func() time.Time
	// Mailer delivers mail (TaskMailSend); nil where no job sends any.
	Mailer Mailer
	// HTTPClient posts webhooks; nil uses a client with a 10 s timeout.
	HTTPClient *http.Client
	// BaseURL is the forum's public URL, for links in mails and webhooks.
	BaseURL string
	// Secret signs the unsubscribe links of mails (the app's secret).
	Secret []byte
	// Text translates message id into lang (the web's catalogues), for
	// mails in the reader's language; nil leaves the message ids.
	Text func(lang, id string, args map[string]any) string
	// ExportDir receives archive exports (DATA_DIR/exports).
	ExportDir string
}

func (d Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now().UTC()
}

// logger returns d.Logger, or a logger that drops everything when Deps was
// built without one, so a handler never panics on a nil logger.
func (d Deps) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// NewMux registers a handler for every task type.
func NewMux(d Deps) *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.Use(d.outboxDone)
	mux.HandleFunc(models.TaskQuestionCreated, d.handleQuestionCreated) // notify.go
	mux.HandleFunc(models.TaskQuestionDeleted, d.handleQuestionTags)
	mux.HandleFunc(TaskSessionsCleanup, d.handleSessionsCleanup)
	mux.HandleFunc(TaskOutboxPurge, d.handleOutboxPurge)
	mux.HandleFunc(models.TaskBadgeCheck, d.handleBadgeCheck)
	d.notifyHandlers(mux) // notify.go
	mux.HandleFunc(TaskBadgesSweep, d.handleBadgesSweep)
	mux.HandleFunc(TaskLeaderboardRefresh, d.handleLeaderboardRefresh)
	mux.HandleFunc(TaskKudosAudit, d.handleKudosAudit)
	mux.HandleFunc(TaskMailSend, d.handleMailSend)
	mux.HandleFunc(TaskWebhookSend, d.handleWebhookSend)
	mux.HandleFunc(models.TaskIssueAlert, d.handleIssueAlert)
	mux.HandleFunc(models.TaskIssueFixed, d.handleIssueFix)
	mux.HandleFunc(TaskExpertsRoute, d.handleExpertsRoute)
	mux.HandleFunc(TaskTrendsDetect, d.handleTrendsDetect)
	mux.HandleFunc(models.TaskArchiveExport, d.handleArchiveExport)
	return mux
}

// handleQuestionTags recounts the tags of a question that was asked or
// deleted. A recount is idempotent, so a redelivered task is harmless.
func (d Deps) handleQuestionTags(ctx context.Context, t *asynq.Task) error {
	var ev models.QuestionEvent
	if err := json.Unmarshal(t.Payload(), &ev); err != nil || ev.QuestionID == 0 {
		return fmt.Errorf("bad payload %q: %v: %w", t.Payload(), err, asynq.SkipRetry)
	}
	ids, err := models.TagIDsOfQuestion(ctx, d.DB, ev.QuestionID)
	if err != nil {
		return err
	}
	return models.RecountTags(ctx, d.DB, ids)
}

func (d Deps) handleSessionsCleanup(ctx context.Context, _ *asynq.Task) error {
	n, err := models.DeleteExpiredSessions(ctx, d.DB, d.now())
	if err != nil {
		return err
	}
	// Sign-ups nobody confirmed expire with the same sweep.
	m, err := models.DeleteExpiredSignups(ctx, d.DB, d.now())
	if n > 0 || m > 0 {
		d.logger().Info("expired sessions and sign-ups deleted", "sessions", n, "signups", m)
	}
	return err
}

// handleOutboxPurge drops outbox rows whose job finished more than a week ago.
func (d Deps) handleOutboxPurge(ctx context.Context, _ *asynq.Task) error {
	_, err := models.PurgeSentOutbox(ctx, d.DB, d.now().Add(-7*24*time.Hour))
	return err
}

// Schedule lists the periodic tasks: cron spec and task type. Exactly one
// scheduler may run per deployment (asynq's rule).
var Schedule = []struct {
	Spec string
	Type string
}{
	{"@every 1h", TaskSessionsCleanup},
	{"@every 24h", TaskOutboxPurge},
	{"0 3 * * *", TaskBadgesSweep}, // 03:00 UTC, the quiet hour
	{"@every 1m", TaskLeaderboardRefresh},
	{"30 2 * * *", TaskKudosAudit}, // nightly, before the badge sweep
	{"@every 5m", TaskExpertsRoute},
	{"@every 10m", TaskTrendsDetect},
}

// RegisterSchedule adds every periodic task to s on queue.
func RegisterSchedule(s *asynq.Scheduler, queue string) error {
	for _, e := range Schedule {
		// Unique stops a slow run and the next tick from overlapping.
		if _, err := s.Register(e.Spec, asynq.NewTask(e.Type, nil), asynq.Queue(queue), asynq.Unique(30*time.Minute)); err != nil {
			return fmt.Errorf("schedule %s: %w", e.Type, err)
		}
	}
	return nil
}

// outboxDone marks the outbox row behind a relayed task as done once its
// handler succeeds.
func (d Deps) outboxDone(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		err := next.ProcessTask(ctx, t)
		if err != nil && !errors.Is(err, asynq.SkipRetry) {
			return err
		}
		// A task that can never succeed is finished too: it must not be
		// requeued at every restart of the embedded queue.
		id, ok := asynq.GetTaskID(ctx)
		var n int64
		if !ok {
			return err
		}
		if _, serr := fmt.Sscanf(id, "outbox-%d", &n); serr != nil {
			return err
		}
		if derr := models.MarkOutboxDone(ctx, d.DB, n, d.now()); derr != nil && err == nil {
			return derr
		}
		return err
	})
}
