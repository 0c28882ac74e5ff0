package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/jobs"
	"github.com/crowdcare/crowdcare/models"
)

// TestExpertsRouteThroughWorker runs experts:route through a real asynq
// server, as the scheduler enqueues it: the question that waited past its
// board's target is routed to the expert with a record there and they are
// notified; the same task delivered again, twice, changes nothing.
func TestExpertsRouteThroughWorker(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		redisURL, queue := testenv.RedisURL(t), testenv.QueueName()
		w := newWorld(t, db)
		if err := db.Model(&models.Board{}).Where("slug = ?", "help").Update("first_response_minutes", 60).Error; err != nil {
			t.Fatal(err)
		}
		expert := &models.User{Handle: "ezra", Roles: []models.Role{models.RoleExpert}}
		if err := models.CreateUser(ctx, db, expert); err != nil {
			t.Fatal(err)
		}
		var tier int64
		db.Raw("SELECT id FROM expert_tiers ORDER BY position LIMIT 1").Scan(&tier)
		now := time.Now().UTC()
		if err := db.Create(&models.Expert{UserID: expert.ID, TierID: tier, Status: models.ExpertActive, Since: now, UpdatedAt: now}).Error; err != nil {
			t.Fatal(err)
		}
		solved := w.ask("Printer blinks orange")
		a, err := models.Answer(ctx, db, expert, solved, models.AnswerInput{Body: "Open the rear door."})
		if err != nil {
			t.Fatal(err)
		}
		if err := models.Accept(ctx, db, w.asker, solved, a.ID); err != nil {
			t.Fatal(err)
		}
		q, err := models.Ask(ctx, db, w.asker, models.AskInput{Board: "help", Title: "Printer drops off Wi-Fi", Body: "Every hour.", CreatedAt: now.Add(-2 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		counts := func() (routes, notes int64) {
			db.Model(&models.QuestionRoute{}).Where("question_id = ? AND expert_id = ? AND closed_at IS NULL", q.ID, expert.ID).Count(&routes)
			db.Model(&models.Notification{}).Where("user_id = ? AND kind = ? AND question_id = ?", expert.ID, models.NotifyQuestionRouted, q.ID).Count(&notes)
			return
		}

		startWorker(t, db, redisURL, queue)
		client := asynq.NewClient(redisOpt(t, redisURL))
		defer client.Close()
		if _, err := client.Enqueue(jobs.NewExpertsRouteTask(), asynq.Queue(queue), asynq.Unique(time.Minute)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "question routed", func() bool { r, n := counts(); return r == 1 && n == 1 })

		mux := jobs.NewMux(jobs.Deps{DB: db, Logger: discard()})
		for i := 0; i < 2; i++ {
			if err := mux.ProcessTask(ctx, jobs.NewExpertsRouteTask()); err != nil {
				t.Fatal(err)
			}
		}
		if r, n := counts(); r != 1 || n != 1 {
			t.Errorf("after redelivery: %d routes and %d notifications, want 1 and 1", r, n)
		}
		var all int64
		db.Model(&models.QuestionRoute{}).Count(&all)
		if all != 1 {
			t.Errorf("%d routes in all, want 1", all)
		}
	})
}
