package jobs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/jobs"
	"github.com/crowdcare/crowdcare/models"
)

// askAt asks a question written at a given time.
func (w *world) askAt(title string, at time.Time) int64 {
	w.t.Helper()
	q, err := models.Ask(context.Background(), w.db, w.asker, models.AskInput{Board: "help", Title: title,
		Body: "Details of: " + title, CreatedAt: at})
	if err != nil {
		w.t.Fatalf("ask %q: %v", title, err)
	}
	return q.ID
}

// trendsState is what the detector has counted: documents, the sum of the
// daily counts and the watermark.
func trendsState(t *testing.T, db *gorm.DB) string {
	t.Helper()
	var s struct {
		Docs, Counted, LastQuestionID int64
	}
	db.Raw(`SELECT COUNT(*) FROM trend_docs`).Scan(&s.Docs)
	db.Raw(`SELECT COALESCE(SUM(askers + posts), 0) FROM trend_daily`).Scan(&s.Counted)
	db.Raw(`SELECT last_question_id FROM trend_state WHERE scope = 0`).Scan(&s.LastQuestionID)
	return fmt.Sprintf("%+v", s)
}

// TestTrendsDetectThroughWorker runs trends:detect through a real asynq
// server, as the scheduler enqueues it, and then redelivers it: the second
// and third runs change nothing, and a later run counts only the questions
// asked since.
func TestTrendsDetectThroughWorker(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		redisURL, queue := testenv.RedisURL(t), testenv.QueueName()
		w := newWorld(t, db)
		// Written a few minutes ago: the job leaves the last minute for
		// transactions still committing.
		past := time.Now().UTC().Add(-10 * time.Minute)
		for i := 0; i < 5; i++ {
			w.askAt(fmt.Sprintf("Printer question number %d", i), past.Add(time.Duration(i)*time.Second))
		}
		startWorker(t, db, redisURL, queue)
		client := asynq.NewClient(redisOpt(t, redisURL))
		defer client.Close()
		if _, err := client.Enqueue(asynq.NewTask(jobs.TaskTrendsDetect, nil), asynq.Queue(queue)); err != nil {
			t.Fatal(err)
		}
		var docs int64
		waitFor(t, 10*time.Second, "the 5 questions counted", func() bool {
			db.Raw(`SELECT COUNT(*) FROM trend_docs`).Scan(&docs)
			return docs == 5
		})
		before := trendsState(t, db)
		mux := jobs.NewMux(jobs.Deps{DB: db, Logger: discard()})
		for i := 0; i < 2; i++ {
			if err := mux.ProcessTask(ctx, asynq.NewTask(jobs.TaskTrendsDetect, nil)); err != nil {
				t.Fatal(err)
			}
		}
		if after := trendsState(t, db); after != before {
			t.Fatalf("a redelivered task changed the counts: %s -> %s", before, after)
		}
		var last int64
		for i := 0; i < 3; i++ {
			last = w.askAt(fmt.Sprintf("Later printer question %d", i), past.Add(time.Minute+time.Duration(i)*time.Second))
		}
		if err := mux.ProcessTask(ctx, asynq.NewTask(jobs.TaskTrendsDetect, nil)); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("LastQuestionID:%d", last)
		if after := trendsState(t, db); !strings.Contains(after, "Docs:8 ") || !strings.Contains(after, want) {
			t.Fatalf("after 3 more questions: %s, want 8 documents and %s", after, want)
		}
	})
}
