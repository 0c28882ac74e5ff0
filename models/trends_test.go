package models_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

const hour = time.Hour

// TestTrendsOrdinaryTrafficIsNoIssue: six days of recurring topics in five
// languages, with a daily rhythm and 40% growth, never make an issue: each
// term is compared with its own baseline, in proportion to the traffic.
func TestTrendsOrdinaryTrafficIsNoIssue(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		w := newTrendWorld(t, db)
		bg := background{rng: rand.New(rand.NewPCG(1, 2)), boards: []string{"printers", "laptops"}, rate: 10, hours: 144, users: 500}
		w.add(bg.questions()...)
		for at := streamStart.Add(2 * hour); !at.After(streamStart.Add(144 * hour)); at = at.Add(2 * hour) {
			if _, err := models.RunTrends(context.Background(), db, models.TrendRunOptions{Until: at}); err != nil {
				t.Fatal(err)
			}
			if is := w.issues(); len(is) > 0 {
				t.Fatalf("at %s ordinary traffic made issue %q", at, is[0].Title)
			}
		}
	})
}

// TestTrendsBurstIsOneGrowingIssue: a problem reported in six languages
// (sharing its error code) over twelve hours is found within three hours,
// as one issue that keeps growing, holding its questions and little else.
func TestTrendsBurstIsOneGrowingIssue(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		w := newTrendWorld(t, db)
		bg := background{rng: rand.New(rand.NewPCG(3, 4)), boards: []string{"printers", "laptops"}, rate: 10, hours: 120, users: 500}
		w.add(bg.questions()...)
		onset := streamStart.Add(96 * hour)
		want := map[string]bool{}
		for _, id := range w.add(burst("printers", "b", 36, onset, 12*hour)...) {
			want[id] = true
		}
		w.run(streamStart, onset, 6*hour)
		var id int64
		sizes := []int{}
		for at := onset.Add(hour); !at.After(onset.Add(16 * hour)); at = at.Add(hour) {
			held := w.run(at, at, hour)
			if len(held) > 1 {
				t.Fatalf("at %s %d issues held: %+v", at, len(held), held)
			}
			if len(held) == 0 {
				if id != 0 {
					t.Fatalf("at %s the issue is no longer held", at)
				}
				continue
			}
			if id == 0 {
				id = held[0].ID
				if d := at.Sub(onset); d > 3*hour {
					t.Errorf("found %s after the first question, want at most 3h", d)
				}
			}
			if held[0].ID != id {
				t.Fatalf("at %s a second issue %d (first %d): the burst split", at, held[0].ID, id)
			}
			sizes = append(sizes, len(held[0].Topics))
		}
		if id == 0 {
			t.Fatal("the burst was never found")
		}
		if n := len(w.issues()); n != 1 {
			t.Fatalf("%d issues stored, want 1", n)
		}
		for i := 1; i < len(sizes); i++ {
			if sizes[i] < sizes[i-1] {
				t.Errorf("the issue shrank: %v", sizes)
			}
		}
		if sizes[len(sizes)-1] <= sizes[0] {
			t.Errorf("the issue did not grow: %v", sizes)
		}
		held := w.run(onset.Add(16*hour), onset.Add(16*hour), hour)
		in := 0
		for _, q := range held[0].Topics {
			if want[q] {
				in++
			}
		}
		if in < len(want)*9/10 || in < len(held[0].Topics)*9/10 {
			t.Errorf("the issue holds %d of the %d burst questions among %d", in, len(want), len(held[0].Topics))
		}
		t.Logf("issue %d: %d questions, terms %v", id, len(held[0].Topics), held[0].Terms)
	})
}

