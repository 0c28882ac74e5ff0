package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/markbates/goth"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/jobs"
	"github.com/crowdcare/crowdcare/models"
)

// App holds the long-lived dependencies of every Crowdcare process.
type App struct {
	Cfg    Config
	Logger *slog.Logger
	DB     *gorm.DB

	redisOpt asynq.RedisConnOpt
	redis    redis.UniversalClient
	client   *asynq.Client
	embedded *miniredis.Miniredis
	stopTick chan struct{}

	secret  []byte
	bundle  *i18n.Bundle
	views   *views
	metrics *metrics

	// providers are the social sign-in providers, by name.
	providers map[string]goth.Provider
}

// NewLogger returns the JSON logger every process writes to w.
func NewLogger(w interface{ Write([]byte) (int, error) }, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// New opens the database (migrating it when migrate is true), connects to
// Redis or starts the in-process one, and loads templates and catalogues.
func New(ctx context.Context, cfg Config, logger *slog.Logger, migrate bool) (*App, error) {
	a := &App{Cfg: cfg, Logger: logger}
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()
	dsn := cfg.DatabaseURL
	if dsn == "" {
		dsn = cfg.SQLitePath()
	}
	db, err := models.Open(dsn, models.OpenOptions{MaxOpenConns: cfg.DBMaxConns})
	if err != nil {
		return nil, err
	}
	a.DB = db
	pingCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := models.Ping(pingCtx, db); err != nil {
		return nil, fmt.Errorf("database unreachable: %w", err)
	}
	if migrate {
		applied, err := models.Migrate(ctx, db)
		if err != nil {
			return nil, err
		}
		if len(applied) > 0 {
			logger.Info("migrations applied", "versions", applied)
		}
	}
	if err := a.connectRedis(); err != nil {
		return nil, err
	}
	if a.secret, err = loadSecret(cfg); err != nil {
		return nil, err
	}
	if a.bundle, err = newBundle(); err != nil {
		return nil, err
	}
	if a.views, err = loadViews(); err != nil {
		return nil, err
	}
	if a.providers, err = newProviders(ctx, cfg); err != nil {
		return nil, err
	}
	a.metrics = newMetrics(a)
	ok = true
	return a, nil
}

func (a *App) connectRedis() error {
	url := a.Cfg.RedisURL
	if url == "" {
		m := miniredis.NewMiniRedis()
		if err := m.Start(); err != nil {
			return fmt.Errorf("start in-process redis: %w", err)
		}
		a.embedded = m
		a.stopTick = make(chan struct{})
		// miniredis only expires keys when told time has passed; asynq's
		// locks and leases need it to follow the wall clock.
		go func() {
			t := time.NewTicker(250 * time.Millisecond)
			defer t.Stop()
			last := time.Now()
			for {
				select {
				case <-a.stopTick:
					return
				case now := <-t.C:
					m.FastForward(now.Sub(last))
					m.SetTime(now)
					last = now
				}
			}
		}()
		url = "redis://" + m.Addr() + "/0"
	}
	opt, err := asynq.ParseRedisURI(url)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	a.redisOpt = opt
	rc, ok := opt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return errors.New("REDIS_URL: unsupported connection type")
	}
	a.redis = rc
	a.client = asynq.NewClient(opt)
	return nil
}

// loadSecret returns CROWDCARE_SECRET, or in development a secret generated
// once and kept in the data directory so sessions survive restarts.
func loadSecret(cfg Config) ([]byte, error) {
	if cfg.Secret != "" {
		return []byte(cfg.Secret), nil
	}
	path := filepath.Join(cfg.DataDir, "secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	s := hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write generated secret: %w", err)
	}
	return []byte(s), nil
}

// Close releases every connection.
func (a *App) Close() {
	if a.client != nil {
		a.client.Close()
	}
	if a.redis != nil {
		a.redis.Close()
	}
	if a.stopTick != nil {
		close(a.stopTick)
		a.stopTick = nil
	}
	if a.embedded != nil {
		a.embedded.Close()
	}
	if a.DB != nil {
		models.Close(a.DB)
	}
}

// ServeWeb serves HTTP on ln until ctx ends, then lets in-flight requests
// finish within the shutdown timeout.
func (a *App) ServeWeb(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.Logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Logger.Info("web server listening", "addr", ln.Addr().String(), "url", "http://"+ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), a.Cfg.ShutdownTimeout)
	defer cancel()
	a.Logger.Info("web server stopping")
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("web shutdown: %w", err)
	}
	return nil
}

// RunWorker processes jobs and relays the outbox until ctx ends; running
// jobs finish before it returns.
func (a *App) RunWorker(ctx context.Context) error {
	if a.embedded != nil {
		if n, err := models.RequeueUnfinishedOutbox(ctx, a.DB); err != nil {
			return err
		} else if n > 0 {
			a.Logger.Info("outbox messages requeued after restart", "count", n)
		}
	}
	srv := asynq.NewServer(a.redisOpt, asynq.Config{
		Concurrency:     a.Cfg.WorkerConcurrency,
		Queues:          map[string]int{a.Cfg.Queue: 1},
		Logger:          jobs.SlogAdapter{L: a.Logger.With("component", "worker")},
		LogLevel:        asynq.WarnLevel,
		ShutdownTimeout: a.Cfg.ShutdownTimeout,
	})
	mailer, err := newMailer(a.Cfg)
	if err != nil {
		return err
	}
	if err := srv.Start(jobs.NewMux(jobs.Deps{DB: a.DB, Logger: a.Logger, Mailer: mailer, BaseURL: a.Cfg.BaseURL, ExportDir: a.Cfg.ExportDir()})); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	relay := &jobs.Relay{DB: a.DB, Client: a.client, Queue: a.Cfg.Queue, Logger: a.Logger, Interval: a.Cfg.OutboxInterval}
	rctx, stopRelay := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); relay.Run(rctx) }()
	a.Logger.Info("worker started", "queue", a.Cfg.Queue, "concurrency", a.Cfg.WorkerConcurrency)
	<-ctx.Done()
	a.Logger.Info("worker stopping")
	stopRelay()
	wg.Wait()
	srv.Shutdown()
	return nil
}

// RunScheduler enqueues periodic tasks until ctx ends. Run exactly one per
// deployment.
func (a *App) RunScheduler(ctx context.Context) error {
	s := asynq.NewScheduler(a.redisOpt, &asynq.SchedulerOpts{
		Logger:   jobs.SlogAdapter{L: a.Logger.With("component", "scheduler")},
		LogLevel: asynq.WarnLevel,
		Location: time.UTC,
	})
	if err := jobs.RegisterSchedule(s, a.Cfg.Queue); err != nil {
		return err
	}
	if err := s.Start(); err != nil {
		return fmt.Errorf("start scheduler: %w", err)
	}
	<-ctx.Done()
	s.Shutdown()
	return nil
}

// Ready checks that the database and Redis answer.
func (a *App) Ready(ctx context.Context) map[string]string {
	out := map[string]string{"database": "ok", "redis": "ok"}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := models.Ping(ctx, a.DB); err != nil {
		out["database"] = err.Error()
	}
	if err := a.redis.Ping(ctx).Err(); err != nil {
		out["redis"] = err.Error()
	}
	return out
}
