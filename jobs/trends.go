package jobs

import (
	"context"

	"github.com/hibiken/asynq"

	"github.com/crowdcare/crowdcare/models"
)

// TaskTrendsDetect runs emerging-issue detection over the questions asked
// since its previous run. It runs every 10 minutes: often enough that an
// issue shows within the hour, rarely enough that each run has a batch
// worth counting.
const TaskTrendsDetect = "trends:detect"

// handleTrendsDetect processes what is new. Each batch commits with its
// watermark, so a redelivered or retried task finds nothing left to do
// and changes nothing.
func (d Deps) handleTrendsDetect(ctx context.Context, _ *asynq.Task) error {
	res, err := models.RunTrends(ctx, d.DB, models.TrendRunOptions{Now: d.now()})
	if err != nil {
		return err
	}
	if res.Questions > 0 {
		d.logger().InfoContext(ctx, "trends detected", "questions", res.Questions, "batches", res.Batches,
			"boards", res.Boards, "new_issues", res.NewIssues, "linked", res.Linked)
	}
	return nil
}
