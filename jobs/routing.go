package jobs

import (
	"context"

	"github.com/hibiken/asynq"

	"github.com/crowdcare/crowdcare/models"
)

// TaskExpertsRoute offers questions that waited past their board's
// first-response target to the experts whose record fits them, and frees
// experts whose offers were answered or expired. It runs every five
// minutes: a target is minutes to hours, so a question waits at most five
// minutes more than its target before it is routed.
const TaskExpertsRoute = "experts:route"

// NewExpertsRouteTask asks for one routing run.
func NewExpertsRouteTask() *asynq.Task { return asynq.NewTask(TaskExpertsRoute, nil) }

// handleExpertsRoute runs the router once. A run is idempotent (a route
// is unique per question and expert, its notification per dedup key), so
// a redelivered or overlapping task routes nothing twice.
func (d Deps) handleExpertsRoute(ctx context.Context, _ *asynq.Task) error {
	res, err := models.RouteQuestions(ctx, d.DB, d.now())
	if err != nil {
		return err
	}
	if res.Routed > 0 || res.Answered > 0 || res.Expired > 0 {
		d.logger().InfoContext(ctx, "questions routed to experts", "due", res.Due, "routed", res.Routed,
			"closed_answered", res.Answered, "expired", res.Expired)
	}
	return nil
}
