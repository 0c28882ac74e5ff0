package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// New-account settings (admin-editable on the points settings page).
const (
	SettingNewAccountHours     = "new_account_hours"
	SettingNewAccountQuestions = "new_account_questions"
	SettingNewAccountAnswers   = "new_account_answers"
	SettingNewAccountHoldLinks = "new_account_hold_links" // 1: hold posts with links; 0: don't
)

// Notification kinds of safety decisions.
const (
	NotifyPostApproved  = "post_approved"
	NotifyPostRejected  = "post_rejected"
	NotifyThreadPrivate = "thread_private"
	NotifyThreadPublic  = "thread_public"
)

func init() {
	settingDefaults[SettingNewAccountHours] = 24
	settingDefaults[SettingNewAccountQuestions] = 3
	settingDefaults[SettingNewAccountAnswers] = 10
	settingDefaults[SettingNewAccountHoldLinks] = 1
	NotificationKinds = append(NotificationKinds, NotifyPostApproved, NotifyPostRejected, NotifyThreadPrivate, NotifyThreadPublic)
}

// SafetySettingNames lists the new-account settings, in display order.
var SafetySettingNames = []string{SettingNewAccountHours, SettingNewAccountQuestions, SettingNewAccountAnswers, SettingNewAccountHoldLinks}

// safetySettingMax bounds each setting (hold links is a switch).
var safetySettingMax = map[string]int{SettingNewAccountHours: 24 * 30, SettingNewAccountQuestions: 1000,
	SettingNewAccountAnswers: 1000, SettingNewAccountHoldLinks: 1}

// SafetySettings reads the new-account settings.
func SafetySettings(ctx context.Context, db *gorm.DB) (map[string]int, error) {
	out := map[string]int{}
	for _, n := range SafetySettingNames {
		v, err := SettingInt(db.WithContext(ctx), n)
		if err != nil {
			return nil, err
		}
		out[n] = v
	}
	return out, nil
}

// UpdateSafetySettings saves the new-account settings (admins only): all
// or, when one is invalid, none; each change audited.
func UpdateSafetySettings(ctx context.Context, db *gorm.DB, actor *User, in map[string]string) error {
	if !actor.HasRole(RoleAdmin) {
		return ErrForbidden
	}
	v := &ValidationError{}
	vals := map[string]int{}
	for _, n := range SafetySettingNames {
		vals[n] = parseBounded(v, "setting."+n, in[n], 0, safetySettingMax[n])
	}
	if err := v.Err(); err != nil {
		return err
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return saveIntSettings(tx, actor, SafetySettingNames, vals, "safety.setting", time.Now().UTC())
	})
}

// Screening is what the web asks of a new post; the zero value (imports,
// seeds) asks nothing.
type Screening struct {
	// NewAccount applies the first-day limits and holds links for review.
	NewAccount bool
	// PrivateData warns (PrivateDataError) about text that looks private,
	// unless the author confirmed it (AllowPrivateData) or makes the
	// question a private thread (Private).
	PrivateData      bool
	AllowPrivateData bool
	Private          bool
}

func (s Screening) privateData(text string) error {
	if !s.PrivateData || s.AllowPrivateData || s.Private {
		return nil
	}
	if f := FindPrivateData(text); len(f) > 0 {
		return &PrivateDataError{Findings: f}
	}
	return nil
}

// LimitError says a new member posted as much as their first day allows.
// Nothing is written.
type LimitError struct {
	Kind  string // KindQuestion or KindAnswer
	Max   int
	Until time.Time
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("new account limit: %d %ss until %s", e.Max, e.Kind, e.Until.Format(time.RFC3339))
}

// exemptFromNewAccount: staff and experts are never limited.
func exemptFromNewAccount(u *User) bool { return u.IsStaff() || u.HasRole(RoleExpert) }

