package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/jobs"
	"github.com/crowdcare/crowdcare/models"
)

// TestWorkerProcessesQuestionEvents runs the outbox through a real asynq
// server: tag counts become right, rows are marked done, a redelivered task
// changes nothing and a malformed one is archived without retries.
func TestWorkerProcessesQuestionEvents(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		redisURL, queue := testenv.RedisURL(t), testenv.QueueName()
		w := newWorld(t, db)
		q1 := w.ask("Wi-Fi drops every hour", "wifi", "router")
		w.ask("Wi-Fi is slow after update", "wifi")
		w.ask("Driver will not install", "driver")
		relay := newRelay(t, db, redisURL, queue)
		startWorker(t, db, redisURL, queue)
		if n, err := relay.RelayOnce(ctx); err != nil || n != 3 {
			t.Fatalf("relay moved %d: %v", n, err)
		}
		waitAllDone(t, db)
		want := map[string]int{"wifi": 2, "router": 1, "driver": 1}
		checkTagCounts(t, db, want)

		// asynq delivers at least once: run the same task again, directly
		// and through the queue, and the counts must not move.
		mux := jobs.NewMux(jobs.Deps{DB: db, Logger: discard()})
		first := firstOutbox(t, db)
		for i := 0; i < 2; i++ {
			if err := mux.ProcessTask(ctx, asynq.NewTask(first.Kind, []byte(first.Payload))); err != nil {
				t.Fatalf("handle again: %v", err)
			}
		}
		checkTagCounts(t, db, want)
		insp := newInspector(t, redisURL)
		if err := insp.DeleteTask(queue, outboxTaskID(first.ID)); err != nil {
			t.Fatalf("delete completed task: %v", err)
		}
		db.Model(&models.OutboxMessage{}).Where("id = ?", first.ID).Updates(map[string]any{"sent_at": nil, "done_at": nil})
		if n, err := relay.RelayOnce(ctx); err != nil || n != 1 {
			t.Fatalf("relay again moved %d: %v", n, err)
		}
		waitAllDone(t, db)
		checkTagCounts(t, db, want)

		// Deleting a question recounts its tags through question:deleted.
		if err := models.DeletePost(ctx, db, w.asker, w.questionPost(q1)); err != nil {
			t.Fatal(err)
		}
		if n, err := relay.RelayOnce(ctx); err != nil || n != 1 {
			t.Fatalf("relay delete moved %d: %v", n, err)
		}
		waitAllDone(t, db)
		checkTagCounts(t, db, map[string]int{"wifi": 1, "router": 0, "driver": 1})

		// A payload that can never succeed is archived at once, not retried
		// twelve times, and its row is marked done so that it is not
		// requeued at every restart of the embedded queue.
		if err := models.Enqueue(db, models.TaskQuestionCreated, "not an event"); err != nil {
			t.Fatal(err)
		}
		if n, err := relay.RelayOnce(ctx); err != nil || n != 1 {
			t.Fatalf("relay malformed moved %d: %v", n, err)
		}
		waitFor(t, 10*time.Second, "malformed task archived", func() bool {
			ts, err := insp.ListArchivedTasks(queue)
			return err == nil && len(ts) == 1 && ts[0].Retried == 0
		})
		var notDone int64
		waitFor(t, 10*time.Second, "malformed row marked done", func() bool {
			db.Model(&models.OutboxMessage{}).Where("done_at IS NULL").Count(&notDone)
			return notDone == 0
		})
	})
}

// TestHandlersRejectMalformedPayloads checks that every payload that can
// never succeed is refused with asynq.SkipRetry, so it is not retried.
func TestHandlersRejectMalformedPayloads(t *testing.T) {
	db := testenv.DB(t, testenv.SQLite)
	mux := jobs.NewMux(jobs.Deps{DB: db, Logger: discard()})
	for _, kind := range []string{models.TaskQuestionCreated, models.TaskQuestionDeleted} {
		for _, payload := range []string{"", "nope", "{}", `{"question_id":0}`, `{"question_id":"7"}`, `[1]`, `{"question_id":1`} {
			err := mux.ProcessTask(context.Background(), asynq.NewTask(kind, []byte(payload)))
			if !errors.Is(err, asynq.SkipRetry) {
				t.Errorf("%s %q: got %v, want an error wrapping SkipRetry", kind, payload, err)
			}
		}
	}
	// A well-formed event for a question that no longer exists is no error:
	// there is nothing left to count.
	if err := mux.ProcessTask(context.Background(), asynq.NewTask(models.TaskQuestionDeleted, []byte(`{"question_id":99}`))); err != nil {
		t.Errorf("event for a missing question: %v", err)
	}
}

