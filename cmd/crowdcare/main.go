// Command crowdcare runs the Crowdcare community support forum.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"

	"golang.org/x/sync/errgroup"

	"github.com/crowdcare/crowdcare/app"
	"github.com/crowdcare/crowdcare/models"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "crowdcare:", err)
		os.Exit(1)
	}
}

const usage = `Crowdcare: a community support forum with a gamified expert program.

Usage:
  crowdcare [command]

Commands:
  serve               web server, job worker and scheduler in one process (default)
  web                 web server only
  worker              job worker and outbox relay, plus the scheduler
                      (run exactly one scheduler per deployment: pass
                      --no-scheduler to every extra worker)
  migrate             apply database migrations and exit
  seed [--large N]    add the demo forum (boards, users, questions); with
                      --large, N generated questions for benchmarks instead
  admin grant HANDLE [ROLE]
                      give a user a role (expert, employee, moderator, product,
                      admin; admin when ROLE is omitted), with an audit entry
  admin revoke HANDLE ROLE
                      take a role away from a user, with an audit entry
  points rebuild      recompute every user's points and rank from the points
                      ledger and print the users whose cached values drifted
  import FILE.jsonl   load questions and answers, one JSON object a line:
                      {"id", "type": "question"|"answer", "board", "author",
                      "lang", "title", "body", "tags", "topic" (an answer's
                      question id), "created_at" (RFC 3339)}; creates users
                      and boards as needed, keeps each post's id, skips posts
                      already imported, reports bad lines by number
  trends backtest --from TIME --to TIME [--step 1h]
                      replay emerging-issue detection over history, in a
                      transaction rolled back at the end; prints one JSON
                      line per issue held at each step: {"at", "issue",
                      "topics" (its questions' ids), "terms", ...}
  help                show this help

Configuration comes from the environment only:
`

func printHelp(w io.Writer) {
	fmt.Fprint(w, usage)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, v := range app.ConfigVars {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", v.Name, v.Default, v.Help)
	}
	tw.Flush()
}

// run is the whole program; tests call it with their own arguments and
// environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "help", "-h", "--help", "-help":
		printHelp(stdout)
		return nil
	}
	cfg, err := app.LoadConfig(getenv)
	if err != nil {
		return err
	}
	logger := app.NewLogger(stdout, cfg.LogLevel)
	switch cmd {
	case "serve", "web", "worker":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stdout)
		noScheduler := fs.Bool("no-scheduler", false, "do not run the periodic scheduler in this process")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if cmd == "serve" && cfg.Env == "production" && (cfg.DatabaseURL == "" || cfg.RedisURL == "") {
			return errors.New("serve in production needs DATABASE_URL and REDIS_URL")
		}
		a, err := app.New(ctx, cfg, logger, true)
		if err != nil {
			return err
		}
		defer a.Close()
		return serve(ctx, a, cmd, !*noScheduler)
	case "migrate":
		a, err := app.New(ctx, cfg, logger, true)
		if err != nil {
			return err
		}
		defer a.Close()
		v, err := models.SchemaVersion(ctx, a.DB)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "database is at schema version %d\n", v)
		return nil
	case "seed":
		return seed(ctx, cfg, logger, args, stdout)
	case "admin":
		on, handle, role, err := parseAdminArgs(args)
		if err != nil {
			return err
		}
		a, err := app.New(ctx, cfg, logger, true)
		if err != nil {
			return err
		}
		defer a.Close()
		return setRole(ctx, a, handle, role, on, stdout)
	case "import":
		return importPosts(ctx, cfg, args, stdout)
	case "trends":
		return trends(ctx, cfg, args, stdout)
	case "points":
		if len(args) != 1 || args[0] != "rebuild" {
			return errors.New("usage: crowdcare points rebuild")
		}
		a, err := app.New(ctx, cfg, logger, true)
		if err != nil {
			return err
		}
		defer a.Close()
		return rebuildPoints(ctx, a, stdout)
	default:
		printHelp(stdout)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// serve runs the parts of the forum that cmd names until ctx ends, then
// stops them gracefully: the web server drains requests, the worker
// finishes running jobs.
func serve(ctx context.Context, a *app.App, cmd string, scheduler bool) error {
	g, gctx := errgroup.WithContext(ctx)
	if cmd == "serve" || cmd == "web" {
		ln, err := net.Listen("tcp", a.Cfg.Addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", a.Cfg.Addr, err)
		}
		g.Go(func() error { return a.ServeWeb(gctx, ln) })
	}
	if cmd == "serve" || cmd == "worker" {
		g.Go(func() error { return a.RunWorker(gctx) })
		if scheduler {
			g.Go(func() error { return a.RunScheduler(gctx) })
		}
	}
	err := g.Wait()
	a.Logger.Info("stopped")
	return err
}

const adminUsage = "usage: crowdcare admin grant HANDLE [ROLE] | crowdcare admin revoke HANDLE ROLE"

// parseAdminArgs reads `grant HANDLE [ROLE]` (ROLE defaults to admin, the
// usual reason to run it: making the first admin) or `revoke HANDLE ROLE`.
func parseAdminArgs(args []string) (grant bool, handle string, role models.Role, err error) {
	switch {
	case len(args) == 2 && args[0] == "grant":
		return true, args[1], models.RoleAdmin, nil
	case len(args) == 3 && (args[0] == "grant" || args[0] == "revoke"):
		return args[0] == "grant", args[1], models.Role(args[2]), nil
	}
	return false, "", "", errors.New(adminUsage)
}

// setRole grants or revokes a role as the operator: the audit entry names
// no actor, since no signed-in user made the change.
func setRole(ctx context.Context, a *app.App, handle string, role models.Role, on bool, stdout io.Writer) error {
	if !models.ValidRole(role) {
		return fmt.Errorf("unknown role %q", role)
	}
	u, err := models.UserByHandle(ctx, a.DB, handle)
	if err != nil {
		return fmt.Errorf("user %q: %w", handle, err)
	}
	changed, err := models.SystemSetRole(ctx, a.DB, u.ID, role, on)
	if err != nil {
		return err
	}
	switch {
	case on && changed:
		fmt.Fprintf(stdout, "%s is now %s\n", u.Handle, role)
	case on:
		fmt.Fprintf(stdout, "%s already is %s\n", u.Handle, role)
	case changed:
		fmt.Fprintf(stdout, "%s is no longer %s\n", u.Handle, role)
	default:
		fmt.Fprintf(stdout, "%s was not %s\n", u.Handle, role)
	}
	return nil
}

// rebuildPoints recomputes the points caches from the ledger and prints the
// drift it fixed: one line per user whose cache was wrong.
func rebuildPoints(ctx context.Context, a *app.App, stdout io.Writer) error {
	rep, err := models.RebuildPoints(ctx, a.DB)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "checked %d users: %d drifted\n", rep.Users, len(rep.Drift))
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	for _, d := range rep.Drift {
		fmt.Fprintf(tw, "  %s\tpoints %d -> %d\trank %s -> %s\n", d.Handle, d.OldPoints, d.NewPoints, d.OldRank, d.NewRank)
	}
	return tw.Flush()
}
