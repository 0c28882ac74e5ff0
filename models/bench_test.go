package models_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// The benchmarks measure the read paths on PostgreSQL with a large seed
// (DESIGN.md's performance budgets):
//
//	TEST_DATABASE_URL=postgres://... go test ./models/ -run '^$' -bench . -benchtime 200x
//
// CROWDCARE_BENCH_QUESTIONS sets the seed size (default 100,000). The seed
// is built once per test binary, on the first benchmark that needs it, in a
// fresh database that TestMain drops at the end.

// benchForum is the seeded database the benchmarks share. A test binary
// runs its benchmarks one after another, so one seed serves them all.
type benchForum struct {
	once sync.Once
	err  error

	base, name string // TEST_DATABASE_URL and the database created from it
	db         *gorm.DB
	questions  int
	seedTime   time.Duration
	fiftyID    int64          // a question with 50 answers
	cursors    map[string]int // list name → page its cursor opens
	cursor     map[string]string
}

var forum benchForum

func TestMain(m *testing.M) {
	code := m.Run()
	forum.drop()
	os.Exit(code)
}

// benchDB returns the seeded forum, skipping the benchmark without PostgreSQL.
func benchDB(b *testing.B) *benchForum {
	b.Helper()
	if os.Getenv("TEST_DATABASE_URL") == "" {
		b.Skip("benchmarks run on PostgreSQL: set TEST_DATABASE_URL=postgres://user@host:5432/db?sslmode=disable")
	}
	forum.once.Do(func() {
		forum.err = forum.build()
		if forum.err == nil {
			b.Logf("seeded %d questions in %s", forum.questions, forum.seedTime.Round(time.Millisecond))
		}
	})
	if forum.err != nil {
		b.Fatal(forum.err)
	}
	return &forum
}

func (f *benchForum) build() error {
	f.questions = 100_000
	if s := os.Getenv("CROWDCARE_BENCH_QUESTIONS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1000 {
			return fmt.Errorf("CROWDCARE_BENCH_QUESTIONS=%q: want a number of at least 1000", s)
		}
		f.questions = n
	}
	f.base = os.Getenv("TEST_DATABASE_URL")
	f.name = testenv.RandomName("cc_bench_")
	if err := f.admin("CREATE DATABASE " + f.name); err != nil {
		f.name = ""
		return err
	}
	u, err := url.Parse(f.base)
	if err != nil {
		return err
	}
	u.Path = "/" + f.name
	if f.db, err = models.Open(u.String(), models.OpenOptions{}); err != nil {
		return err
	}
	ctx := context.Background()
	if _, err := models.Migrate(ctx, f.db); err != nil {
		return err
	}
	start := time.Now()
	if err := models.SeedLarge(ctx, f.db, models.LargeSeedOptions{Questions: f.questions}); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	f.seedTime = time.Since(start)
	if err := f.db.Raw(`SELECT id FROM questions WHERE answer_count = 50 ORDER BY id LIMIT 1`).Scan(&f.fiftyID).Error; err != nil || f.fiftyID == 0 {
		return fmt.Errorf("no question with 50 answers in the seed: %v", err)
	}
	return f.findCursors(ctx)
}

// findCursors walks the lists page by page, as a reader clicking "next"
// would, to the deep pages the benchmarks open directly.
func (f *benchForum) findCursors(ctx context.Context) error {
	f.cursors = map[string]int{
		"latest":     min(1000, f.questions/models.PageSize-1),
		"unanswered": min(100, f.questions/4/models.PageSize-1),
	}
	f.cursor = map[string]string{}
	for name, page := range f.cursors {
		cur := ""
		for p := 1; p < page; p++ {
			_, next, err := models.ListQuestions(ctx, f.db, nil, models.ListOptions{Kind: models.ListKind(name), Cursor: cur})
			if err != nil {
				return err
			}
			if next == "" {
				return fmt.Errorf("%s list ends at page %d, before page %d", name, p, page)
			}
			cur = next
		}
		f.cursor[name] = cur
	}
	return nil
}

// admin runs one statement on the server's maintenance database.
func (f *benchForum) admin(sql string) error {
	a, err := models.Open(f.base, models.OpenOptions{MaxOpenConns: 1})
	if err != nil {
		return err
	}
	defer models.Close(a)
	return a.Exec(sql).Error
}

func (f *benchForum) drop() {
	if f.db != nil {
		models.Close(f.db)
	}
	if f.name != "" {
		if err := f.admin("DROP DATABASE IF EXISTS " + f.name + " WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "drop benchmark database %s: %v\n", f.name, err)
		}
	}
}

// BenchmarkQuestionPage loads a question with 50 answers by 50 authors.
func BenchmarkQuestionPage(b *testing.B) {
	f := benchDB(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v, err := models.LoadQuestion(ctx, f.db, nil, f.fiftyID)
		if err != nil || len(v.Answers) != 50 {
			b.Fatalf("question %d: %v", f.fiftyID, err)
		}
	}
}

// BenchmarkLatestList reads the first page and a deep page of the latest
// list; keyset pagination should make them cost the same.
func BenchmarkLatestList(b *testing.B) {
	benchList(b, models.ListLatest)
}

// BenchmarkUnansweredList is the list experts work from, oldest first.
func BenchmarkUnansweredList(b *testing.B) {
	benchList(b, models.ListUnanswered)
}

func benchList(b *testing.B, kind models.ListKind) {
	f := benchDB(b)
	ctx := context.Background()
	pages := []struct {
		name, cursor string
	}{
		{"page1", ""},
		{fmt.Sprintf("page%d", f.cursors[string(kind)]), f.cursor[string(kind)]},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				rows, _, err := models.ListQuestions(ctx, f.db, nil, models.ListOptions{Kind: kind, Cursor: p.cursor})
				if err != nil || len(rows) != models.PageSize {
					b.Fatalf("%d rows, %v", len(rows), err)
				}
			}
		})
	}
}

// BenchmarkSearch runs a selective query, a prefix query and a term that
// appears in about a fifth of all posts.
func BenchmarkSearch(b *testing.B) {
	f := benchDB(b)
	ctx := context.Background()
	for _, q := range []struct{ name, query string }{
		{"selective", "m404dn firmware fails"},
		{"prefix", "thunderb"},
		{"common", "diagnostics"},
	} {
		b.Run(q.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				res, _, err := models.Search(ctx, f.db, nil, q.query, 1)
				if err != nil || len(res) == 0 {
					b.Fatalf("search %q: %d results, %v", q.query, len(res), err)
				}
			}
		})
	}
}
