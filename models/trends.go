package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Emerging-issue statuses: new → acknowledged → investigating → fixed, or
// dismissed at any point.
const (
	IssueNew           = "new"
	IssueAcknowledged  = "acknowledged"
	IssueInvestigating = "investigating"
	IssueFixed         = "fixed"
	IssueDismissed     = "dismissed"
)

// ValidIssueStatus reports whether s names an emerging-issue status.
func ValidIssueStatus(s string) bool {
	switch s {
	case IssueNew, IssueAcknowledged, IssueInvestigating, IssueFixed, IssueDismissed:
		return true
	}
	return false
}

// ScopeLive is the detector state the periodic job keeps. Replays use other
// scopes inside a transaction they roll back.
const ScopeLive = 0

// scopeBacktest is the scope of a replay. Its rows live only inside the
// replay's transaction; a second replay at the same time waits for the
// first, whose state row it would write.
const scopeBacktest = 1

// TrendConfig tunes the detector. Zero fields take the defaults, which are
// general statistical choices (windows, significance, minimum askers), not
// fitted to one forum's topics.
type TrendConfig struct {
	// Windows are the recent periods each term's count is tested on: a
	// short one finds sharp bursts early, a long one slow rises and small
	// issues. Default 4h and 24h.
	Windows []time.Duration
	// Span is how far back questions are grouped into a new or growing
	// issue; at least the longest window. Default 48h.
	Span time.Duration
	// Baseline is the history before a window that a term is compared
	// with. Default 7 days: a whole weekly rhythm.
	Baseline time.Duration
	// Alpha is the p-value below which a term's count is a burst. Many
	// terms are tested at every run, so it is small. Default 1e-6.
	Alpha float64
	// MinAskers is the fewest distinct askers behind a burst and an issue.
	// Default 4.
	MinAskers int
	// MinRatio is how many times its expected count a bursting term must
	// reach. Default 3.
	MinRatio float64
	// MaxBackground: a term in more than this share of a board's questions
	// says nothing about an issue (a stop word found from the data itself).
	// Default 0.25.
	MaxBackground float64
	// MinShare: a term in fewer than this share of an issue's questions is
	// not part of its description. Default 0.15.
	MinShare float64
	// MinLift, AnchorLift and MatchLift are the lifts (share in the issue
	// over share on the board) for a term to count towards a match, for it
	// to anchor a match, and for a question's terms together. Defaults 4,
	// 20 and 200.
	MinLift, AnchorLift, MatchLift float64
	// CoreShare: a telling term in at least this share of an issue's
	// questions is part of its core, which every matching question must
	// share. Default 0.6.
	CoreShare float64
	// Prior is how many questions of ordinary traffic an issue's term
	// shares are shrunk with, so a young issue's chance words weigh
	// little. Default 10.
	Prior float64
	// Hold: an issue is held (shown, printed by the backtest) while its
	// latest question is at most this old. Default 24h.
	Hold time.Duration
	// Quiet: an issue keeps claiming matching questions until it has had
	// none for this long, so the same burst never comes back as a new
	// issue, even when dismissed. Default 7 days.
	Quiet time.Duration
	// Lag: the live job leaves questions younger than this for its next
	// run, so a transaction that commits late is never skipped. Default 1m.
	Lag time.Duration
	// BatchSize is how many new questions one transaction processes.
	// Default 5,000.
	BatchSize int
	// DocRetention and CountRetention are how long per-question rows and
	// the hourly and daily counts are kept. Defaults 4 and 30 days.
	DocRetention, CountRetention time.Duration
}

