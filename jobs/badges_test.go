package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/jobs"
	"github.com/crowdcare/crowdcare/models"
)

// TestBadgeCheckThroughWorker: a badge check relayed from the outbox
// through a real asynq server awards the badge; the same task delivered
// again, directly and through the queue, awards nothing more.
func TestBadgeCheckThroughWorker(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		redisURL, queue := testenv.RedisURL(t), testenv.QueueName()
		w := newWorld(t, db)
		helper := &models.User{Handle: "helper"}
		if err := models.CreateUser(ctx, db, helper); err != nil {
			t.Fatal(err)
		}
		q := w.ask("Printer offline after update")
		if _, err := models.Answer(ctx, db, helper, q, models.AnswerInput{Body: "Reinstall the driver."}); err != nil {
			t.Fatal(err)
		}
		// Only the badge check counts here; drop whatever else the writes
		// queued so the test does not depend on other features' events.
		db.Where("1 = 1").Delete(&models.OutboxMessage{})
		if err := models.Enqueue(db, models.TaskBadgeCheck, models.BadgeCheckEvent{UserID: helper.ID}); err != nil {
			t.Fatal(err)
		}
		relay := newRelay(t, db, redisURL, queue)
		startWorker(t, db, redisURL, queue)
		if n, err := relay.RelayOnce(ctx); err != nil || n != 1 {
			t.Fatalf("relay moved %d: %v", n, err)
		}
		waitAllDone(t, db)
		// First answer, and Quick draw: it came right after the question.
		checkAwards(t, db, helper.ID, 2)

		mux := jobs.NewMux(jobs.Deps{DB: db, Logger: discard()})
		first := firstOutbox(t, db)
		for range 2 {
			if err := mux.ProcessTask(ctx, asynq.NewTask(first.Kind, []byte(first.Payload))); err != nil {
				t.Fatalf("handle again: %v", err)
			}
		}
		insp := newInspector(t, redisURL)
		if err := insp.DeleteTask(queue, outboxTaskID(first.ID)); err != nil {
			t.Fatalf("delete completed task: %v", err)
		}
		db.Model(&models.OutboxMessage{}).Where("id = ?", first.ID).Updates(map[string]any{"sent_at": nil, "done_at": nil})
		if n, err := relay.RelayOnce(ctx); err != nil || n != 1 {
			t.Fatalf("relay again moved %d: %v", n, err)
		}
		waitAllDone(t, db)
		checkAwards(t, db, helper.ID, 2)
	})
}

// TestBadgeCheckRejectsMalformedPayloads: a payload that can never succeed
// is refused with SkipRetry; an event for a user who is gone is no error.
func TestBadgeCheckRejectsMalformedPayloads(t *testing.T) {
	db := testenv.DB(t, testenv.SQLite)
	mux := jobs.NewMux(jobs.Deps{DB: db, Logger: discard()})
	for _, payload := range []string{"", "nope", "{}", `{"user_id":0}`, `{"user_id":-3}`, `{"user_id":"7"}`, `[1]`, `{"user_id":1`} {
		err := mux.ProcessTask(context.Background(), asynq.NewTask(models.TaskBadgeCheck, []byte(payload)))
		if !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("%q: got %v, want an error wrapping SkipRetry", payload, err)
		}
	}
	task, err := jobs.NewBadgeCheckTask(12345)
	if err != nil {
		t.Fatal(err)
	}
	if err := mux.ProcessTask(context.Background(), task); err != nil {
		t.Errorf("event for a missing user: %v", err)
	}
}