// TestTrendsSpamIsNoIssue: one account posting thirty copies of a new
// question within an hour is one asker, not an emerging issue.
func TestTrendsSpamIsNoIssue(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		w := newTrendWorld(t, db)
		bg := background{rng: rand.New(rand.NewPCG(5, 6)), boards: []string{"printers"}, rate: 8, hours: 100, users: 400}
		w.add(bg.questions()...)
		at := streamStart.Add(90 * hour)
		var spam []synthQ
		for i := 0; i < 30; i++ {
			spam = append(spam, synthQ{Board: "printers", Author: "spammer", Title: "Cheap Z9X toner at zz-toner-shop",
				Body: "Buy the Z9X toner cartridges at zz-toner-shop today, best price", At: at.Add(time.Duration(2*i) * time.Minute)})
		}
		w.add(spam...)
		w.run(streamStart, streamStart.Add(100*hour), 2*hour)
		if is := w.issues(); len(is) > 0 {
			t.Fatalf("one account's copies made issue %q (%d askers)", is[0].Title, is[0].AskerCount)
		}
	})
}

// TestTrendsSmallIssue: a dozen people asking once each within ten hours
// about a niche product on a quiet board is an issue.
func TestTrendsSmallIssue(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		w := newTrendWorld(t, db)
		bg := background{rng: rand.New(rand.NewPCG(7, 8)), boards: []string{"printers", "laptops", "docks"}, rate: 12, hours: 110, users: 500}
		w.add(bg.questions()...)
		onset := streamStart.Add(96 * hour)
		var small []synthQ
		for i := 0; i < 12; i++ {
			small = append(small, synthQ{Board: "docks", Author: fmt.Sprintf("dock%02d", i),
				Title: "Monitors black through the K3 dock after driver 9.8.2",
				Body:  "Both monitors on my K3 dock show no signal since graphics driver 9.8.2.",
				At:    onset.Add(time.Duration(i) * 50 * time.Minute)})
		}
		w.add(small...)
		held := w.run(streamStart, onset.Add(12*hour), hour)
		if len(held) != 1 || len(held[0].Topics) < 10 {
			t.Fatalf("held %+v, want the one small issue with its questions", held)
		}
	})
}

// TestTrendsDismissedIssueStaysDismissed: once dismissed, an issue is no
// longer held, and the rest of the same burst joins it instead of coming
// back as a new issue.
func TestTrendsDismissedIssueStaysDismissed(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		w := newTrendWorld(t, db)
		bg := background{rng: rand.New(rand.NewPCG(9, 10)), boards: []string{"printers"}, rate: 8, hours: 130, users: 400}
		w.add(bg.questions()...)
		onset := streamStart.Add(96 * hour)
		w.add(burst("printers", "b", 60, onset, 30*hour)...)
		held := w.run(streamStart, onset.Add(6*hour), hour)
		if len(held) != 1 {
			t.Fatalf("%d issues held after 6 hours of the burst, want 1", len(held))
		}
		first := held[0]
		if err := models.SetIssueStatus(context.Background(), db, first.ID, models.IssueDismissed, nil); err != nil {
			t.Fatal(err)
		}
		held = w.run(onset.Add(7*hour), onset.Add(30*hour), hour)
		if len(held) != 0 {
			t.Fatalf("after dismissal %d issues held: %q", len(held), held[0].Title)
		}
		is := w.issues()
		if len(is) != 1 || is[0].Status != models.IssueDismissed {
			t.Fatalf("issues %+v, want only the dismissed one", is)
		}
		if is[0].QuestionCount <= first.Questions {
			t.Errorf("the dismissed issue has %d questions, had %d: it should keep claiming its burst", is[0].QuestionCount, first.Questions)
		}
	})
}