func (c *TrendConfig) defaults() {
	if len(c.Windows) == 0 {
		c.Windows = []time.Duration{4 * time.Hour, 24 * time.Hour}
	}
	longest := time.Duration(0)
	for _, w := range c.Windows {
		longest = max(longest, w)
	}
	if c.Span < longest {
		c.Span = max(48*time.Hour, longest)
	}
	if c.Baseline <= 0 {
		c.Baseline = 7 * 24 * time.Hour
	}
	if c.Alpha <= 0 {
		c.Alpha = 1e-6
	}
	if c.MinAskers <= 0 {
		c.MinAskers = 4
	}
	if c.MinRatio <= 0 {
		c.MinRatio = 3
	}
	if c.MaxBackground <= 0 {
		c.MaxBackground = 0.25
	}
	if c.MinShare <= 0 {
		c.MinShare = 0.15
	}
	if c.MinLift <= 0 {
		c.MinLift = 4
	}
	if c.AnchorLift <= 0 {
		c.AnchorLift = 20
	}
	if c.MatchLift <= 0 {
		c.MatchLift = 200
	}
	if c.CoreShare <= 0 {
		c.CoreShare = 0.6
	}
	if c.Prior <= 0 {
		c.Prior = 10
	}
	if c.Hold <= 0 {
		c.Hold = 24 * time.Hour
	}
	if c.Quiet <= 0 {
		c.Quiet = 7 * 24 * time.Hour
	}
	if c.Lag <= 0 {
		c.Lag = time.Minute
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 5000
	}
	if c.DocRetention < c.Span+24*time.Hour {
		c.DocRetention = max(4*24*time.Hour, c.Span+24*time.Hour)
	}
	if c.CountRetention < c.Span+c.Baseline {
		c.CountRetention = max(30*24*time.Hour, c.Span+c.Baseline)
	}
}

// TrendRunOptions chooses what one detector run covers.
type TrendRunOptions struct {
	// Until is the time the run stands at: it processes questions asked up
	// to it, never later. Zero: Now less Config.Lag.
	Until time.Time
	// Now is when the run happens (zero: the clock).
	Now    time.Time
	Scope  int
	Config TrendConfig
}

// TrendRunResult tells what a run did.
type TrendRunResult struct {
	Questions int // new questions processed
	Batches   int
	Boards    int // boards whose issues were brought up to date
	NewIssues int
	Linked    int // questions linked to issues
}

// RunTrends processes the questions asked since the previous run, up to
// opt.Until: it counts their terms, grows the active issues they belong to
// and opens an issue for each new burst. Each batch and the watermark
// commit together, so a run that is retried or redelivered changes nothing.
func RunTrends(ctx context.Context, db *gorm.DB, opt TrendRunOptions) (TrendRunResult, error) {
	opt.Config.defaults()
	if opt.Until.IsZero() {
		if opt.Now.IsZero() {
			opt.Now = time.Now()
		}
		opt.Until = opt.Now.Add(-opt.Config.Lag)
	}
	opt.Until = opt.Until.UTC()
	d := newDetector(db.WithContext(ctx), opt.Scope, &opt.Config)
	var res TrendRunResult
	for {
		var br batchResult
		err := d.db.Transaction(func(tx *gorm.DB) error {
			var err error
			br, err = d.runBatch(tx, opt.Until)
			return err
		})
		if err != nil {
			return res, err
		}
		if br.questions == 0 {
			return res, nil
		}
		res.Questions += br.questions
		res.Batches++
		res.Boards += br.boards
		res.NewIssues += br.newIssues
		res.Linked += br.linked
		if err := ctx.Err(); err != nil {
			return res, err
		}
	}
}

// HeldIssue is an emerging issue as it stood at one moment.
type HeldIssue struct {
	ID         int64
	BoardID    int64
	Status     string
	Title      string
	Score      float64
	Questions  int
	Askers     int
	FirstAt    time.Time
	LastAt     time.Time
	DetectedAt time.Time
	// Topics are the external ids of its questions (q<id> for questions
	// written on the forum), oldest first.
	Topics []string
	// Terms are its strongest terms, strongest first.
	Terms []string
}

// SetIssueStatus moves an issue to status on behalf of actor (nil: the
// system). Stage 2's dashboard calls it; the detector honours it: fixed
// and dismissed issues are no longer held, yet keep their questions, so
// the same burst does not come back as a new issue.
func SetIssueStatus(ctx context.Context, db *gorm.DB, issueID int64, status string, actor *User) error {
	if !ValidIssueStatus(status) {
		return fmt.Errorf("unknown issue status %q", status)
	}
	var by *int64
	if actor != nil {
		by = &actor.ID
	}
	now := time.Now().UTC()
	res := db.WithContext(ctx).Exec(`UPDATE emerging_issues SET status = ?, status_changed_by = ?,
		status_changed_at = ?, updated_at = ? WHERE id = ?`, status, by, now, now, issueID)
	if res.Error != nil {
		return fmt.Errorf("set issue %d status: %w", issueID, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// errNoTrendState means the watermark row of a scope is missing.
var errNoTrendState = errors.New("trend_state has no row for this scope")
