package jobs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/crowdcare/crowdcare/models"
)

// TaskBadgesSweep is the nightly re-evaluation of the badges of every user
// active since the previous one.
const TaskBadgesSweep = "badges:sweep"

// NewBadgeCheckTask asks the badge rules to look at one user again.
func NewBadgeCheckTask(userID int64) (*asynq.Task, error) {
	b, err := json.Marshal(models.BadgeCheckEvent{UserID: userID})
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(models.TaskBadgeCheck, b), nil
}

// handleBadgeCheck evaluates one user's automatic badges. Awards are keyed,
// so a redelivered task awards nothing more.
func (d Deps) handleBadgeCheck(ctx context.Context, t *asynq.Task) error {
	var ev models.BadgeCheckEvent
	if err := json.Unmarshal(t.Payload(), &ev); err != nil || ev.UserID <= 0 {
		return fmt.Errorf("bad payload %q: %v: %w", t.Payload(), err, asynq.SkipRetry)
	}
	n, err := models.EvaluateBadges(ctx, d.DB, ev.UserID)
	if err != nil {
		return err
	}
	if n > 0 {
		d.logger().InfoContext(ctx, "badges awarded", "user_id", ev.UserID, "count", n)
	}
	return d.notifyAwards(ctx, ev.UserID) // notify.go
}

// handleBadgesSweep catches the badges that events missed.
func (d Deps) handleBadgesSweep(ctx context.Context, _ *asynq.Task) error {
	res, err := models.SweepBadges(ctx, d.DB, d.now())
	if err != nil {
		return err
	}
	d.logger().InfoContext(ctx, "badge sweep done", "full", res.Full, "users", res.Users, "awarded", res.Awarded)
	return nil
}