// TestScheduledTasksHaveHandlers checks that every periodic task the
// scheduler enqueues has a handler and registers.
func TestScheduledTasksHaveHandlers(t *testing.T) {
	db := testenv.DB(t, testenv.SQLite)
	mux := jobs.NewMux(jobs.Deps{DB: db, Logger: discard()})
	for _, e := range jobs.Schedule {
		if _, pattern := mux.Handler(asynq.NewTask(e.Type, nil)); pattern != e.Type {
			t.Errorf("no handler for scheduled task %s", e.Type)
		}
		if err := mux.ProcessTask(context.Background(), asynq.NewTask(e.Type, nil)); err != nil {
			t.Errorf("%s: %v", e.Type, err)
		}
	}
	opt, err := asynq.ParseRedisURI(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	s := asynq.NewScheduler(opt, &asynq.SchedulerOpts{Logger: jobs.SlogAdapter{L: discard()}, LogLevel: asynq.FatalLevel})
	if err := jobs.RegisterSchedule(s, testenv.QueueName()); err != nil {
		t.Fatal(err)
	}
}

// TestSessionsCleanup deletes expired sessions and keeps live ones.
func TestSessionsCleanup(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		u := &models.User{Handle: "sleeper"}
		if err := models.CreateUser(ctx, db, u); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Second)
		expiries := map[string]time.Time{
			"long-gone": now.Add(-48 * time.Hour),
			"just-gone": now.Add(-time.Second),
			"at-now":    now, // expires_at <= now: no longer valid
			"live":      now.Add(time.Second),
			"fresh":     now.Add(models.SessionTTL),
		}
		for name, exp := range expiries {
			s := models.Session{TokenHash: name, UserID: u.ID, CreatedAt: now.Add(-time.Hour), ExpiresAt: exp}
			if err := db.Create(&s).Error; err != nil {
				t.Fatal(err)
			}
		}
		// No Logger: a handler must not depend on one being set.
		mux := jobs.NewMux(jobs.Deps{DB: db, Now: func() time.Time { return now }})
		if err := mux.ProcessTask(ctx, asynq.NewTask(jobs.TaskSessionsCleanup, nil)); err != nil {
			t.Fatal(err)
		}
		var left []string
		if err := db.Model(&models.Session{}).Order("token_hash").Pluck("token_hash", &left).Error; err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(left, []string{"fresh", "live"}) {
			t.Fatalf("sessions left: %v, want only fresh and live", left)
		}
	})
}

// TestOutboxPurge deletes only rows whose job finished more than a week ago.
func TestOutboxPurge(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		ago := func(d time.Duration) *time.Time { v := now.Add(-d); return &v }
		day := 24 * time.Hour
		rows := []struct {
			name        string
			sent, done  *time.Time
			wantRemoved bool
			createdDays int
		}{
			{"done 8 days ago", ago(8 * day), ago(8 * day), true, 8},
			{"done 30 days ago", ago(30 * day), ago(30 * day), true, 30},
			{"done 6 days ago", ago(6 * day), ago(6 * day), false, 6},
			{"done just now", ago(time.Minute), ago(time.Second), false, 0},
			{"sent 30 days ago, never done", ago(30 * day), nil, false, 30},
			{"pending for 30 days", nil, nil, false, 30},
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			m := models.OutboxMessage{Kind: "test", Payload: r.name, CreatedAt: now.Add(-time.Duration(r.createdDays) * day), SentAt: r.sent, DoneAt: r.done}
			if err := db.Create(&m).Error; err != nil {
				t.Fatal(err)
			}
			ids[i] = m.ID
		}
		mux := jobs.NewMux(jobs.Deps{DB: db, Logger: discard(), Now: func() time.Time { return now }})
		if err := mux.ProcessTask(ctx, asynq.NewTask(jobs.TaskOutboxPurge, nil)); err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			var n int64
			db.Model(&models.OutboxMessage{}).Where("id = ?", ids[i]).Count(&n)
			if removed := n == 0; removed != r.wantRemoved {
				t.Errorf("%s: removed=%v, want %v", r.name, removed, r.wantRemoved)
			}
		}
	})
}

