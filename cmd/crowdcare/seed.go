package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/crowdcare/crowdcare/app"
	"github.com/crowdcare/crowdcare/models"
)

// seed fills the database: the demo forum by default, or with --large N a
// bulk forum of N questions for benchmarks.
func seed(ctx context.Context, cfg app.Config, logger *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stdout)
	large := fs.Int("large", 0, "instead of the demo, add this many generated questions (with answers, tags and users)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *large < 0 {
		return fmt.Errorf("usage: crowdcare seed [--large N]")
	}
	a, err := app.New(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer a.Close()
	if *large == 0 {
		rep, err := models.SeedDemo(ctx, a.DB)
		if err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
		fmt.Fprintln(stdout, rep)
		return nil
	}
	start := time.Now()
	opt := models.LargeSeedOptions{
		Questions: *large,
		Progress: func(done, total int) {
			fmt.Fprintf(stdout, "%d/%d questions (%s)\n", done, total, time.Since(start).Round(time.Millisecond))
		},
	}
	if err := models.SeedLarge(ctx, a.DB, opt); err != nil {
		return fmt.Errorf("seed --large: %w", err)
	}
	fmt.Fprintf(stdout, "seeded %d questions in %s\n", *large, time.Since(start).Round(time.Millisecond))
	return nil
}
