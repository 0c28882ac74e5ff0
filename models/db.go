// Package models holds Crowdcare's data and business rules: gorm models,
// queries, transactions and the rules that govern them. It imports neither
// gin, asynq nor goth.
package models

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the SQL database behind a *gorm.DB.
type Dialect string

// The supported dialects.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// DialectOf reports which database db talks to.
func DialectOf(db *gorm.DB) Dialect {
	if db.Dialector.Name() == "postgres" {
		return Postgres
	}
	return SQLite
}

// OpenOptions tunes the connection pool.
type OpenOptions struct {
	MaxOpenConns int
	MaxIdleConns int
	Logger       logger.Interface
}

// Open connects to PostgreSQL when dsn starts with postgres:// or
// postgresql://, and otherwise treats dsn as the path of a SQLite file
// (created, with its directory, when missing).
func Open(dsn string, opt OpenOptions) (*gorm.DB, error) {
	if opt.Logger == nil {
		opt.Logger = logger.Discard
	}
	cfg := &gorm.Config{
		Logger:                 opt.Logger,
		SkipDefaultTransaction: true,
		PrepareStmt:            false,
		NowFunc:                func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	}
	var (
		db  *gorm.DB
		err error
	)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, err = gorm.Open(postgres.Open(dsn), cfg)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			return nil, err
		}
		if opt.MaxOpenConns <= 0 {
			opt.MaxOpenConns = 25
		}
		if opt.MaxIdleConns <= 0 {
			opt.MaxIdleConns = opt.MaxOpenConns
		}
		sqlDB.SetMaxOpenConns(opt.MaxOpenConns)
		sqlDB.SetMaxIdleConns(opt.MaxIdleConns)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
		return db, nil
	}
	if dir := filepath.Dir(dsn); dir != "" && dsn != ":memory:" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	// WAL lets readers run beside the single writer; busy_timeout makes a
	// second writer wait instead of failing with SQLITE_BUSY.
	// The path is part of a file: URI, where '?', '#' and '%' mean
	// something; escape them so any directory name works.
	uriPath := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(dsn)
	full := "file:" + uriPath + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err = gorm.Open(sqlite.Open(full), cfg)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	// SQLite has one writer; a small pool avoids lock contention.
	sqlDB.SetMaxOpenConns(4)
	sqlDB.SetMaxIdleConns(4)
	return db, nil
}

// Ping checks that the database answers.
func Ping(ctx context.Context, db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close closes the underlying pool.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}
