package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Outbox message kinds. Each is also the asynq task type that handles it.
const (
	TaskQuestionCreated = "question:created"
	TaskQuestionDeleted = "question:deleted"
	// TaskBadgeCheck asks the badge rules to look at one user again, after
	// an event that can earn a badge (answer posted, accepted, kudos).
	TaskBadgeCheck = "badges:check"
)

// BadgeCheckEvent is the payload of TaskBadgeCheck.
type BadgeCheckEvent struct {
	UserID int64 `json:"user_id"`
}

// PendingOutbox returns up to limit messages not yet handed to the queue,
// oldest first.
func PendingOutbox(ctx context.Context, db *gorm.DB, limit int) ([]OutboxMessage, error) {
	var ms []OutboxMessage
	err := db.WithContext(ctx).Where("sent_at IS NULL").Order("id").Limit(limit).Find(&ms).Error
	return ms, err
}

// MarkOutboxSent records that a message is in the queue.
func MarkOutboxSent(ctx context.Context, db *gorm.DB, id int64, at time.Time) error {
	return db.WithContext(ctx).Model(&OutboxMessage{}).Where("id = ?", id).Update("sent_at", at).Error
}

// MarkOutboxFailed records a failed hand-over; the message stays pending.
func MarkOutboxFailed(ctx context.Context, db *gorm.DB, id int64, cause error) error {
	msg := cause.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	return db.WithContext(ctx).Model(&OutboxMessage{}).Where("id = ?", id).
		Updates(map[string]any{"attempts": gorm.Expr("attempts + 1"), "last_error": msg}).Error
}

// OutboxBacklog counts messages waiting for the relay.
func OutboxBacklog(ctx context.Context, db *gorm.DB) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Model(&OutboxMessage{}).Where("sent_at IS NULL").Count(&n).Error
	return n, err
}

// PurgeSentOutbox deletes messages whose jobs finished before cutoff.
func PurgeSentOutbox(ctx context.Context, db *gorm.DB, cutoff time.Time) (int64, error) {
	res := db.WithContext(ctx).Where("done_at IS NOT NULL AND done_at < ?", cutoff).Delete(&OutboxMessage{})
	return res.RowsAffected, res.Error
}

// MarkOutboxDone records that the job for a message finished.
func MarkOutboxDone(ctx context.Context, db *gorm.DB, id int64, at time.Time) error {
	return db.WithContext(ctx).Model(&OutboxMessage{}).Where("id = ? AND done_at IS NULL", id).Update("done_at", at).Error
}

// RequeueUnfinishedOutbox puts every message whose job never finished back
// in the relay's way. The embedded queue lives in memory, so at start-up the
// tasks it held before a restart are gone; handlers are idempotent, so
// running one again is safe.
func RequeueUnfinishedOutbox(ctx context.Context, db *gorm.DB) (int64, error) {
	res := db.WithContext(ctx).Model(&OutboxMessage{}).Where("sent_at IS NOT NULL AND done_at IS NULL").Update("sent_at", nil)
	return res.RowsAffected, res.Error
}