// newAccount applies the first-day rules inside the post's transaction:
// a LimitError past the day's allowance, else whether to hold the post
// (its rendered html has a link). Staff and experts pass untouched.
func (s Screening) newAccount(tx *gorm.DB, u *User, kind, html string, now time.Time) (bool, error) {
	if !s.NewAccount || exemptFromNewAccount(u) {
		return false, nil
	}
	hours, err := SettingInt(tx, SettingNewAccountHours)
	if err != nil {
		return false, err
	}
	until := u.CreatedAt.Add(time.Duration(hours) * time.Hour)
	if u.CreatedAt.IsZero() || !now.Before(until) {
		return false, nil
	}
	setting := SettingNewAccountQuestions
	if kind == KindAnswer {
		setting = SettingNewAccountAnswers
	}
	max, err := SettingInt(tx, setting)
	if err != nil {
		return false, err
	}
	// Deleted and held posts count too: deleting does not earn another.
	var n int64
	if err := tx.Model(&Post{}).Where("author_id = ? AND kind = ? AND created_at >= ?", u.ID, kind, u.CreatedAt).
		Count(&n).Error; err != nil {
		return false, fmt.Errorf("count first-day posts: %w", err)
	}
	if int(n) >= max {
		return false, &LimitError{Kind: kind, Max: max, Until: until.UTC()}
	}
	hold, err := SettingInt(tx, SettingNewAccountHoldLinks)
	if err != nil {
		return false, err
	}
	return hold != 0 && strings.Contains(html, "<a "), nil
}

// HeldPost is a post in the review queue.
type HeldPost struct {
	Post
	Title        string
	BoardName    string
	AuthorHandle string
}

// HeldPostsLimit bounds the review queue page.
const HeldPostsLimit = 100

// HeldPosts lists the posts waiting for review, oldest first. Only
// moderators may read it.
func HeldPosts(ctx context.Context, db *gorm.DB, u *User) ([]HeldPost, error) {
	if !u.CanModerate() {
		return nil, ErrForbidden
	}
	var out []HeldPost
	err := db.WithContext(ctx).Table("posts p").
		Select("p.*, q.title, b.name AS board_name, u.handle AS author_handle").
		Joins("JOIN questions q ON q.id = p.question_id").
		Joins("JOIN boards b ON b.id = q.board_id").
		Joins("JOIN users u ON u.id = p.author_id").
		Where("p.held = ? AND p.deleted_at IS NULL AND q.deleted_at IS NULL", true).
		Order("p.created_at, p.id").Limit(HeldPostsLimit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("held posts: %w", err)
	}
	return out, nil
}

// DecideHeld approves (publishes) or rejects (deletes) a held post, with an
// audit entry and a notification to its author, in one transaction. A
// post that is not held (decided already, or never held) is ErrNotFound.
func DecideHeld(ctx context.Context, db *gorm.DB, actor *User, postID int64, approve bool, reason string) error {
	if !actor.CanModerate() {
		return ErrForbidden
	}
	v := &ValidationError{}
	reason = validateNote(v, "reason", reason, !approve, 500)
	if err := v.Err(); err != nil {
		return err
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var p Post
		err := tx.Where("id = ? AND held = ? AND deleted_at IS NULL", postID, true).Take(&p).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		var q Question
		if err := tx.Where("id = ? AND deleted_at IS NULL", p.QuestionID).Take(&q).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		// Only one decision wins when two moderators click at once.
		res := tx.Model(&Post{}).Where("id = ? AND held = ?", p.ID, true).Update("held", false)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		if approve {
			if err := approveHeld(tx, &q, &p, now); err != nil {
				return err
			}
		} else if err := rejectHeld(tx, &q, &p, now); err != nil {
			return err
		}
		action, kind := "safety.approve", NotifyPostApproved
		if !approve {
			action, kind = "safety.reject", NotifyPostRejected
		}
		detail := fmt.Sprintf("post %d (%s) of question %d: %s", p.ID, p.Kind, q.ID, reason)
		if err := Audit(tx, &actor.ID, action, &p.AuthorID, detail); err != nil {
			return err
		}
		n := Notification{UserID: p.AuthorID, Kind: kind, ActorID: &actor.ID, Detail: reason,
			DedupKey: "held:" + strconv.FormatInt(p.ID, 10)}
		if approve {
			n.QuestionID = &q.ID
			n.URL = "/q/" + strconv.FormatInt(q.ID, 10) + "#post-" + strconv.FormatInt(p.ID, 10)
		} else {
			// The question may be gone: the notice names it by its title.
			n.Detail = trimTo(q.Title, 200) + " — " + reason
		}
		_, err = Notify(tx, n)
		return err
	})
}

