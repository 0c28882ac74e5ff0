package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// TaskIssueFixed posts the product team's "fixed" message in every
// question of an issue; UpdateIssue writes it to the outbox when an issue
// moves into fixed.
const TaskIssueFixed = "trends:fixed"

// NotifyIssueFixed tells the askers of an issue's questions, and those who
// gave kudos there, that the product team fixed it.
const NotifyIssueFixed = "issue_fixed"

func init() { NotificationKinds = append(NotificationKinds, NotifyIssueFixed) }

// Bounds of the message a product team posts when it fixes an issue.
const (
	FixMessageMin = 10
	FixMessageMax = 2000
)

// IssueFixEvent is the payload of TaskIssueFixed: one round of replies.
type IssueFixEvent struct {
	IssueID int64 `json:"issue_id"`
	Round   int   `json:"round"`
	ActorID int64 `json:"actor_id"`
}

// fixBatch is how many questions PostIssueFix reads at a time.
const fixBatch = 200

// FixReplyExternalID keys the reply of round in question, so a redelivered
// job finds its replies already there.
func FixReplyExternalID(issueID int64, round int, questionID int64) string {
	return fmt.Sprintf("crowdcare:issue-fix:%d:%d:%d", issueID, round, questionID)
}

// PostIssueFix posts round ev.Round of an issue's fix message as an
// official reply by the product team member who fixed it, in every live
// question of the issue that does not have it yet, and notifies each
// asker and kudos giver of those questions once per round. Each question
// is one transaction, so a failure halfway leaves finished questions done
// and a retry picks up the rest. A round superseded by a later one posts
// nothing. It reports how many replies it posted.
func PostIssueFix(ctx context.Context, db *gorm.DB, ev IssueFixEvent) (int, error) {
	db = db.WithContext(ctx)
	var is EmergingIssue
	err := db.Where("id = ? AND scope = ?", ev.IssueID, ScopeLive).Take(&is).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if is.FixRound != ev.Round || is.FixMessage == "" {
		return 0, nil
	}
	actor, err := UserByID(ctx, db, ev.ActorID)
	if err != nil {
		return 0, fmt.Errorf("the product team member who fixed issue %d: %w", ev.IssueID, err)
	}
	html, err := RenderMarkdown(is.FixMessage)
	if err != nil {
		return 0, err
	}
	posted := 0
	var after int64
	for {
		var qs []Question
		if err := db.Table("emerging_issue_questions eq").Select("q.*").Joins("JOIN questions q ON q.id = eq.question_id").
			Where("eq.issue_id = ? AND q.id > ? AND q.deleted_at IS NULL", is.ID, after).
			Order("q.id").Limit(fixBatch).Scan(&qs).Error; err != nil {
			return posted, fmt.Errorf("questions of issue %d: %w", is.ID, err)
		}
		for i := range qs {
			ok, err := postFixReply(ctx, db, &is, actor, &qs[i], html)
			if err != nil {
				return posted, err
			}
			if ok {
				posted++
			}
		}
		if len(qs) < fixBatch {
			return posted, nil
		}
		after = qs[len(qs)-1].ID
	}
}

// postFixReply posts the fix message in question q and notifies its asker
// and kudos givers, in one transaction; it reports false if the reply was
// there already.
func postFixReply(ctx context.Context, db *gorm.DB, is *EmergingIssue, actor *User, q *Question, html string) (bool, error) {
	posted := false
	err := db.Transaction(func(tx *gorm.DB) error {
		now := time.Now().UTC().Truncate(time.Microsecond)
		ext := FixReplyExternalID(is.ID, is.FixRound, q.ID)
		p := &Post{QuestionID: q.ID, AuthorID: actor.ID, Kind: KindAnswer, BodyMD: is.FixMessage, BodyHTML: html,
			ExternalID: &ext, CreatedAt: now, UpdatedAt: now, Official: true}
		res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "external_id"}}, DoNothing: true}).Create(p)
		if res.Error != nil {
			return fmt.Errorf("fix reply in question %d: %w", q.ID, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		posted = true
		// Counted and indexed like an answer, without its points or its
		// notifications: the people of the issue hear below.
		if err := countAnswer(tx, q.ID, p.ID, is.FixMessage, now); err != nil {
			return err
		}
		if err := tx.Table("emerging_issues").Where("id = ?", is.ID).
			Update("fix_posted", gorm.Expr("fix_posted + 1")).Error; err != nil {
			return err
		}
		// The asker and everyone who gave kudos in the question; one
		// notification per person and round, however many of the issue's
		// questions they are in.
		var people []int64
		if err := tx.Table("kudos k").Joins("JOIN posts p ON p.id = k.post_id").
			Where("p.question_id = ? AND k.withdrawn_at IS NULL", q.ID).Distinct().Pluck("k.giver_id", &people).Error; err != nil {
			return err
		}
		people = append(people, q.AuthorID)
		seen := map[int64]bool{actor.ID: true}
		qid, url := q.ID, fmt.Sprintf("/q/%d#post-%d", q.ID, p.ID)
		for _, uid := range people {
			if seen[uid] {
				continue
			}
			seen[uid] = true
			if _, err := Notify(tx, Notification{UserID: uid, Kind: NotifyIssueFixed, QuestionID: &qid, ActorID: &actor.ID,
				URL: url, DedupKey: fmt.Sprintf("issue_fixed:%d:%d", is.ID, is.FixRound), CreatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	return posted, err
}
