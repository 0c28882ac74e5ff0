package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// BacktestOptions chooses the history a replay covers.
type BacktestOptions struct {
	From, To time.Time
	Step     time.Duration
	Config   TrendConfig
}

// errBacktestDone ends a replay's transaction, which rolls it back.
var errBacktestDone = errors.New("backtest done")

// Backtest replays the detector over history as the periodic job would
// have run it: at every step from From to To it processes the questions
// asked since the previous step, exactly as RunTrends does, and then calls
// emit with the issues held at that moment. Before From it runs the same
// steps silently for one span and one baseline, so the first emitted step
// has the history a live detector would have had. A step never reads a
// question asked after its own time.
//
// The replay works in its own scope inside one transaction that it rolls
// back: it leaves nothing behind and never touches the live detector's
// state. On SQLite that transaction holds the write lock while it runs, and
// on PostgreSQL a live run adding the same new term waits for it, so replay
// on a copy or a quiet database.
func Backtest(ctx context.Context, db *gorm.DB, opt BacktestOptions, emit func(at time.Time, held []HeldIssue) error) error {
	if opt.Step <= 0 {
		return errors.New("backtest: the step must be positive")
	}
	if opt.To.Before(opt.From) {
		return errors.New("backtest: --to is before --from")
	}
	opt.Config.defaults()
	cfg := &opt.Config
	from, to := opt.From.UTC(), opt.To.UTC()
	warm := cfg.Span + cfg.Baseline
	start := from.Add(-time.Duration(int64(warm/opt.Step)) * opt.Step)
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if DialectOf(tx) == SQLite {
			// A replay rereads the same recent counts at every step; a
			// 64 MiB page cache (the default is 2) keeps them in memory.
			if err := tx.Exec(`PRAGMA cache_size = -65536`).Error; err != nil {
				return err
			}
		}
		if err := tx.Exec(`INSERT INTO trend_state (scope, last_created_at, last_question_id, updated_at) VALUES (?, ?, 0, ?)`,
			scopeBacktest, start.Add(-time.Microsecond), time.Now().UTC()).Error; err != nil {
			return fmt.Errorf("backtest: start replay state: %w", err)
		}
		d := newDetector(tx, scopeBacktest, cfg)
		for at := start; !at.After(to); at = at.Add(opt.Step) {
			if err := ctx.Err(); err != nil {
				return err
			}
			for {
				br, err := d.runBatch(tx, at)
				if err != nil {
					return fmt.Errorf("backtest at %s: %w", at.Format(time.RFC3339), err)
				}
				if br.questions == 0 {
					break
				}
			}
			if at.Before(from) {
				continue
			}
			held, err := HeldIssues(ctx, tx, scopeBacktest, at, *cfg)
			if err != nil {
				return err
			}
			if err := emit(at, held); err != nil {
				return err
			}
		}
		return errBacktestDone
	})
	if errors.Is(err, errBacktestDone) {
		return nil
	}
	return err
}
