package jobs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/jobs"
	"github.com/crowdcare/crowdcare/models"
)

// award writes one ledger row through the ledger API.
func award(t *testing.T, db *gorm.DB, userID int64, points int, key string, at time.Time) {
	t.Helper()
	err := db.Transaction(func(tx *gorm.DB) error {
		_, _, err := models.Award(tx, models.PointEvent{UserID: userID, Points: points, Reason: models.ReasonAnswerAccepted, AwardKey: key, CreatedAt: at})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func allTimePoints(t *testing.T, db *gorm.DB, userID int64) int64 {
	t.Helper()
	var p int64
	if err := db.Raw(`SELECT COALESCE(SUM(points), 0) FROM leaderboard_scores WHERE period = 'all' AND board_id = 0 AND user_id = ?`, userID).Scan(&p).Error; err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLeaderboardRefreshThroughWorker runs leaderboard:refresh through a
// real asynq server, as the scheduler enqueues it, and again directly: the
// points count once.
func TestLeaderboardRefreshThroughWorker(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		redisURL, queue := testenv.RedisURL(t), testenv.QueueName()
		w := newWorld(t, db)
		award(t, db, w.asker.ID, 15, "test:1", time.Now().UTC())
		startWorker(t, db, redisURL, queue)
		client := asynq.NewClient(redisOpt(t, redisURL))
		defer client.Close()
		if _, err := client.Enqueue(asynq.NewTask(jobs.TaskLeaderboardRefresh, nil), asynq.Queue(queue), asynq.Unique(time.Minute)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "leaderboard refreshed", func() bool { return allTimePoints(t, db, w.asker.ID) == 15 })
		mux := jobs.NewMux(jobs.Deps{DB: db, Logger: discard()})
		award(t, db, w.asker.ID, 2, "test:2", time.Now().UTC())
		for i := 0; i < 2; i++ {
			if err := mux.ProcessTask(context.Background(), asynq.NewTask(jobs.TaskLeaderboardRefresh, nil)); err != nil {
				t.Fatal(err)
			}
		}
		if p := allTimePoints(t, db, w.asker.ID); p != 17 {
			t.Errorf("all-time points %d after two more runs, want 17", p)
		}
	})
}

// TestKudosAuditThroughWorker: kudos:audit opens a case for serial kudos
// and reverses their points once, however often it runs.
func TestKudosAuditThroughWorker(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		redisURL, queue := testenv.RedisURL(t), testenv.QueueName()
		w := newWorld(t, db)
		giver := &models.User{Handle: "giver"}
		if err := models.CreateUser(ctx, db, giver); err != nil {
			t.Fatal(err)
		}
		q := w.ask("Printer blinks orange")
		now := time.Now().UTC()
		for i := 0; i < 6; i++ {
			p, err := models.Answer(ctx, db, w.asker, q, models.AnswerInput{Body: fmt.Sprintf("Answer %d", i)})
			if err != nil {
				t.Fatal(err)
			}
			err = db.Transaction(func(tx *gorm.DB) error {
				k := models.Kudos{PostID: p.ID, GiverID: giver.ID, ReceiverID: w.asker.ID, Counted: true, CreatedAt: now.Add(-time.Duration(i) * time.Minute)}
				if err := tx.Create(&k).Error; err != nil {
					return err
				}
				_, _, err := models.Award(tx, models.PointEvent{UserID: w.asker.ID, Points: 10, Reason: models.ReasonKudosReceived,
					ActorID: &giver.ID, AwardKey: models.KudosAwardKey(k.ID), CreatedAt: k.CreatedAt})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		startWorker(t, db, redisURL, queue)
		client := asynq.NewClient(redisOpt(t, redisURL))
		defer client.Close()
		if _, err := client.Enqueue(asynq.NewTask(jobs.TaskKudosAudit, nil), asynq.Queue(queue)); err != nil {
			t.Fatal(err)
		}
		count := func(q string) int64 {
			var n int64
			db.Raw(q).Scan(&n)
			return n
		}
		waitFor(t, 10*time.Second, "kudos case opened", func() bool { return count(`SELECT COUNT(*) FROM kudos_cases`) == 1 })
		mux := jobs.NewMux(jobs.Deps{DB: db, Logger: discard()})
		if err := mux.ProcessTask(ctx, asynq.NewTask(jobs.TaskKudosAudit, nil)); err != nil {
			t.Fatal(err)
		}
		if n := count(`SELECT COUNT(*) FROM kudos_cases`); n != 1 {
			t.Errorf("%d cases after a second run", n)
		}
		if n := count(`SELECT COUNT(*) FROM point_events WHERE reverses_id IS NOT NULL`); n != 6 {
			t.Errorf("%d reversals, want 6", n)
		}
	})
}
