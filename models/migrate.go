package models

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/models/migrations"
)

// Migration is one versioned schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+?)(?:\.(postgres|sqlite))?\.sql$`)

// placeholders maps the dialect-neutral tokens used in migration files.
var placeholders = map[Dialect]*strings.Replacer{
	Postgres: strings.NewReplacer("{{pk}}", "BIGSERIAL PRIMARY KEY", "{{ts}}", "TIMESTAMPTZ"),
	SQLite:   strings.NewReplacer("{{pk}}", "INTEGER PRIMARY KEY AUTOINCREMENT", "{{ts}}", "DATETIME"),
}

// LoadMigrations returns the migrations for dialect d in version order, read
// from fsys (normally migrations.FS).
func LoadMigrations(fsys fs.FS, d Dialect) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	byVersion := map[int]*Migration{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		if m[3] != "" && Dialect(m[3]) != d {
			continue
		}
		v, _ := strconv.Atoi(m[1])
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		sql := placeholders[d].Replace(string(body))
		if prev, ok := byVersion[v]; ok {
			if prev.Name != m[2] {
				return nil, fmt.Errorf("migration %04d has two names: %s and %s", v, prev.Name, m[2])
			}
			prev.SQL += "\n" + sql
			continue
		}
		byVersion[v] = &Migration{Version: v, Name: m[2], SQL: sql}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies every embedded migration not yet recorded in
// schema_migrations, each in its own transaction. It returns the versions it
// applied.
func Migrate(ctx context.Context, db *gorm.DB) ([]int, error) {
	ms, err := LoadMigrations(migrations.FS, DialectOf(db))
	if err != nil {
		return nil, err
	}
	return MigrateWith(ctx, db, ms)
}

// MigrateWith applies the given migrations (used by tests to build a database
// with an older migration set).
//
// On PostgreSQL everything runs on one connection holding a session-level
// advisory lock: a lock taken through the pool would land on one connection
// while later statements (and the unlock) use others, so a second migrator
// could slip past it and the lock could stay held on an idle connection.
// Creating schema_migrations also happens under the lock, because two
// concurrent CREATE TABLE IF NOT EXISTS race on PostgreSQL's catalogue.
func MigrateWith(ctx context.Context, db *gorm.DB, ms []Migration) ([]int, error) {
	var applied []int
	err := db.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		if DialectOf(conn) == Postgres {
			if err := conn.Exec(`SELECT pg_advisory_lock(7262001)`).Error; err != nil {
				return fmt.Errorf("lock migrations: %w", err)
			}
			// Unlock even when ctx has ended, so the pooled connection does
			// not keep the lock.
			defer conn.WithContext(context.WithoutCancel(ctx)).Exec(`SELECT pg_advisory_unlock(7262001)`)
		}
		if err := conn.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name VARCHAR(100) NOT NULL,
		applied_at ` + map[Dialect]string{Postgres: "TIMESTAMPTZ", SQLite: "DATETIME"}[DialectOf(conn)] + ` NOT NULL)`).Error; err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		for _, m := range ms {
			done, err := applyMigration(conn, m)
			if err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
			}
			if done {
				applied = append(applied, m.Version)
			}
		}
		return nil
	})
	return applied, err
}

// applyMigration runs m in one transaction unless it is already recorded,
// and reports whether it ran. The check sits inside the transaction so that
// on SQLite (whose transactions take the write lock at BEGIN) a concurrent
// migrator sees the version once the first one commits.
func applyMigration(conn *gorm.DB, m Migration) (bool, error) {
	ran := false
	err := conn.Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Table("schema_migrations").Where("version = ?", m.Version).Count(&n).Error; err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		if n > 0 {
			return nil
		}
		for _, stmt := range splitSQL(m.SQL) {
			if err := tx.Exec(stmt).Error; err != nil {
				return fmt.Errorf("%w\n-- in statement:\n%s", err, stmt)
			}
		}
		ran = true
		return tx.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, time.Now().UTC()).Error
	})
	return ran && err == nil, err
}

// SchemaVersion returns the highest applied migration version (0 when none).
func SchemaVersion(ctx context.Context, db *gorm.DB) (int, error) {
	var v *int
	err := db.WithContext(ctx).Raw(`SELECT MAX(version) FROM schema_migrations`).Scan(&v).Error
	if err != nil || v == nil {
		return 0, err
	}
	return *v, nil
}

// splitSQL splits a migration file into statements on semicolons at the end
// of a line, dropping comment-only lines. Migration files keep to that form.
func splitSQL(s string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, strings.TrimSpace(cur.String()))
	}
	return out
}
