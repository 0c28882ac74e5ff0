package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ErrKudosLimit is returned when a giver has used up today's kudos.
var ErrKudosLimit = errors.New("daily kudos limit reached")

// Kudos is one "this helped" from a giver to a post's author.
type Kudos struct {
	ID          int64
	PostID      int64
	GiverID     int64
	ReceiverID  int64
	Counted     bool
	CreatedAt   time.Time
	WithdrawnAt *time.Time
}

// KudosState is a post's kudos as the giver sees it after a change.
type KudosState struct {
	Count int
	Given bool
}

// errAlreadyGiven ends a transaction that lost the race to give the same
// kudos; the caller reports the state the winner left.
var errAlreadyGiven = errors.New("kudos already given")

// GiveKudos records giver's kudos on postID and, unless anti-gaming rules
// say it does not count, gives the author points, all in one transaction.
// Giving twice is a no-op.
func GiveKudos(ctx context.Context, db *gorm.DB, giver *User, postID int64) (KudosState, error) {
	if giver == nil {
		return KudosState{}, ErrForbidden
	}
	if giver.Suspended(time.Now()) {
		return KudosState{}, ErrSuspended
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p, err := kudosPost(tx, giver, postID)
		if err != nil {
			return err
		}
		if p.AuthorID == giver.ID {
			return ErrForbidden
		}
		// Both rows, in id order: one giver's double clicks queue up, and
		// the receiver's points and cap are serialised (Award locks it too).
		if err := lockUsers(tx, giver.ID, p.AuthorID); err != nil {
			return fmt.Errorf("kudos: lock users: %w", err)
		}
		if live, err := liveKudos(tx, postID, giver.ID); err != nil || live != nil {
			if live != nil {
				return errAlreadyGiven
			}
			return err
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		if err := checkKudosLimit(tx, giver.ID, now); err != nil {
			return err
		}
		counted, err := kudosCounts(tx, giver.ID, now)
		if err != nil {
			return err
		}
		k := Kudos{PostID: postID, GiverID: giver.ID, ReceiverID: p.AuthorID, Counted: counted, CreatedAt: now}
		if err := tx.Create(&k).Error; err != nil {
			if isUniqueViolation(err) {
				return errAlreadyGiven
			}
			return fmt.Errorf("create kudos: %w", err)
		}
		if err := tx.Model(&Post{}).Where("id = ?", postID).
			UpdateColumn("kudos_count", gorm.Expr("kudos_count + 1")).Error; err != nil {
			return err
		}
		if counted {
			boardID, err := boardOfQuestion(tx, p.QuestionID)
			if err != nil {
				return err
			}
			if _, _, err := Award(tx, PointEvent{UserID: p.AuthorID, Reason: ReasonKudosReceived, SubjectType: SubjectPost,
				SubjectID: postID, BoardID: &boardID, ActorID: &giver.ID, AwardKey: KudosAwardKey(k.ID), CreatedAt: now}); err != nil {
				return err
			}
		}
		if err := Enqueue(tx, TaskNotifyKudos, KudosEvent{PostID: postID, ActorID: giver.ID}); err != nil {
			return err
		}
		return Enqueue(tx, TaskBadgeCheck, BadgeCheckEvent{UserID: p.AuthorID})
	})
	if err != nil && !errors.Is(err, errAlreadyGiven) {
		return KudosState{}, err
	}
	return kudosState(ctx, db, giver.ID, postID)
}

// WithdrawKudos takes giver's live kudos on postID back and reverses its
// points. Withdrawing what was never given is a no-op.
func WithdrawKudos(ctx context.Context, db *gorm.DB, giver *User, postID int64) (KudosState, error) {
	if giver == nil {
		return KudosState{}, ErrForbidden
	}
	if giver.Suspended(time.Now()) {
		return KudosState{}, ErrSuspended
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := kudosPost(tx, giver, postID); err != nil {
			return err
		}
		if err := lockUsers(tx, giver.ID); err != nil {
			return fmt.Errorf("kudos: lock giver: %w", err)
		}
		k, err := liveKudos(tx, postID, giver.ID)
		if err != nil || k == nil {
			return err
		}
		return withdraw(tx, k, ReasonKudosWithdrawn, &giver.ID)
	})
	if err != nil {
		return KudosState{}, err
	}
	return kudosState(ctx, db, giver.ID, postID)
}

