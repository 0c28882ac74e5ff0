package jobs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/crowdcare/crowdcare/models"
)

// handleIssueFix posts a fixed issue's message in each of its questions;
// a redelivered task finds the replies there and posts none twice.
func (d Deps) handleIssueFix(ctx context.Context, t *asynq.Task) error {
	var ev models.IssueFixEvent
	if err := json.Unmarshal(t.Payload(), &ev); err != nil || ev.IssueID == 0 || ev.Round == 0 {
		return fmt.Errorf("bad payload %q: %v: %w", t.Payload(), err, asynq.SkipRetry)
	}
	n, err := models.PostIssueFix(ctx, d.DB, ev)
	if n > 0 {
		d.logger().InfoContext(ctx, "issue fix posted", "issue", ev.IssueID, "round", ev.Round, "replies", n)
	}
	return err
}