// world is a forum with one asker and one public board.
type world struct {
	t     *testing.T
	db    *gorm.DB
	asker *models.User
}

func newWorld(t *testing.T, db *gorm.DB) *world {
	t.Helper()
	ctx := context.Background()
	u := &models.User{Handle: "asker"}
	if err := models.CreateUser(ctx, db, u); err != nil {
		t.Fatal(err)
	}
	if _, err := models.CreateBoard(ctx, db, models.BoardInput{Slug: "help", Name: "Help", Visibility: models.VisibilityPublic}); err != nil {
		t.Fatal(err)
	}
	return &world{t: t, db: db, asker: u}
}

func (w *world) ask(title string, tags ...string) int64 {
	w.t.Helper()
	q, err := models.Ask(context.Background(), w.db, w.asker, models.AskInput{Board: "help", Title: title, Body: "Details of: " + title, Tags: tags})
	if err != nil {
		w.t.Fatalf("ask %q: %v", title, err)
	}
	return q.ID
}

func (w *world) questionPost(questionID int64) int64 {
	w.t.Helper()
	var id int64
	if err := w.db.Model(&models.Post{}).Where("question_id = ? AND kind = ?", questionID, models.KindQuestion).Pluck("id", &id).Error; err != nil {
		w.t.Fatal(err)
	}
	return id
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func redisOpt(t testing.TB, url string) asynq.RedisConnOpt {
	t.Helper()
	opt, err := asynq.ParseRedisURI(url)
	if err != nil {
		t.Fatalf("redis url %q: %v", url, err)
	}
	return opt
}

// newRelay returns a relay for queue whose client talks to redisURL.
func newRelay(t testing.TB, db *gorm.DB, redisURL, queue string) *jobs.Relay {
	t.Helper()
	c := asynq.NewClient(redisOpt(t, redisURL))
	t.Cleanup(func() { c.Close() })
	return &jobs.Relay{DB: db, Client: c, Queue: queue, Logger: discard(), Interval: 20 * time.Millisecond}
}

func newInspector(t testing.TB, redisURL string) *asynq.Inspector {
	t.Helper()
	i := asynq.NewInspector(redisOpt(t, redisURL))
	t.Cleanup(func() { i.Close() })
	return i
}

// startWorker runs an asynq server with jobs.NewMux on queue until the test
// ends, polling often so tests stay fast.
func startWorker(t testing.TB, db *gorm.DB, redisURL, queue string) {
	t.Helper()
	srv := asynq.NewServer(redisOpt(t, redisURL), asynq.Config{
		Concurrency:       2,
		Queues:            map[string]int{queue: 1},
		TaskCheckInterval: 20 * time.Millisecond,
		ShutdownTimeout:   5 * time.Second,
		Logger:            jobs.SlogAdapter{L: discard()},
		LogLevel:          asynq.FatalLevel,
	})
	if err := srv.Start(jobs.NewMux(jobs.Deps{DB: db, Logger: discard()})); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	t.Cleanup(srv.Shutdown)
}

func outboxTaskID(id int64) string { return fmt.Sprintf("outbox-%d", id) }

func firstOutbox(t testing.TB, db *gorm.DB) models.OutboxMessage {
	t.Helper()
	var m models.OutboxMessage
	if err := db.Order("id").First(&m).Error; err != nil {
		t.Fatal(err)
	}
	return m
}

// waitAllDone waits until every well-formed outbox row has been handled.
func waitAllDone(t testing.TB, db *gorm.DB) {
	t.Helper()
	waitFor(t, 15*time.Second, "every outbox row done", func() bool {
		var n int64
		db.Model(&models.OutboxMessage{}).Where("done_at IS NULL").Count(&n)
		return n == 0
	})
}

func checkTagCounts(t testing.TB, db *gorm.DB, want map[string]int) {
	t.Helper()
	var tags []models.Tag
	if err := db.Find(&tags).Error; err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, tg := range tags {
		got[tg.Name] = tg.QuestionCount
	}
	for name, n := range want {
		if got[name] != n {
			t.Errorf("tag %s counts %d questions, want %d (all: %v)", name, got[name], n, got)
		}
	}
}

func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
