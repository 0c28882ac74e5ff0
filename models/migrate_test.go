package models_test

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
	"github.com/crowdcare/crowdcare/models/migrations"
)

// placeholder matches a dialect token left unreplaced (comments may mention
// "{{...}}" itself).
var placeholder = regexp.MustCompile(`\{\{[a-z_]+\}\}`)

// TestLoadMigrations checks the embedded set: both dialects load, versions
// rise strictly and carry a name and SQL, and every version
// exists for both dialects (a dialect-only file without its twin would leave
// the two schemas at different versions).
func TestLoadMigrations(t *testing.T) {
	versions := map[models.Dialect][]int{}
	for _, d := range []models.Dialect{models.SQLite, models.Postgres} {
		ms, err := models.LoadMigrations(migrations.FS, d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if len(ms) < 2 {
			t.Fatalf("%s: %d migrations, want at least 2", d, len(ms))
		}
		for i, m := range ms {
			if m.Version <= 0 || m.Name == "" || strings.TrimSpace(m.SQL) == "" {
				t.Errorf("%s: migration %d is incomplete: %+v", d, i, m)
			}
			if placeholder.MatchString(m.SQL) {
				t.Errorf("%s: migration %04d keeps an unreplaced placeholder", d, m.Version)
			}
			if i > 0 && m.Version <= ms[i-1].Version {
				t.Errorf("%s: version %d follows %d", d, m.Version, ms[i-1].Version)
			}
			versions[d] = append(versions[d], m.Version)
		}
	}
	if a, b := versions[models.SQLite], versions[models.Postgres]; len(a) != len(b) {
		t.Fatalf("sqlite has versions %v, postgres %v", a, b)
	} else {
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("sqlite has versions %v, postgres %v", a, b)
			}
		}
	}
}

