package jobs

import (
	"context"

	"github.com/hibiken/asynq"

	"github.com/crowdcare/crowdcare/models"
)

// TaskLeaderboardRefresh counts the ledger rows written since the previous
// run into the leaderboards. It runs every minute; asynq's Unique lock
// (RegisterSchedule) keeps a slow run and the next tick from overlapping,
// and the watermark row lock would serialise them anyway.
const TaskLeaderboardRefresh = "leaderboard:refresh"

// handleLeaderboardRefresh brings the leaderboards up to date. Each batch
// and its watermark commit together, so a redelivered or retried task
// counts nothing twice.
func (d Deps) handleLeaderboardRefresh(ctx context.Context, _ *asynq.Task) error {
	res, err := models.RefreshLeaderboards(ctx, d.DB, models.LeaderboardRefreshOptions{Now: d.now()})
	if err != nil {
		return err
	}
	if res.Events > 0 {
		d.logger().InfoContext(ctx, "leaderboards refreshed", "events", res.Events, "batches", res.Batches, "watermark", res.Watermark)
	}
	return nil
}
