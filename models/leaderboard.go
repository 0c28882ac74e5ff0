package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// Leaderboard periods.
const (
	PeriodWeek  = "week"
	PeriodMonth = "month"
	PeriodAll   = "all"
)

// Leaderboard audiences: members and employees are ranked separately.
const (
	AudienceMember = "member"
	AudienceStaff  = "staff"
)

// LeaderboardMaxLimit is the longest board Top returns.
const LeaderboardMaxLimit = 100

// PrevRankDepth is how deep Top looks into the previous period's board to
// find where a user stood. Deeper than that a user only shows as "up from
// below PrevRankDepth": an exact rank there would cost a count per user.
const PrevRankDepth = 1000

// ValidPeriod reports whether p names a leaderboard period.
func ValidPeriod(p string) bool { return p == PeriodWeek || p == PeriodMonth || p == PeriodAll }

// ValidAudience reports whether a names a leaderboard audience.
func ValidAudience(a string) bool { return a == AudienceMember || a == AudienceStaff }

// PeriodStart returns the first instant (UTC) of the period holding t: the
// Monday of its week, the 1st of its month, or the Unix epoch for all time.
func PeriodStart(period string, t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch period {
	case PeriodWeek:
		back := (int(day.Weekday()) + 6) % 7 // days since Monday
		return day.AddDate(0, 0, -back)
	case PeriodMonth:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Unix(0, 0).UTC()
}

// PrevPeriodStart returns the start of the period before the one holding t
// (the epoch for all time, which has no previous period).
func PrevPeriodStart(period string, t time.Time) time.Time {
	cur := PeriodStart(period, t)
	switch period {
	case PeriodWeek:
		return cur.AddDate(0, 0, -7)
	case PeriodMonth:
		return cur.AddDate(0, -1, 0)
	}
	return cur
}

// LeaderboardOptions chooses one leaderboard.
type LeaderboardOptions struct {
	Period string // week, month or all
	// Board is a board's slug; "" is the overall board.
	Board    string
	Audience string // member or staff
	// ExcludeStaffRoles leaves moderators and admins out (their roles as
	// they are now, not when they earned the points).
	ExcludeStaffRoles bool
	Limit             int
	Viewer            *User
	Now               time.Time // zero: time.Now()
}

// RankChange is how a user's rank moved since the previous period.
type RankChange struct {
	New bool // not on the previous period's board
	// Below is set when the user was on the previous board but deeper than
	// PrevRankDepth.
	Below bool
	Prev  int // the previous rank, when known
	Delta int // Prev - current rank: positive means up
}

// LeaderRow is one place on a leaderboard.
type LeaderRow struct {
	Rank        int
	UserID      int64
	Handle      string
	DisplayName string
	Points      int64
	// Change is nil for the all-time board, which has no previous period.
	Change *RankChange `gorm:"-"`
	// StaffRole is set for moderators and admins (their roles now).
	StaffRole bool
}

// Name is what the board shows for the user.
func (r *LeaderRow) Name() string {
	if r.DisplayName != "" {
		return r.DisplayName
	}
	return r.Handle
}

// Leaderboard is one board as Top returns it.
type Leaderboard struct {
	Period      string
	PeriodStart time.Time
	Board       *Board // nil for the overall board
	Audience    string
	Rows        []LeaderRow
}

// lbKey identifies one leaderboard in leaderboard_scores.
type lbKey struct {
	period   string
	start    int64
	boardID  int64
	audience string
}

// Top returns a leaderboard from the leaderboard_scores aggregate (never by
// summing the ledger), in at most four statements: the board's lookup, the
// top rows, the previous period's top PrevRankDepth and, when some users
// were not among them, whether they were on the previous board at all.
//
// Private boards: a board the viewer may not see is ErrNotFound. The
// overall board counts points from every board, as the profile's total
// does, but never says where they were earned.
func Top(ctx context.Context, db *gorm.DB, opt LeaderboardOptions) (*Leaderboard, error) {
	if !ValidPeriod(opt.Period) || !ValidAudience(opt.Audience) {
		return nil, ErrNotFound
	}
	if opt.Limit <= 0 || opt.Limit > LeaderboardMaxLimit {
		opt.Limit = LeaderboardMaxLimit
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	db = db.WithContext(ctx)
	lb := &Leaderboard{Period: opt.Period, Audience: opt.Audience, PeriodStart: PeriodStart(opt.Period, opt.Now)}
	if opt.Board != "" {
		b, err := BoardBySlug(ctx, db, opt.Viewer, opt.Board)
		if err != nil {
			return nil, err
		}
		lb.Board = b
	}
	key := lbKey{opt.Period, lb.PeriodStart.Unix(), 0, opt.Audience}
	if lb.Board != nil {
		key.boardID = lb.Board.ID
	}
	rows, err := lbTopRows(db, key, opt.ExcludeStaffRoles, true, opt.Limit)
	if err != nil {
		return nil, err
	}
	rankRows(rows)
	lb.Rows = rows
	if opt.Period == PeriodAll || len(rows) == 0 {
		return lb, nil
	}
	prev := key
	prev.start = PrevPeriodStart(opt.Period, opt.Now).Unix()
	if err := lbRankChanges(db, prev, opt.ExcludeStaffRoles, lb.Rows); err != nil {
		return nil, err
	}
	return lb, nil
}

// lbStaffSlack is how many more rows than asked for lbTopRows reads when it
// leaves moderators and admins out, so that a few of them in the top do
// not shorten the board; when more are, it reads again with more.
const lbStaffSlack = 50

// lbTopRows reads the top limit users of one board, with their names when
// withNames. The inner query is a plain in-order range scan of
// leaderboard_scores_top with a LIMIT, which PostgreSQL plans the same
// whatever its row estimates; users and roles are joined to those few rows
// only. (Joining inside let a low estimate pick a hash join and a sort over
// the whole board: 60 ms instead of 1 ms on a week with 9,000 users.)
func lbTopRows(db *gorm.DB, k lbKey, excludeStaff, withNames bool, limit int) ([]LeaderRow, error) {
	fetch := limit
	if excludeStaff {
		fetch = limit + lbStaffSlack
	}
	for {
		rows, err := lbScanTop(db, k, withNames, fetch)
		if err != nil {
			return nil, err
		}
		if !excludeStaff {
			return rows, nil
		}
		kept := rows[:0]
		for _, r := range rows {
			if !r.StaffRole {
				kept = append(kept, r)
			}
		}
		if len(kept) >= limit || len(rows) < fetch {
			return kept[:min(limit, len(kept))], nil
		}
		fetch *= 2 // many moderators at the top: read deeper
	}
}

// lbScanTop runs the top-n statement of lbTopRows.
func lbScanTop(db *gorm.DB, k lbKey, withNames bool, n int) ([]LeaderRow, error) {
	cols, join := "", ""
	if withNames {
		cols, join = ", u.handle, u.display_name", " JOIN users u ON u.id = t.user_id"
	}
	q := `SELECT t.user_id, t.points` + cols + `,
		EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = t.user_id AND r.role IN ('moderator', 'admin')) AS staff_role
		FROM (SELECT s.user_id, s.points FROM leaderboard_scores s
			WHERE s.period = ? AND s.period_start = ? AND s.board_id = ? AND s.audience = ? AND s.points > 0
			ORDER BY s.points DESC, s.user_id LIMIT ?) t` + join + `
		ORDER BY t.points DESC, t.user_id`
	var rows []LeaderRow
	if err := db.Raw(q, k.period, k.start, k.boardID, k.audience, n).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("leaderboard %s: %w", k, err)
	}
	return rows, nil
}

// rankRows numbers rows already ordered by points: equal points share a
// rank and the next rank skips (1, 2, 2, 4).
func rankRows(rows []LeaderRow) {
	for i := range rows {
		if i > 0 && rows[i].Points == rows[i-1].Points {
			rows[i].Rank = rows[i-1].Rank
		} else {
			rows[i].Rank = i + 1
		}
	}
}

// lbRankChanges fills each row's Change from the previous period's board.
func lbRankChanges(db *gorm.DB, prev lbKey, excludeStaff bool, rows []LeaderRow) error {
	before, err := lbTopRows(db, prev, excludeStaff, false, PrevRankDepth)
	if err != nil {
		return err
	}
	rankRows(before)
	prevRank := make(map[int64]int, len(before))
	for _, r := range before {
		prevRank[r.UserID] = r.Rank
	}
	var unknown []int64
	for i := range rows {
		if p, ok := prevRank[rows[i].UserID]; ok {
			rows[i].Change = &RankChange{Prev: p, Delta: p - rows[i].Rank}
		} else {
			unknown = append(unknown, rows[i].UserID)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	var deeper []int64
	// Only a full previous board can have users below its depth.
	if len(before) == PrevRankDepth {
		if err := db.Raw(`SELECT user_id FROM leaderboard_scores
			WHERE period = ? AND period_start = ? AND board_id = ? AND audience = ? AND points > 0 AND user_id IN ?`,
			prev.period, prev.start, prev.boardID, prev.audience, unknown).Scan(&deeper).Error; err != nil {
			return fmt.Errorf("previous leaderboard: %w", err)
		}
	}
	below := make(map[int64]bool, len(deeper))
	for _, id := range deeper {
		below[id] = true
	}
	for i := range rows {
		if rows[i].Change == nil {
			rows[i].Change = &RankChange{New: !below[rows[i].UserID], Below: below[rows[i].UserID]}
		}
	}
	return nil
}

// LeaderboardRefreshOptions tunes RefreshLeaderboards.
type LeaderboardRefreshOptions struct {
	Now time.Time // decides which week and month are current; zero: time.Now()
	// BatchSize is how many ledger rows one transaction counts (default
	// 50,000).
	BatchSize int
	// GapGrace is how long a hole in the ledger's ids may stay open before
	// the refresh gives up waiting for it (default one minute). A hole is
	// a transaction that took an id and has not committed yet, or one that
	// rolled back; counting past an open one would skip it for ever.
	GapGrace time.Duration
	// MaxBatches bounds one call (0: until caught up).
	MaxBatches int
}

// RefreshResult says what one refresh did.
type RefreshResult struct {
	Events    int64 // ledger rows counted
	Batches   int
	Watermark int64
}

// RefreshLeaderboards adds the ledger rows after the watermark to
// leaderboard_scores, batch by batch, each batch and its new watermark in
// one transaction: a retried or concurrent run never counts a row twice.
//
// Each row counts on the overall board and on its board (when it has one),
// for its week, its month and all time, on the staff board when its user is
// an employee now and on the members' board otherwise. An undo row counts
// in the periods and on the board of the award it reverses, so a kudos
// withdrawn next week leaves last week's board too. Rows of a week or month
// older than the previous one are not kept.
func RefreshLeaderboards(ctx context.Context, db *gorm.DB, opt LeaderboardRefreshOptions) (RefreshResult, error) {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 50000
	}
	if opt.GapGrace <= 0 {
		opt.GapGrace = time.Minute
	}
	var res RefreshResult
	db = db.WithContext(ctx)
	for opt.MaxBatches == 0 || res.Batches < opt.MaxBatches {
		n, wm, err := refreshBatch(db, opt)
		if err != nil {
			return res, err
		}
		res.Watermark = wm
		if n == 0 {
			break
		}
		res.Events += n
		res.Batches++
		if err := ctx.Err(); err != nil {
			return res, err
		}
	}
	return res, pruneLeaderboards(db, opt.Now)
}

// refreshBatch counts one batch; it returns how many rows it counted and
// the watermark after it.
func refreshBatch(db *gorm.DB, opt LeaderboardRefreshOptions) (int64, int64, error) {
	var counted, wm int64
	err := db.Transaction(func(tx *gorm.DB) error {
		var err error
		if wm, err = lockLeaderboardState(tx); err != nil {
			return err
		}
		hi, n, err := safeBatchEnd(tx, wm, opt)
		if err != nil || hi == wm {
			return err
		}
		if err := tx.Exec(upsertScoresSQL(DialectOf(tx)), wm, hi,
			PrevPeriodStart(PeriodWeek, opt.Now).Unix(), PrevPeriodStart(PeriodMonth, opt.Now).Unix()).Error; err != nil {
			return fmt.Errorf("count ledger rows %d..%d: %w", wm+1, hi, err)
		}
		if err := tx.Exec(`UPDATE leaderboard_state SET last_event_id = ?, updated_at = ? WHERE id = 1`, hi, time.Now().UTC()).Error; err != nil {
			return fmt.Errorf("advance leaderboard watermark: %w", err)
		}
		counted, wm = n, hi
		return nil
	})
	return counted, wm, err
}

// lockLeaderboardState reads the watermark, holding its row lock on
// PostgreSQL so two refreshes take turns (SQLite transactions are already
// serialised).
func lockLeaderboardState(tx *gorm.DB) (int64, error) {
	q := `SELECT last_event_id FROM leaderboard_state WHERE id = 1`
	if DialectOf(tx) == Postgres {
		q += ` FOR UPDATE`
	}
	var wm []int64
	if err := tx.Raw(q).Scan(&wm).Error; err != nil {
		return 0, fmt.Errorf("read leaderboard watermark: %w", err)
	}
	if len(wm) == 0 {
		return 0, errors.New("leaderboard_state has no row")
	}
	return wm[0], nil
}

// safeBatchEnd returns the highest ledger id up to which the next batch may
// count (wm when there is nothing to count) and how many rows that is. Ids
// come from a sequence in the order transactions take them, not the order
// they commit: a hole means a transaction still running (wait for it) or
// rolled back (a hole for ever). A hole whose next row is older than
// GapGrace is taken to be for ever.
func safeBatchEnd(tx *gorm.DB, wm int64, opt LeaderboardRefreshOptions) (int64, int64, error) {
	var span struct {
		N   int64
		Max *int64
	}
	if err := tx.Raw(`SELECT COUNT(*) AS n, MAX(id) AS max FROM (SELECT id FROM point_events WHERE id > ? ORDER BY id LIMIT ?) b`,
		wm, opt.BatchSize).Scan(&span).Error; err != nil {
		return wm, 0, fmt.Errorf("read ledger after %d: %w", wm, err)
	}
	if span.N == 0 || span.Max == nil {
		return wm, 0, nil
	}
	if *span.Max-wm == span.N {
		return *span.Max, span.N, nil // no hole: the common case
	}
	var rows []struct {
		ID        int64
		CreatedAt time.Time
	}
	if err := tx.Raw(`SELECT id, created_at FROM point_events WHERE id > ? ORDER BY id LIMIT ?`, wm, opt.BatchSize).
		Scan(&rows).Error; err != nil {
		return wm, 0, fmt.Errorf("read ledger ids after %d: %w", wm, err)
	}
	hi, n := wm, int64(0)
	for _, r := range rows {
		if r.ID != hi+1 && r.CreatedAt.After(opt.Now.Add(-opt.GapGrace)) {
			break // a young hole: its transaction may still commit
		}
		hi, n = r.ID, n+1
	}
	return hi, n, nil
}

// upsertScoresSQL counts the ledger rows in (?, ?] into leaderboard_scores
// in one statement: each row fans out to 3 periods x (overall, its board),
// grouped so each key is written once. The last two parameters are the
// starts of the previous week and month: older periods are not kept.
func upsertScoresSQL(d Dialect) string {
	week, month := lbPeriodStartSQL(d)
	return `INSERT INTO leaderboard_scores (period, period_start, board_id, audience, user_id, points)
SELECT k.period, k.period_start, k.board_id, k.audience, k.user_id, SUM(k.points)
FROM (
  SELECT per.name AS period,
    CASE per.name WHEN 'week' THEN ` + week + ` WHEN 'month' THEN ` + month + ` ELSE 0 END AS period_start,
    CASE sc.n WHEN 0 THEN 0 ELSE ev.b END AS board_id,
    ev.audience, ev.user_id, ev.points
  FROM (
    SELECT e.user_id, e.points, COALESCE(o.created_at, e.created_at) AS t, COALESCE(o.board_id, e.board_id) AS b,
      CASE WHEN EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = e.user_id AND r.role = 'employee')
        THEN 'staff' ELSE 'member' END AS audience
    FROM point_events e LEFT JOIN point_events o ON o.id = e.reverses_id
    WHERE e.id > ? AND e.id <= ?
  ) ev
  CROSS JOIN (SELECT 'week' AS name UNION ALL SELECT 'month' UNION ALL SELECT 'all') per
  CROSS JOIN (SELECT 0 AS n UNION ALL SELECT 1) sc
  WHERE sc.n = 0 OR (ev.b IS NOT NULL AND ev.b <> 0)
) k
WHERE k.period = 'all' OR k.period_start >= CASE k.period WHEN 'week' THEN CAST(? AS BIGINT) ELSE CAST(? AS BIGINT) END
GROUP BY k.period, k.period_start, k.board_id, k.audience, k.user_id
ON CONFLICT (period, period_start, board_id, audience, user_id)
DO UPDATE SET points = leaderboard_scores.points + excluded.points`
}

// lbPeriodStartSQL returns expressions for the Unix time of the UTC week
// (Monday) and month start of ev.t.
func lbPeriodStartSQL(d Dialect) (week, month string) {
	if d == Postgres {
		return `CAST(EXTRACT(EPOCH FROM date_trunc('week', ev.t AT TIME ZONE 'UTC')) AS BIGINT)`,
			`CAST(EXTRACT(EPOCH FROM date_trunc('month', ev.t AT TIME ZONE 'UTC')) AS BIGINT)`
	}
	// 'weekday 0' moves to the next Sunday (or stays on one); six days
	// back is that week's Monday.
	return `CAST(strftime('%s', date(ev.t, 'weekday 0', '-6 days')) AS INTEGER)`,
		`CAST(strftime('%s', date(ev.t, 'start of month')) AS INTEGER)`
}

// pruneLeaderboards drops week and month rows older than the previous
// period: no page shows them, and without this the table would grow by a
// board per user every week.
func pruneLeaderboards(db *gorm.DB, now time.Time) error {
	err := db.Exec(`DELETE FROM leaderboard_scores WHERE (period = 'week' AND period_start < ?) OR (period = 'month' AND period_start < ?)`,
		PrevPeriodStart(PeriodWeek, now).Unix(), PrevPeriodStart(PeriodMonth, now).Unix()).Error
	if err != nil {
		return fmt.Errorf("prune leaderboards: %w", err)
	}
	return nil
}

// LeaderboardWatermark returns the last ledger id the leaderboards count.
func LeaderboardWatermark(ctx context.Context, db *gorm.DB) (int64, error) {
	var wm int64
	err := db.WithContext(ctx).Raw(`SELECT last_event_id FROM leaderboard_state WHERE id = 1`).Scan(&wm).Error
	return wm, err
}

// String names a board key in errors.
func (k lbKey) String() string {
	return k.period + "/" + strconv.FormatInt(k.start, 10) + "/" + strconv.FormatInt(k.boardID, 10) + "/" + k.audience
}

// Places is how many places the user moved, whichever way.
func (c *RankChange) Places() int {
	if c.Delta < 0 {
		return -c.Delta
	}
	return c.Delta
}