// TestLoadMigrationsRules checks file selection and merging on a synthetic
// directory: dialect files merge into the shared version, other dialects
// and stray files are ignored, and one version with two names is refused.
func TestLoadMigrationsRules(t *testing.T) {
	fsys := fstest.MapFS{
		"0002_b.sql":          {Data: []byte("CREATE TABLE b (id {{pk}});")},
		"0001_a.sql":          {Data: []byte("CREATE TABLE a (t {{ts}});")},
		"0002_b.postgres.sql": {Data: []byte("SELECT 'pg';")},
		"0002_b.sqlite.sql":   {Data: []byte("SELECT 'lite';")},
		"README.md":           {Data: []byte("not a migration")},
		"0003_c.mysql.sql":    {Data: []byte("nope")},
	}
	ms, err := models.LoadMigrations(fsys, models.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Version != 1 || ms[1].Version != 2 {
		t.Fatalf("loaded %+v", ms)
	}
	if !strings.Contains(ms[0].SQL, "DATETIME") || !strings.Contains(ms[1].SQL, "AUTOINCREMENT") ||
		!strings.Contains(ms[1].SQL, "'lite'") || strings.Contains(ms[1].SQL, "'pg'") {
		t.Fatalf("sqlite SQL: %q / %q", ms[0].SQL, ms[1].SQL)
	}
	fsys["0002_other.postgres.sql"] = &fstest.MapFile{Data: []byte("SELECT 1;")}
	if _, err := models.LoadMigrations(fsys, models.Postgres); err == nil || !strings.Contains(err.Error(), "two names") {
		t.Fatalf("one version with two names: %v", err)
	}
}

// TestMigrateUpgradesOldDatabase builds a database with only the first
// migration, fills it the way that schema's code did, then upgrades it.
func TestMigrateUpgradesOldDatabase(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(string(b), func(t *testing.T) {
			ctx := context.Background()
			db := openEmpty(t, b)
			ms, err := models.LoadMigrations(migrations.FS, models.DialectOf(db))
			if err != nil {
				t.Fatal(err)
			}
			if applied, err := models.MigrateWith(ctx, db, ms[:1]); err != nil || len(applied) != 1 {
				t.Fatalf("first migration: %v %v", applied, err)
			}
			old := insertOldRows(t, db)

			applied, err := models.Migrate(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if want := versionsOf(ms[1:]); !slices.Equal(applied, want) {
				t.Fatalf("upgrade applied %v, want %v", applied, want)
			}
			var recorded []int
			if err := db.Table("schema_migrations").Order("version").Pluck("version", &recorded).Error; err != nil {
				t.Fatal(err)
			}
			if want := versionsOf(ms); !slices.Equal(recorded, want) {
				t.Fatalf("schema_migrations holds %v, want %v", recorded, want)
			}
			if v, err := models.SchemaVersion(ctx, db); err != nil || v != ms[len(ms)-1].Version {
				t.Fatalf("schema version %d %v", v, err)
			}
			checkOldRowsUsable(t, db, old)
			if again, err := models.Migrate(ctx, db); err != nil || len(again) != 0 {
				t.Fatalf("second Migrate applied %v, %v", again, err)
			}
		})
	}
}

// oldRows are the ids of rows written under the first schema.
type oldRows struct{ user, board, question, post int64 }

// insertOldRows writes a user, a board, a question and its post with raw
// SQL against the first migration's schema (no search index exists yet).
func insertOldRows(t *testing.T, db *gorm.DB) oldRows {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	var r oldRows
	insert := func(dst *int64, sql string, args ...any) {
		t.Helper()
		if err := db.Raw(sql+" RETURNING id", args...).Scan(dst).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	insert(&r.user, `INSERT INTO users (handle, display_name, created_at, updated_at) VALUES (?, ?, ?, ?)`,
		"oldtimer", "Old Timer", now, now)
	insert(&r.board, `INSERT INTO boards (slug, name, visibility, question_count, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		"legacy", "Legacy", "public", 1, now, now)
	insert(&r.question, `INSERT INTO questions (board_id, author_id, title, created_at, updated_at, last_activity_at) VALUES (?, ?, ?, ?, ?, ?)`,
		r.board, r.user, "Scanner jams on page two", now, now, now)
	insert(&r.post, `INSERT INTO posts (question_id, author_id, kind, body_md, body_html, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.question, r.user, "question", "It jams.", "<p>It jams.</p>", now, now)
	return r
}

// checkOldRowsUsable reads the old question through today's code, edits it
// (which writes the search entry the old schema lacked) and finds it.
func checkOldRowsUsable(t *testing.T, db *gorm.DB, r oldRows) {
	t.Helper()
	ctx := context.Background()
	v, err := models.LoadQuestion(ctx, db, nil, r.question)
	if err != nil {
		t.Fatalf("load old question: %v", err)
	}
	if v.Title != "Scanner jams on page two" || v.Board.Slug != "legacy" || v.Body.ID != r.post ||
		v.Body.BodyHTML != "<p>It jams.</p>" || v.Body.Author == nil || v.Body.Author.Handle != "oldtimer" {
		t.Fatalf("old question reads as %+v (body %+v)", v.Question, v.Body)
	}
	author, err := models.UserByID(ctx, db, r.user)
	if err != nil {
		t.Fatal(err)
	}
	err = models.EditPost(ctx, db, author, r.post, models.EditInput{Title: "Scanner jams on page two", Body: "It jams with a grinding noise."})
	if err != nil {
		t.Fatalf("edit old post: %v", err)
	}
	res, _, err := models.Search(ctx, db, nil, "grinding", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].ID != r.question {
		t.Fatalf("search after edit found %d questions", len(res))
	}
	var revs int64
	db.Model(&models.PostRevision{}).Where("post_id = ?", r.post).Count(&revs)
	if revs != 1 {
		t.Fatalf("%d revisions of the old post, want 1", revs)
	}
}

// TestMigrateBrokenMigrationRollsBack applies a migration whose second
// statement is invalid: the first statement's table must not survive and the
// version must not be recorded, so a fixed migration can run later.
func TestMigrateBrokenMigrationRollsBack(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(string(b), func(t *testing.T) {
			ctx := context.Background()
			db := openEmpty(t, b)
			ms, err := models.LoadMigrations(migrations.FS, models.DialectOf(db))
			if err != nil {
				t.Fatal(err)
			}
			broken := models.Migration{Version: 9001, Name: "broken",
				SQL: "CREATE TABLE half_done (id INTEGER);\nINSERT INTO half_done (id) VALUES (1);\nCREATE TABLE oops (;\n"}
			applied, err := models.MigrateWith(ctx, db, append(append([]models.Migration{}, ms...), broken))
			if err == nil {
				t.Fatal("broken migration succeeded")
			}
			if !strings.Contains(err.Error(), "9001_broken") {
				t.Errorf("error does not name the migration: %v", err)
			}
			if !slices.Equal(applied, versionsOf(ms)) {
				t.Errorf("applied %v before the broken one, want %v", applied, versionsOf(ms))
			}
			if db.Migrator().HasTable("half_done") {
				t.Error("table from the broken migration survived its rollback")
			}
			var n int64
			db.Table("schema_migrations").Where("version = ?", 9001).Count(&n)
			if n != 0 {
				t.Error("broken migration was recorded")
			}
			fixed := broken
			fixed.SQL = "CREATE TABLE half_done (id INTEGER);"
			if applied, err := models.MigrateWith(ctx, db, append(ms, fixed)); err != nil || !slices.Equal(applied, []int{9001}) {
				t.Fatalf("fixed migration: %v %v", applied, err)
			}
		})
	}
}

// TestMigrateConcurrentPostgres starts two migrators, as two processes
// starting at once would, on a fresh PostgreSQL database: the advisory lock
// must let both succeed with every migration applied exactly once.
func TestMigrateConcurrentPostgres(t *testing.T) {
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("needs PostgreSQL: set TEST_DATABASE_URL")
	}
	dsn := testenv.DSN(t, testenv.Postgres)
	ms, err := models.LoadMigrations(migrations.FS, models.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 3; round++ {
		if round > 0 {
			dsn = testenv.DSN(t, testenv.Postgres)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		results := make([][]int, 2)
		var g errgroup.Group
		for i := range results {
			db, err := models.Open(dsn, models.OpenOptions{MaxOpenConns: 4})
			if err != nil {
				t.Fatal(err)
			}
			defer models.Close(db)
			g.Go(func() error {
				var err error
				results[i], err = models.Migrate(ctx, db)
				return err
			})
		}
		err := g.Wait()
		cancel()
		if err != nil {
			t.Fatalf("round %d: concurrent migrate: %v", round, err)
		}
		all := append(append([]int{}, results[0]...), results[1]...)
		slices.Sort(all)
		if !slices.Equal(all, versionsOf(ms)) {
			t.Fatalf("round %d: migrators applied %v and %v, want each of %v once", round, results[0], results[1], versionsOf(ms))
		}
		db, err := models.Open(dsn, models.OpenOptions{MaxOpenConns: 1})
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		db.Table("schema_migrations").Count(&n)
		// The lock must be free again: a third migrator finishes at once.
		lctx, lcancel := context.WithTimeout(context.Background(), 5*time.Second)
		again, err := models.Migrate(lctx, db)
		lcancel()
		models.Close(db)
		if n != int64(len(ms)) || err != nil || len(again) != 0 {
			t.Fatalf("round %d: %d rows in schema_migrations, third migrate %v %v", round, n, again, err)
		}
	}
}

// openEmpty opens a fresh database with no tables.
func openEmpty(t *testing.T, b testenv.Backend) *gorm.DB {
	t.Helper()
	db, err := models.Open(testenv.DSN(t, b), models.OpenOptions{MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { models.Close(db) })
	return db
}

func versionsOf(ms []models.Migration) []int {
	out := make([]int, len(ms))
	for i, m := range ms {
		out[i] = m.Version
	}
	return out
}
