package jobs

import (
	"context"

	"github.com/hibiken/asynq"

	"github.com/crowdcare/crowdcare/models"
)

// TaskKudosAudit is the nightly search for serial kudos and vote rings.
const TaskKudosAudit = "kudos:audit"

// handleKudosAudit opens a case, and reverses the points, for each pattern
// of gaming found in the last two days of kudos. A kudos belongs to one
// case at most, so a rerun opens nothing twice.
func (d Deps) handleKudosAudit(ctx context.Context, _ *asynq.Task) error {
	res, err := models.AuditKudos(ctx, d.DB, models.KudosAuditOptions{Now: d.now()})
	if err != nil {
		return err
	}
	d.logger().InfoContext(ctx, "kudos audit done", "cases", res.Cases, "reversed", res.Reversed)
	return nil
}
