package models_test

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// BenchmarkTrendsRun measures one periodic run of the detector over 1,000
// new questions on PostgreSQL with a large history: the history (1,000,000
// questions over the last year, written server-side with generate_series)
// is counted first, as the live job would have counted its last nine days,
// and then every iteration adds 1,000 questions and times the run over
// them. Opt-in, since the history takes minutes to build:
//
//	TEST_DATABASE_URL=postgres://... CROWDCARE_BENCH_TRENDS_HISTORY=1000000 \
//	  go test ./models/ -run '^$' -bench BenchmarkTrendsRun -benchtime 10x
func BenchmarkTrendsRun(b *testing.B) {
	history, _ := strconv.Atoi(os.Getenv("CROWDCARE_BENCH_TRENDS_HISTORY"))
	if history <= 0 {
		b.Skip("set CROWDCARE_BENCH_TRENDS_HISTORY=1000000 (and TEST_DATABASE_URL) to build the history")
	}
	db := testenv.PostgresDB(b)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	start := time.Now()
	trendBenchHistory(b, db, history, now.Add(-time.Hour))
	b.Logf("history of %d questions written in %s", history, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	res, err := models.RunTrends(ctx, db, models.TrendRunOptions{Until: now.Add(-time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("first run counted the last %d questions (nine days) in %s: %+v", res.Questions, time.Since(start).Round(time.Millisecond), res)
	db.Exec(`ANALYZE`)
	at := now.Add(-time.Hour)
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		// The next ten minutes of a busy forum: 1,000 questions.
		from := at
		at = at.Add(10 * time.Minute)
		trendBenchQuestions(b, db, 1000, from, at, int64(i))
		b.StartTimer()
		t := time.Now()
		res, err := models.RunTrends(ctx, db, models.TrendRunOptions{Until: at})
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(t)
		if res.Questions != 1000 {
			b.Fatalf("the run processed %d questions, want the 1,000 new ones", res.Questions)
		}
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/run")
}

// trendBenchHistory writes users, boards and n questions (with their
// posts) spread over the year before end, server-side.
func trendBenchHistory(b *testing.B, db *gorm.DB, n int, end time.Time) {
	b.Helper()
	exec := func(what, q string, args ...any) {
		t := time.Now()
		if err := db.Exec(q, args...).Error; err != nil {
			b.Fatalf("%s: %v", what, err)
		}
		b.Logf("generate %s: %s", what, time.Since(t).Round(time.Millisecond))
	}
	exec("users", `INSERT INTO users (handle, display_name, created_at, updated_at)
		SELECT 'tb' || g, 'Bench ' || g, ?::timestamptz, ?::timestamptz FROM generate_series(1, 50000) g`, end, end)
	exec("boards", `INSERT INTO boards (slug, name, visibility, position, created_at, updated_at)
		SELECT 'tb-board-' || g, 'Bench board ' || g, 'public', g, ?::timestamptz, ?::timestamptz FROM generate_series(1, 20) g`, end, end)
	trendBenchQuestions(b, db, n, end.AddDate(-1, 0, 0), end, -1)
}

// trendBenchQuestions writes n questions and their posts asked between
// from and to: ordinary topics, each with a product name and a number, so
// the vocabulary is that of a real board.
func trendBenchQuestions(b *testing.B, db *gorm.DB, n int, from, to time.Time, salt int64) {
	b.Helper()
	rng := rand.New(rand.NewPCG(uint64(salt+2), 7))
	err := db.Exec(`INSERT INTO questions (board_id, author_id, title, created_at, updated_at, last_activity_at)
		SELECT (SELECT MIN(id) FROM boards WHERE slug LIKE 'tb-board-%') + (g % 20),
			(SELECT MIN(id) FROM users WHERE handle LIKE 'tb%') + floor(random() * 50000)::bigint,
			(ARRAY['Printer shows offline', 'Paper jams on', 'Cannot install the driver for', 'Battery drains fast on',
				'Screen flickers on', 'Fan is loud on', 'Wifi drops on', 'Scanner is slow on', 'Ink not recognised by',
				'Touchpad stopped working on', 'Dock shows no display on', 'App cannot find'])[1 + (g % 12)]
				|| ' ' || (ARRAY['P100', 'P200', 'X5', 'Z9', 'Q7', 'M404', 'E13', 'G5'])[1 + ((g / 12) % 8)],
			t, t, t
		FROM (SELECT g, ?::timestamptz + random() * (?::timestamptz - ?::timestamptz) AS t
			FROM generate_series(1, ?) g) s
		ORDER BY t`, from, to, from, n).Error
	if err != nil {
		b.Fatalf("questions: %v", err)
	}
	// Bodies for the questions that have none yet, with a few words that
	// vary from question to question.
	err = db.Exec(`INSERT INTO posts (question_id, author_id, kind, body_md, body_html, created_at, updated_at)
		SELECT q.id, q.author_id, 'question',
			q.title || ' since ' || (ARRAY['monday', 'the update', 'yesterday', 'last week', 'this morning'])[1 + (q.id % 5)]
				|| '. Tried ' || (ARRAY['restarting', 'reinstalling', 'a new cable', 'another outlet'])[1 + ((q.id / 5) % 4)]
				|| ', code ' || (q.id % ?), '', q.created_at, q.created_at
		FROM questions q WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE p.question_id = q.id)`, 500+rng.IntN(500)).Error
	if err != nil {
		b.Fatalf("posts: %v", err)
	}
}

// BenchmarkTrendsBacktest replays 14 days of a 10,000-question stream
// (ordinary traffic in five languages and two bursts) hour by hour, on
// SQLite, and on PostgreSQL when TEST_DATABASE_URL is set. The issue's
// budget is a minute.
//
//	go test ./models/ -run '^$' -bench BenchmarkTrendsBacktest -benchtime 1x
func BenchmarkTrendsBacktest(b *testing.B) {
	for _, backend := range testenv.Backends() {
		b.Run(string(backend), func(b *testing.B) {
			db := testenv.DB(b, backend)
			w := newTrendWorld(b, db)
			bg := background{rng: rand.New(rand.NewPCG(21, 22)), boards: []string{"printers", "laptops", "account", "mobile-app"},
				rate: 37, hours: 14 * 24, users: 4000}
			qs := bg.questions()
			qs = append(qs, burst("printers", "b", 300, streamStart.Add(100*time.Hour), 72*time.Hour)...)
			qs = append(qs, burst("account", "c", 150, streamStart.Add(200*time.Hour), 48*time.Hour)...)
			w.add(qs...)
			b.Logf("%d questions over 14 days", len(qs))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				lines := 0
				err := models.Backtest(context.Background(), db, models.BacktestOptions{From: streamStart,
					To: streamStart.Add(14 * 24 * time.Hour), Step: time.Hour}, func(_ time.Time, held []models.HeldIssue) error {
					lines += len(held)
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				if lines == 0 {
					b.Fatal("the replay found neither burst")
				}
			}
		})
	}
}
