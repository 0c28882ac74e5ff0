package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/models"
)

// Relay moves outbox rows into asynq. Each row becomes a task whose id is
// derived from the row id, so two relays (or a crash between enqueue and
// marking the row sent) never create the same task twice while it is
// retained. When Redis is down rows stay pending and drain once it is back.
type Relay struct {
	DB       *gorm.DB
	Client   *asynq.Client
	Queue    string
	Logger   *slog.Logger
	Interval time.Duration
	// Wake, when set, makes the relay run at once instead of waiting.
	Wake <-chan struct{}
}

// TaskOptions are the options every relayed task gets.
func (r *Relay) taskOptions(id int64) []asynq.Option {
	return []asynq.Option{
		asynq.TaskID(fmt.Sprintf("outbox-%d", id)),
		asynq.Queue(r.Queue),
		asynq.MaxRetry(12),
		asynq.Retention(24 * time.Hour),
	}
}

// RelayOnce hands over up to one batch of pending rows and reports how many
// it moved. It stops at the first enqueue error (Redis is likely down).
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	ms, err := models.PendingOutbox(ctx, r.DB, 200)
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	moved := 0
	for _, m := range ms {
		_, err := r.Client.EnqueueContext(ctx, asynq.NewTask(m.Kind, []byte(m.Payload)), r.taskOptions(m.ID)...)
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			_ = models.MarkOutboxFailed(ctx, r.DB, m.ID, err)
			return moved, fmt.Errorf("enqueue outbox %d: %w", m.ID, err)
		}
		if err := models.MarkOutboxSent(ctx, r.DB, m.ID, time.Now().UTC()); err != nil {
			return moved, fmt.Errorf("mark outbox %d sent: %w", m.ID, err)
		}
		moved++
	}
	return moved, nil
}

// Run relays until ctx ends, polling every Interval and backing off while
// enqueueing fails.
func (r *Relay) Run(ctx context.Context) {
	interval := r.Interval
	if interval <= 0 {
		interval = time.Second
	}
	wait := interval
	for {
		n, err := r.RelayOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			r.Logger.Warn("outbox relay failed; will retry", "err", err, "retry_in", wait.String())
			wait = min(wait*2, time.Minute)
		case n == 200:
			wait = 0 // a full batch: more are likely waiting
		default:
			wait = interval
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		case <-r.Wake:
		}
	}
}
