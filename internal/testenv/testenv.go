// Package testenv gives tests fresh, migrated databases and Redis servers:
// SQLite and miniredis always, PostgreSQL and a real Redis when
// TEST_DATABASE_URL and TEST_REDIS_URL are set (as .ci/run sets them).
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/models"
)

// Backend names a database backend under test.
type Backend string

// The backends.
const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// InCI reports whether the tests run under CI, where every backend and tool
// must be present and a missing one fails instead of skipping.
func InCI() bool { return os.Getenv("CI") == "true" }

// RandomName returns a short random identifier with the given prefix.
func RandomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Backends lists the database backends this run covers.
func Backends() []Backend {
	if os.Getenv("TEST_DATABASE_URL") != "" {
		return []Backend{SQLite, Postgres}
	}
	return []Backend{SQLite}
}

// ForEachDB runs f as a subtest once per backend, each with a fresh,
// migrated database.
func ForEachDB(t *testing.T, f func(t *testing.T, db *gorm.DB)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(string(b), func(t *testing.T) {
			f(t, DB(t, b))
		})
	}
}

// DSN returns a connection string for a fresh, empty database of backend b,
// dropped when the test ends.
func DSN(t testing.TB, b Backend) string {
	t.Helper()
	if b == SQLite {
		return filepath.Join(t.TempDir(), "test.db")
	}
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		t.Fatal("TEST_DATABASE_URL is not set")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	admin, err := models.Open(base, models.OpenOptions{MaxOpenConns: 2})
	if err != nil {
		t.Fatalf("connect to TEST_DATABASE_URL: %v", err)
	}
	defer models.Close(admin)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := models.Ping(ctx, admin); err != nil {
		t.Fatalf("PostgreSQL at TEST_DATABASE_URL is unreachable: %v", err)
	}
	name := RandomName("cc_test_")
	if err := admin.WithContext(ctx).Exec("CREATE DATABASE " + name).Error; err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		a, err := models.Open(base, models.OpenOptions{MaxOpenConns: 1})
		if err != nil {
			return
		}
		defer models.Close(a)
		a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u.Path = "/" + name
	return u.String()
}

// DB opens a fresh, migrated database of backend b, closed when the test ends.
func DB(t testing.TB, b Backend) *gorm.DB {
	t.Helper()
	dsn := DSN(t, b)
	db, err := models.Open(dsn, models.OpenOptions{MaxOpenConns: 20})
	if err != nil {
		t.Fatalf("open %s: %v", b, err)
	}
	t.Cleanup(func() { models.Close(db) })
	if _, err := models.Migrate(context.Background(), db); err != nil {
		t.Fatalf("migrate %s: %v", b, err)
	}
	return db
}

// PostgresDB returns a fresh migrated PostgreSQL database, or skips the
// test when TEST_DATABASE_URL is unset (.ci/run runs the suite once with it
// set; an unreachable server then fails the test).
func PostgresDB(t testing.TB) *gorm.DB {
	t.Helper()
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("needs PostgreSQL: set TEST_DATABASE_URL=postgres://user@host:5432/db?sslmode=disable")
	}
	return DB(t, Postgres)
}

// RedisURL returns the URL of a Redis server for the test: the real one at
// TEST_REDIS_URL when set, else a miniredis started for this test whose
// clock follows real time (so asynq's locks and leases expire).
func RedisURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		opt, err := redis.ParseURL(u)
		if err != nil {
			t.Fatalf("TEST_REDIS_URL: %v", err)
		}
		c := redis.NewClient(opt)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Ping(ctx).Err(); err != nil {
			t.Fatalf("Redis at TEST_REDIS_URL is unreachable: %v", err)
		}
		return u
	}
	m := miniredis.NewMiniRedis()
	if err := m.Start(); err != nil {
		t.Fatalf("start miniredis: %v", err)
	}
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				m.FastForward(100 * time.Millisecond)
			}
		}
	}()
	t.Cleanup(func() { close(stop); m.Close() })
	return "redis://" + m.Addr() + "/0"
}

// Root returns the repository root (where go.mod is), for tests that read
// ../shared.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// Shared returns the path of a file under ../shared beside the repository,
// skipping the test (failing under CI) when it is missing.
func Shared(t testing.TB, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{filepath.Dir(Root(t)), "shared"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		if InCI() {
			t.Fatalf("%s is missing: %v", p, err)
		}
		t.Skipf("%s is missing (it lives beside the repository): %v", p, err)
	}
	return p
}

// QueueName returns a queue name unique to this test, so tests sharing one
// real Redis never see each other's tasks.
func QueueName() string { return strings.ReplaceAll(RandomName("t"), "-", "") }
