package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// ReasonAnswerUnverified is the reason of the row that reverses the points
// of a verification taken back.
const ReasonAnswerUnverified = "answer_unverified"

// verifyKeyPrefix is the start of the award keys of verifying postID. Each
// verification gets its own number (verify:<post>:<n>), so verifying again
// after taking it back awards again, while a retry awards once.
func verifyKeyPrefix(postID int64) string { return "verify:" + strconv.FormatInt(postID, 10) + ":" }

// canVerifyOnBoard is the rule of who verifies, read from the database:
// employees and admins on any board they can read, active experts on the
// boards they answer in (User.CanVerifyIn is the same rule for pages).
// Nobody verifies their own answer.
func canVerifyOnBoard(tx *gorm.DB, u *User, boardID int64) (bool, error) {
	if u.HasRole(RoleEmployee) || u.HasRole(RoleAdmin) {
		return true, nil
	}
	if !u.HasRole(RoleExpert) {
		return false, nil
	}
	var n int64
	err := tx.Table("expert_boards eb").Joins("JOIN experts ex ON ex.user_id = eb.user_id").
		Where("eb.user_id = ? AND eb.board_id = ? AND ex.status = ?", u.ID, boardID, ExpertActive).Count(&n).Error
	return n > 0, err
}

// loadAnswerForVerify loads a live answer whose board u may see.
func loadAnswerForVerify(tx *gorm.DB, u *User, postID int64) (*Post, *Question, error) {
	var p Post
	if err := tx.Where("id = ? AND kind = ? AND deleted_at IS NULL", postID, KindAnswer).Take(&p).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil, ErrNotFound
		}
		return nil, nil, err
	}
	q, _, err := loadQuestionForWrite(tx, u, p.QuestionID)
	if err != nil {
		return nil, nil, err
	}
	return &p, q, nil
}

// VerifyAnswer marks an answer as verified by u, gives its author the
// answer_validated points and notifies them, in one transaction. Verifying
// an answer that is already verified changes nothing.
func VerifyAnswer(ctx context.Context, db *gorm.DB, u *User, postID int64) error {
	if u.Suspended(time.Now()) {
		return ErrSuspended
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p, q, err := loadAnswerForVerify(tx, u, postID)
		if err != nil {
			return err
		}
		ok, err := canVerifyOnBoard(tx, u, q.BoardID)
		if err != nil {
			return err
		}
		if !ok || p.AuthorID == u.ID {
			return ErrForbidden
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		res := tx.Model(&Post{}).Where("id = ? AND verified_by IS NULL", p.ID).
			Updates(map[string]any{"verified_by": u.ID, "verified_at": now})
		if res.Error != nil {
			return fmt.Errorf("verify answer: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil // already verified, by u or someone else
		}
		prefix := verifyKeyPrefix(p.ID)
		var n int64
		if err := tx.Model(&PointEvent{}).Where("award_key LIKE ? AND reverses_id IS NULL", prefix+"%").Count(&n).Error; err != nil {
			return err
		}
		key := prefix + strconv.FormatInt(n+1, 10)
		if _, _, err := Award(tx, PointEvent{UserID: p.AuthorID, Reason: ReasonAnswerValidated, SubjectType: SubjectPost,
			SubjectID: p.ID, BoardID: &q.BoardID, ActorID: &u.ID, AwardKey: key}); err != nil {
			return err
		}
		qid := q.ID
		if _, err := Notify(tx, Notification{UserID: p.AuthorID, Kind: NotifyAnswerVerified, QuestionID: &qid, ActorID: &u.ID,
			URL: fmt.Sprintf("/q/%d#post-%d", q.ID, p.ID), DedupKey: key}); err != nil {
			return err
		}
		return Enqueue(tx, TaskBadgeCheck, BadgeCheckEvent{UserID: p.AuthorID})
	})
}

// UnverifyAnswer takes a verification back: the verifier or a moderator
// may; the points it gave are reversed through the ledger.
func UnverifyAnswer(ctx context.Context, db *gorm.DB, u *User, postID int64) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p, _, err := loadAnswerForVerify(tx, u, postID)
		if err != nil {
			return err
		}
		if p.VerifiedBy == nil {
			return nil
		}
		if *p.VerifiedBy != u.ID && !u.CanModerate() {
			return ErrForbidden
		}
		res := tx.Model(&Post{}).Where("id = ? AND verified_by IS NOT NULL", p.ID).
			Updates(map[string]any{"verified_by": nil, "verified_at": nil})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return reverseLivePrefix(tx, verifyKeyPrefix(p.ID), ReasonAnswerUnverified, &u.ID)
	})
}
