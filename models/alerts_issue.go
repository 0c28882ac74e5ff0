package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// TaskIssueAlert tells the subscribers of a board about a new emerging
// issue; the detector writes it to the outbox with the issue.
const TaskIssueAlert = "trends:alert"

// IssueEvent is the payload of TaskIssueAlert.
type IssueEvent struct {
	IssueID int64 `json:"issue_id"`
}

// IssueAlert is what an alert says about an issue.
type IssueAlert struct {
	EmergingIssue
	Board Board
	Terms []string
}

// LoadIssueAlert loads a live issue with its board and strongest terms.
func LoadIssueAlert(ctx context.Context, db *gorm.DB, id int64) (*IssueAlert, error) {
	db = db.WithContext(ctx)
	var a IssueAlert
	if err := db.Where("id = ? AND scope = ?", id, ScopeLive).Take(&a.EmergingIssue).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, err
	}
	if err := db.Where("id = ?", a.BoardID).Take(&a.Board).Error; err != nil {
		return nil, fmt.Errorf("board of issue %d: %w", id, err)
	}
	if err := db.Table("emerging_issue_terms it").Joins("JOIN trend_terms t ON t.id = it.term_id").
		Where("it.issue_id = ?", id).Order("it.docs DESC, t.term").Limit(8).Pluck("t.term", &a.Terms).Error; err != nil {
		return nil, err
	}
	return &a, nil
}

// QueueIssueAlerts writes, in one transaction, a mail (outbox kind
// mailKind) and a webhook delivery (hookKind) for every subscription that
// hears about issue a; payloads are built by mail and hook. The issue's
// alerted_at, set in the same transaction, makes it happen once however
// often the alert job runs.
func QueueIssueAlerts(ctx context.Context, db *gorm.DB, a *IssueAlert, mailKind, hookKind string,
	mail func(r AlertRecipient) any, hook func(r AlertRecipient) any) (int, error) {
	rs, err := AlertRecipients(ctx, db, &a.Board)
	if err != nil {
		return 0, err
	}
	n := 0
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Table("emerging_issues").Where("id = ? AND alerted_at IS NULL", a.ID).Update("alerted_at", time.Now().UTC())
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error // queued before: nothing to do
		}
		for _, r := range rs {
			if r.Email && r.Addr != "" {
				if err := Enqueue(tx, mailKind, mail(r)); err != nil {
					return err
				}
				n++
			}
			if r.WebhookURL != "" {
				if err := Enqueue(tx, hookKind, hook(r)); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	return n, err
}