// TestTrendsRunsOnlyOverWhatIsNew: a run processes the questions asked
// since the previous one; running again changes nothing.
func TestTrendsRunsOnlyOverWhatIsNew(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := newTrendWorld(t, db)
		bg := background{rng: rand.New(rand.NewPCG(11, 12)), boards: []string{"printers"}, rate: 8, hours: 100, users: 400}
		qs := bg.questions()
		w.add(qs...)
		onset := streamStart.Add(90 * hour)
		w.add(burst("printers", "b", 20, onset, 5*hour)...)
		until := streamStart.Add(100 * hour)
		res, err := models.RunTrends(ctx, db, models.TrendRunOptions{Until: until})
		if err != nil {
			t.Fatal(err)
		}
		if res.Questions != len(qs)+20 || res.NewIssues != 1 {
			t.Fatalf("first run: %+v, want %d questions and 1 new issue", res, len(qs)+20)
		}
		before := trendState(t, db)
		res, err = models.RunTrends(ctx, db, models.TrendRunOptions{Until: until})
		if err != nil || res.Questions != 0 {
			t.Fatalf("second run: %+v, %v; want nothing to do", res, err)
		}
		if after := trendState(t, db); after != before {
			t.Fatalf("a second run changed the state:\n%s\n%s", before, after)
		}
		w.add(burst("printers", "c", 5, until.Add(-30*time.Minute), 20*time.Minute)...)
		res, err = models.RunTrends(ctx, db, models.TrendRunOptions{Until: until.Add(time.Hour)})
		if err != nil || res.Questions != 5 || res.NewIssues != 0 || res.Linked != 5 {
			t.Fatalf("third run: %+v, %v; want the 5 new questions linked to the issue", res, err)
		}
	})
}

// trendState summarises every table the detector writes.
func trendState(t *testing.T, db *gorm.DB) string {
	t.Helper()
	var s struct {
		Docs, Counts, Daily, Askers, Issues, Links, Terms, Questions int64
	}
	for _, q := range []struct {
		sql string
		dst *int64
	}{
		{`SELECT COUNT(*) FROM trend_docs`, &s.Docs},
		{`SELECT COUNT(*) FROM trend_counts`, &s.Counts},
		{`SELECT COUNT(*) FROM trend_daily`, &s.Daily},
		{`SELECT COALESCE(SUM(askers + posts + claimed), 0) FROM trend_daily`, &s.Askers},
		{`SELECT COUNT(*) FROM emerging_issues`, &s.Issues},
		{`SELECT COUNT(*) FROM emerging_issue_questions`, &s.Links},
		{`SELECT COALESCE(SUM(docs), 0) FROM emerging_issue_terms`, &s.Terms},
		{`SELECT COALESCE(SUM(question_count), 0) FROM emerging_issues`, &s.Questions},
	} {
		if err := db.Raw(q.sql).Scan(q.dst).Error; err != nil {
			t.Fatal(err)
		}
	}
	return fmt.Sprintf("%+v", s)
}

// TestBacktestNeverLooksAhead replays a stream: no line names a question
// asked after the line's step, the replay finds what the periodic job
// finds, and it leaves no trace in the database.
func TestBacktestNeverLooksAhead(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := newTrendWorld(t, db)
		bg := background{rng: rand.New(rand.NewPCG(13, 14)), boards: []string{"printers"}, rate: 8, hours: 108, users: 400}
		w.add(bg.questions()...)
		onset := streamStart.Add(96 * hour)
		ids := w.add(burst("printers", "b", 24, onset, 12*hour)...)
		asked := map[string]time.Time{}
		for i, id := range ids {
			asked[id] = onset.Add(time.Duration(i) * 12 * hour / 24)
		}
		end := streamStart.Add(108 * hour)
		before := trendState(t, db)
		var last []models.HeldIssue
		lines := 0
		err := models.Backtest(ctx, db, models.BacktestOptions{From: streamStart, To: end, Step: hour},
			func(at time.Time, held []models.HeldIssue) error {
				for _, h := range held {
					lines++
					for _, q := range h.Topics {
						if a, ok := asked[q]; ok && a.After(at) {
							return fmt.Errorf("the line at %s holds %s, asked at %s", at, q, a)
						}
					}
				}
				if at.Equal(end) {
					last = held
				}
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		if lines == 0 || len(last) != 1 {
			t.Fatalf("%d lines, %d issues at the end; want the burst", lines, len(last))
		}
		if after := trendState(t, db); after != before {
			t.Fatalf("the replay left rows behind:\n%s\n%s", before, after)
		}
		// The job, run hour by hour, holds the same questions.
		held := w.run(streamStart, end, hour)
		if len(held) != 1 || fmt.Sprint(held[0].Topics) != fmt.Sprint(last[0].Topics) {
			t.Fatalf("the job holds %+v, the replay %+v", held, last)
		}
	})
}