// withdraw marks k withdrawn, decrements the post's count and reverses its
// points. The update is conditional so two withdrawals count once.
func withdraw(tx *gorm.DB, k *Kudos, reason string, actorID *int64) error {
	res := tx.Model(&Kudos{}).Where("id = ? AND withdrawn_at IS NULL", k.ID).Update("withdrawn_at", time.Now().UTC())
	if res.Error != nil {
		return fmt.Errorf("withdraw kudos %d: %w", k.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil
	}
	if err := tx.Model(&Post{}).Where("id = ?", k.PostID).
		UpdateColumn("kudos_count", gorm.Expr("kudos_count - 1")).Error; err != nil {
		return err
	}
	if _, err := Reverse(tx, KudosAwardKey(k.ID), UndoKey(KudosAwardKey(k.ID)), reason, actorID); err != nil {
		return err
	}
	return Enqueue(tx, TaskBadgeCheck, BadgeCheckEvent{UserID: k.ReceiverID})
}

// kudosPost returns a live post on a board giver may see.
func kudosPost(tx *gorm.DB, giver *User, postID int64) (*Post, error) {
	var p Post
	if err := tx.Where("id = ? AND deleted_at IS NULL", postID).Take(&p).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	if _, _, err := loadQuestionForWrite(tx, giver, p.QuestionID); err != nil {
		return nil, err
	}
	return &p, nil
}

func liveKudos(tx *gorm.DB, postID, giverID int64) (*Kudos, error) {
	var ks []Kudos
	if err := tx.Where("post_id = ? AND giver_id = ? AND withdrawn_at IS NULL", postID, giverID).Limit(1).Find(&ks).Error; err != nil {
		return nil, fmt.Errorf("live kudos: %w", err)
	}
	if len(ks) == 0 {
		return nil, nil
	}
	return &ks[0], nil
}

// checkKudosLimit refuses a kudos beyond the giver's daily limit. Withdrawn
// kudos count too, so giving and withdrawing cannot go round the limit.
func checkKudosLimit(tx *gorm.DB, giverID int64, now time.Time) error {
	limit, err := SettingInt(tx, SettingKudosDailyLimit)
	if err != nil {
		return err
	}
	var n int64
	if err := tx.Model(&Kudos{}).Where("giver_id = ? AND created_at >= ?", giverID, dayStart(now)).Count(&n).Error; err != nil {
		return fmt.Errorf("count kudos given today: %w", err)
	}
	if n >= int64(limit) {
		return ErrKudosLimit
	}
	return nil
}

// kudosCounts applies the anti-gaming rules: kudos from an account younger
// than kudos.min_account_age_hours or with fewer than kudos.min_points
// points are recorded but give no points.
func kudosCounts(tx *gorm.DB, giverID int64, now time.Time) (bool, error) {
	minAge, err := SettingInt(tx, SettingKudosMinAge)
	if err != nil {
		return false, err
	}
	minPoints, err := SettingInt(tx, SettingKudosMinPoints)
	if err != nil {
		return false, err
	}
	var g struct {
		Points    int
		CreatedAt time.Time
	}
	if err := tx.Table("users").Select("points, created_at").Where("id = ?", giverID).Take(&g).Error; err != nil {
		return false, fmt.Errorf("read giver: %w", err)
	}
	return g.Points >= minPoints && !g.CreatedAt.After(now.Add(-time.Duration(minAge)*time.Hour)), nil
}

func boardOfQuestion(tx *gorm.DB, questionID int64) (int64, error) {
	var id int64
	err := tx.Model(&Question{}).Where("id = ?", questionID).Select("board_id").Scan(&id).Error
	return id, err
}

// kudosState reads a post's count and whether giverID's kudos is live.
func kudosState(ctx context.Context, db *gorm.DB, giverID, postID int64) (KudosState, error) {
	var st KudosState
	db = db.WithContext(ctx)
	if err := db.Model(&Post{}).Where("id = ?", postID).Select("kudos_count").Scan(&st.Count).Error; err != nil {
		return st, err
	}
	k, err := liveKudos(db, postID, giverID)
	st.Given = k != nil
	return st, err
}

// KudosGivenBy returns which of postIDs viewer has a live kudos on, in one
// statement, so the question page can press the right buttons.
func KudosGivenBy(ctx context.Context, db *gorm.DB, viewer *User, postIDs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if viewer == nil || len(postIDs) == 0 {
		return out, nil
	}
	var ids []int64
	if err := db.WithContext(ctx).Model(&Kudos{}).Where("giver_id = ? AND post_id IN ? AND withdrawn_at IS NULL", viewer.ID, postIDs).
		Pluck("post_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("kudos given: %w", err)
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// reversePostKudos reverses the points of every kudos on a deleted post.
// The kudos rows stay (the post is gone, not the history).
func reversePostKudos(tx *gorm.DB, postID int64, actorID *int64) error {
	var ids []int64
	if err := tx.Model(&Kudos{}).Where("post_id = ?", postID).Order("id").Pluck("id", &ids).Error; err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := Reverse(tx, KudosAwardKey(id), UndoKey(KudosAwardKey(id)), ReasonPostDeleted, actorID); err != nil {
			return err
		}
	}
	return nil
}

// TableName maps Kudos to its table (gorm would pluralise the name).
func (Kudos) TableName() string { return "kudos" }