// TestBadgeSweepCatchesLostEvents: the first sweep evaluates every user,
// in batches; later sweeps evaluate only the users active since the last
// one (a new answer, kudos received, a ledger row) and so award the badges
// whose events were lost.
func TestBadgeSweepCatchesLostEvents(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		t0 := time.Now().UTC().Truncate(time.Second).Add(-10 * 24 * time.Hour)
		// More users than one batch; the last one has answered.
		users := make([]models.User, models.BadgeSweepBatch+2)
		for i := range users {
			users[i] = models.User{Handle: fmt.Sprintf("u%04d", i), DisplayName: "U", CreatedAt: t0, UpdatedAt: t0}
		}
		if err := db.CreateInBatches(&users, 200).Error; err != nil {
			t.Fatal(err)
		}
		last, kudosUser, acceptUser, quiet := &users[len(users)-1], &users[0], &users[1], &users[2]
		q := w.ask("Scanner lid will not close")
		answer := func(u *models.User, at time.Time) int64 {
			p := models.Post{QuestionID: q, AuthorID: u.ID, Kind: models.KindAnswer, BodyMD: "a", BodyHTML: "a", CreatedAt: at, UpdatedAt: at}
			if err := db.Create(&p).Error; err != nil {
				t.Fatal(err)
			}
			return p.ID
		}
		answer(last, t0)
		kudosPost, acceptPost, quietPost := answer(kudosUser, t0), answer(acceptUser, t0), answer(quiet, t0)
		sweep := func(at time.Time) {
			t.Helper()
			mux := jobs.NewMux(jobs.Deps{DB: db, Logger: discard(), Now: func() time.Time { return at }})
			if err := mux.ProcessTask(ctx, asynq.NewTask(jobs.TaskBadgesSweep, nil)); err != nil {
				t.Fatal(err)
			}
		}
		t1 := t0.Add(24 * time.Hour)
		sweep(t1)
		for _, u := range []*models.User{last, kudosUser, acceptUser, quiet} {
			checkAwards(t, db, u.ID, 1) // first answer
		}

		// Events lost: a new answer, kudos received, an accepted answer
		// (its ledger row). The quiet user's data changes without any
		// activity row, so the sweep does not look at them.
		t2 := t1.Add(24 * time.Hour)
		newcomer := &users[3]
		answer(newcomer, t2.Add(-time.Hour))
		db.Table("posts").Where("id = ?", kudosPost).Update("kudos_count", 10)
		if err := db.Exec(`INSERT INTO kudos (post_id, giver_id, receiver_id, counted, created_at) VALUES (?, ?, ?, TRUE, ?)`,
			kudosPost, w.asker.ID, kudosUser.ID, t2.Add(-time.Hour)).Error; err != nil {
			t.Fatal(err)
		}
		db.Model(&models.Question{}).Where("id = ?", q).Update("accepted_answer_id", acceptPost)
		if err := db.Exec(`INSERT INTO point_events (user_id, points, reason, award_key, created_at) VALUES (?, 15, 'answer_accepted', ?, ?)`,
			acceptUser.ID, fmt.Sprintf("accept:%d:%d:1", q, acceptPost), t2.Add(-time.Hour)).Error; err != nil {
			t.Fatal(err)
		}
		db.Table("posts").Where("id = ?", quietPost).Update("kudos_count", 10)
		sweep(t2)
		checkAwards(t, db, newcomer.ID, 1)
		checkAwards(t, db, kudosUser.ID, 2)  // + nice answer
		checkAwards(t, db, acceptUser.ID, 2) // + first solution
		checkAwards(t, db, quiet.ID, 1)
		// A sweep with nothing new since changes nothing, and the next
		// full pass (no watermark) would catch the quiet user too.
		sweep(t2.Add(24 * time.Hour))
		checkAwards(t, db, quiet.ID, 1)
		db.Exec(`DELETE FROM settings WHERE name = 'badges.sweep_watermark'`)
		sweep(t2.Add(48 * time.Hour))
		checkAwards(t, db, quiet.ID, 2)
	})
}

func checkAwards(t *testing.T, db *gorm.DB, userID int64, want int64) {
	t.Helper()
	var n int64
	if err := db.Model(&models.UserBadge{}).Where("user_id = ?", userID).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Errorf("user %d holds %d awards, want %d", userID, n, want)
	}
}
