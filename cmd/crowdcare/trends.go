package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/app"
	"github.com/crowdcare/crowdcare/models"
)

// openDatabase opens and migrates the configured database without starting the
// rest of the application: import and backtest need no queue, and the
// backtest's standard output must hold its JSON lines only.
func openDatabase(ctx context.Context, cfg app.Config) (*gorm.DB, error) {
	dsn := cfg.DatabaseURL
	if dsn == "" {
		dsn = cfg.SQLitePath()
	}
	db, err := models.Open(dsn, models.OpenOptions{MaxOpenConns: cfg.DBMaxConns})
	if err != nil {
		return nil, err
	}
	if _, err := models.Migrate(ctx, db); err != nil {
		models.Close(db)
		return nil, err
	}
	return db, nil
}

const importUsage = "usage: crowdcare import FILE.jsonl (- for standard input)"

// importPosts loads a JSON-lines file of posts and prints what it did,
// then every bad line with its number. Bad lines make it fail after the
// good ones are in; importing the same file again adds nothing.
func importPosts(ctx context.Context, cfg app.Config, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New(importUsage)
	}
	var in io.Reader = os.Stdin
	if args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		in = f
	}
	db, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer models.Close(db)
	start := time.Now()
	rep, err := models.ImportJSONL(ctx, db, bufio.NewReaderSize(in, 1<<20), models.ImportOptions{
		Progress: func(line int, rep *models.ImportReport) {
			fmt.Fprintf(stdout, "line %d: %d questions, %d answers (%s)\n", line, rep.Questions, rep.Answers, time.Since(start).Round(time.Second))
		},
	})
	if rep != nil {
		fmt.Fprintf(stdout, "imported %d questions and %d answers (%d already there), created %d users and %d boards, in %s\n",
			rep.Questions, rep.Answers, rep.Existing, rep.Users, rep.Boards, time.Since(start).Round(time.Millisecond))
		for _, e := range rep.Errors {
			fmt.Fprintf(stdout, "  %v\n", e)
		}
	}
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if len(rep.Errors) > 0 {
		return fmt.Errorf("import: %d bad lines not imported", len(rep.Errors))
	}
	return nil
}

const trendsUsage = "usage: crowdcare trends backtest --from TIME --to TIME [--step 1h]"

// trends runs the trends subcommands: backtest.
func trends(ctx context.Context, cfg app.Config, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "backtest" {
		return errors.New(trendsUsage)
	}
	fs := flag.NewFlagSet("trends backtest", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fromS := fs.String("from", "", "first step, RFC 3339 (e.g. 2026-03-02T00:00:00Z)")
	toS := fs.String("to", "", "last step, RFC 3339")
	step := fs.Duration("step", time.Hour, "time between steps")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 || *fromS == "" || *toS == "" {
		return errors.New(trendsUsage)
	}
	from, err := time.Parse(time.RFC3339, *fromS)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	to, err := time.Parse(time.RFC3339, *toS)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	db, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer models.Close(db)
	w := bufio.NewWriterSize(stdout, 1<<16)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	err = models.Backtest(ctx, db, models.BacktestOptions{From: from, To: to, Step: *step}, func(at time.Time, held []models.HeldIssue) error {
		for _, h := range held {
			if err := enc.Encode(backtestLine{At: at.UTC().Format(time.RFC3339), Issue: strconv.FormatInt(h.ID, 10),
				Topics: nonNil(h.Topics), Terms: nonNil(h.Terms), Board: h.BoardID, Askers: h.Askers}); err != nil {
				return err
			}
		}
		return nil
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	return err
}

// backtestLine is one issue held at one step of a replay.
type backtestLine struct {
	At     string   `json:"at"`
	Issue  string   `json:"issue"`
	Topics []string `json:"topics"`
	Terms  []string `json:"terms"`
	Board  int64    `json:"board"`
	Askers int      `json:"askers"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
