package models_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// Sizes of the leaderboard benchmark's forum.
const (
	lbBenchUsers  = 1_000_000
	lbBenchBoards = 20
	lbBenchChunk  = 1_000_000 // ledger rows per INSERT statement
)

// lbBenchLedgerRows is 10,000,000 unless CROWDCARE_BENCH_LEDGER_ROWS says
// otherwise (to measure a smaller size on a small machine).
func lbBenchLedgerRows(b *testing.B) int {
	if v := os.Getenv("CROWDCARE_BENCH_LEDGER_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("CROWDCARE_BENCH_LEDGER_ROWS=%q", v)
		}
		return n
	}
	return 10_000_000
}

// BenchmarkLeaderboard builds, on PostgreSQL, a forum of 1,000,000 users
// and a ledger of 10,000,000 rows spread over the last year (a few users
// earn most points, as in real communities), counts it into the
// leaderboards with the refresh job, and then measures Top(100) for every
// period, overall and on one board. It logs the generation and refresh
// times and the plan of the top-100 query.
//
//	TEST_DATABASE_URL=postgres://... go test ./models/ -run '^$' -bench BenchmarkLeaderboard -benchtime 200x
func BenchmarkLeaderboard(b *testing.B) {
	db := testenv.PostgresDB(b)
	ctx := context.Background()
	now := time.Now().UTC()
	rows := lbBenchLedgerRows(b)
	lbBenchGenerate(b, db, now, rows)

	start := time.Now()
	res, err := models.RefreshLeaderboards(ctx, db, models.LeaderboardRefreshOptions{Now: now, BatchSize: 1_000_000})
	if err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	var scores int64
	db.Raw(`SELECT COUNT(*) FROM leaderboard_scores`).Scan(&scores)
	b.Logf("refresh: %d ledger rows in %d batches, %s (%.0f rows/s); leaderboard_scores holds %d rows",
		res.Events, res.Batches, took.Round(time.Millisecond), float64(res.Events)/took.Seconds(), scores)
	db.Exec(`ANALYZE leaderboard_scores`)
	lbBenchExplain(b, db, now)

	for _, period := range []string{models.PeriodWeek, models.PeriodMonth, models.PeriodAll} {
		for _, board := range []string{"", "bench-board-1"} {
			name := period + "/overall"
			if board != "" {
				name = period + "/board"
			}
			b.Run(name, func(b *testing.B) {
				opt := models.LeaderboardOptions{Period: period, Board: board, Audience: models.AudienceMember,
					ExcludeStaffRoles: true, Limit: 100, Now: now}
				for i := 0; i < b.N; i++ {
					lb, err := models.Top(ctx, db, opt)
					if err != nil {
						b.Fatal(err)
					}
					if len(lb.Rows) == 0 {
						b.Fatal("empty leaderboard")
					}
				}
			})
		}
	}
}

// lbBenchGenerate writes the users, roles, boards and ledger with
// server-side SQL, a million rows per statement, and logs how long it took.
func lbBenchGenerate(b *testing.B, db *gorm.DB, now time.Time, rows int) {
	b.Helper()
	start := time.Now()
	exec := func(what, q string, args ...any) {
		t := time.Now()
		if err := db.Exec(q, args...).Error; err != nil {
			b.Fatalf("%s: %v", what, err)
		}
		b.Logf("generate %s: %s", what, time.Since(t).Round(time.Millisecond))
	}
	exec("users", `INSERT INTO users (handle, display_name, created_at, updated_at)
		SELECT 'user' || g, 'User ' || g, ?, ? FROM generate_series(1, ?) g`, now.AddDate(-2, 0, 0), now, lbBenchUsers)
	// 1% employees, 0.1% moderators.
	exec("roles", `INSERT INTO user_roles (user_id, role, created_at)
		SELECT id, 'employee', ?::timestamptz FROM users WHERE id % 100 = 0
		UNION ALL SELECT id, 'moderator', ?::timestamptz FROM users WHERE id % 1000 = 7`, now, now)
	exec("boards", `INSERT INTO boards (slug, name, visibility, position, created_at, updated_at)
		SELECT 'bench-board-' || g, 'Bench board ' || g, 'public', g, ?::timestamptz, ?::timestamptz FROM generate_series(1, ?) g`, now, now, lbBenchBoards)
	var firstBoard int64
	db.Raw(`SELECT MIN(id) FROM boards`).Scan(&firstBoard)
	for from := 1; from <= rows; from += lbBenchChunk {
		to := min(from+lbBenchChunk-1, rows)
		// power(random(), 3) puts most points on few users; the times
		// spread evenly over the last 365 days.
		exec(fmt.Sprintf("ledger %d-%d", from, to), `INSERT INTO point_events
			(user_id, points, reason, subject_type, subject_id, board_id, award_key, created_at)
			SELECT 1 + floor(power(random(), 3) * ?)::bigint, (ARRAY[2, 10, 10, 15])[1 + floor(random() * 4)::int],
				'kudos_received', 'post', g, ? + (g % ?), 'bench:' || g, ?::timestamptz - random() * interval '365 days'
			FROM generate_series(?::bigint, ?::bigint) g`, lbBenchUsers, firstBoard, lbBenchBoards, now, from, to)
	}
	took := time.Since(start)
	b.Logf("generate: %d users, %d ledger rows in %s (%.0f ledger rows/s)", lbBenchUsers, rows, took.Round(time.Millisecond), float64(rows)/took.Seconds())
	db.Exec(`ANALYZE`)
}

// lbBenchExplain logs the plans of the statements behind Top for this
// week's members' board, moderators excluded: overall and on one board, the
// top 100 and the previous week's top PrevRankDepth.
func lbBenchExplain(b *testing.B, db *gorm.DB, now time.Time) {
	b.Helper()
	var board int64
	db.Raw(`SELECT id FROM boards WHERE slug = 'bench-board-1'`).Scan(&board)
	week, prev := models.PeriodStart(models.PeriodWeek, now).Unix(), models.PrevPeriodStart(models.PeriodWeek, now).Unix()
	for _, c := range []struct {
		what         string
		start, board int64
		limit        int
	}{{"top 100, overall", week, 0, 100}, {"top 100, one board", week, board, 100},
		{"previous week's top 1000, one board", prev, board, models.PrevRankDepth}} {
		var plan []string
		names, join := ", u.handle, u.display_name", " JOIN users u ON u.id = t.user_id"
		if c.limit > 100 {
			names, join = "", "" // Top reads no names for the previous period
		}
		// The statement lbScanTop runs, with moderators' slack.
		err := db.Raw(`EXPLAIN (ANALYZE, BUFFERS) SELECT t.user_id, t.points`+names+`,
		EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = t.user_id AND r.role IN ('moderator', 'admin')) AS staff_role
		FROM (SELECT s.user_id, s.points FROM leaderboard_scores s
			WHERE s.period = 'week' AND s.period_start = ? AND s.board_id = ? AND s.audience = 'member' AND s.points > 0
			ORDER BY s.points DESC, s.user_id LIMIT ?) t`+join+`
		ORDER BY t.points DESC, t.user_id`, c.start, c.board, c.limit+50).Scan(&plan).Error
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("EXPLAIN ANALYZE %s:\n%s", c.what, strings.Join(plan, "\n"))
	}
}