func approveHeld(tx *gorm.DB, q *Question, p *Post, now time.Time) error {
	if p.Kind == KindQuestion {
		// It reaches the lists as a new question, at the time it is published.
		if err := tx.Model(&Question{}).Where("id = ?", q.ID).
			Updates(map[string]any{"held": false, "created_at": now, "last_activity_at": now}).Error; err != nil {
			return err
		}
		if err := tx.Model(&QuestionTag{}).Where("question_id = ?", q.ID).Update("created_at", now).Error; err != nil {
			return err
		}
		q.Held, q.CreatedAt = false, now
		return publishQuestion(tx, q, p, q.Title, p.BodyMD)
	}
	var b Board
	if err := tx.First(&b, q.BoardID).Error; err != nil {
		return err
	}
	return publishAnswer(tx, q, &b, p, p.BodyMD, now)
}

func rejectHeld(tx *gorm.DB, q *Question, p *Post, now time.Time) error {
	if err := tx.Model(&Post{}).Where("id = ?", p.ID).Update("deleted_at", now).Error; err != nil {
		return err
	}
	if p.Kind == KindQuestion {
		// A held question was never counted, indexed or awarded.
		return tx.Model(&Question{}).Where("id = ?", q.ID).Update("deleted_at", now).Error
	}
	return nil
}

// SetThreadPrivate moves a question into a private thread (asker and staff
// only) or back, as a staff decision with a reason: audited, the asker
// notified, the board's and tags' counts kept to public questions.
func SetThreadPrivate(ctx context.Context, db *gorm.DB, actor *User, questionID int64, private bool, reason string) error {
	if !actor.IsStaff() {
		return ErrForbidden
	}
	v := &ValidationError{}
	reason = validateNote(v, "reason", reason, true, 500)
	if err := v.Err(); err != nil {
		return err
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q, _, err := loadQuestionForWrite(tx, actor, questionID)
		if err != nil {
			return err
		}
		if q.Held {
			return ErrNotFound
		}
		if q.Private == private {
			return nil // already so: nothing to record
		}
		res := tx.Model(&Question{}).Where("id = ? AND private = ?", q.ID, !private).Update("private", private)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		delta := "question_count - 1"
		if !private {
			delta = "question_count + 1"
		}
		if err := tx.Model(&Board{}).Where("id = ?", q.BoardID).UpdateColumn("question_count", gorm.Expr(delta)).Error; err != nil {
			return err
		}
		var tagIDs []int64
		if err := tx.Model(&QuestionTag{}).Where("question_id = ?", q.ID).Pluck("tag_id", &tagIDs).Error; err != nil {
			return err
		}
		if err := RecountTags(ctx, tx, tagIDs); err != nil {
			return err
		}
		action, kind := "safety.private", NotifyThreadPrivate
		if !private {
			action, kind = "safety.public", NotifyThreadPublic
		}
		if err := Audit(tx, &actor.ID, action, &q.AuthorID, fmt.Sprintf("question %d: %s", q.ID, reason)); err != nil {
			return err
		}
		if q.AuthorID == actor.ID {
			return nil
		}
		var changes int64
		if err := tx.Model(&AuditEntry{}).Where("action IN ? AND detail LIKE ?", []string{"safety.private", "safety.public"},
			fmt.Sprintf("question %d:%%", q.ID)).Count(&changes).Error; err != nil {
			return err
		}
		_, err = Notify(tx, Notification{UserID: q.AuthorID, Kind: kind, QuestionID: &q.ID, ActorID: &actor.ID, Detail: reason,
			URL: "/q/" + strconv.FormatInt(q.ID, 10), DedupKey: fmt.Sprintf("privacy:%d:%d", q.ID, changes)})
		return err
	})
}
