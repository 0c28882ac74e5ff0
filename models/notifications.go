package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Notification kinds. The web layer turns each into a sentence in the
// reader's language (message id "notify.<kind>").
const (
	NotifyExpertApproved   = "expert_approved"
	NotifyExpertDeclined   = "expert_declined"
	NotifyExpertNominated  = "expert_nominated"
	NotifyExpertPaused     = "expert_paused"
	NotifyExpertResumed    = "expert_resumed"
	NotifyExpertRemoved    = "expert_removed"
	NotifyExpertTier       = "expert_tier"
	NotifyAnswerVerified   = "answer_verified"
	NotifyQuestionRouted   = "question_routed"
	NotifyBadgeGranted     = "badge_granted"
	NotifyOfficialAnswered = "official_answer"
)

// NotificationKinds lists every kind, for the catalogue test.
var NotificationKinds = []string{NotifyExpertApproved, NotifyExpertDeclined, NotifyExpertNominated, NotifyExpertPaused,
	NotifyExpertResumed, NotifyExpertRemoved, NotifyExpertTier, NotifyAnswerVerified, NotifyQuestionRouted,
	NotifyBadgeGranted, NotifyOfficialAnswered}

// NotificationPageSize is how many notifications a page lists.
const NotificationPageSize = 30

// Notification is one in-app message to a user. QuestionID, when set, ties
// it to a question: it is shown only while the reader may see its board.
type Notification struct {
	ID         int64
	UserID     int64
	Kind       string
	QuestionID *int64
	ActorID    *int64
	Detail     string
	URL        string `gorm:"column:url"`
	DedupKey   string
	CreatedAt  time.Time
	ReadAt     *time.Time
}

// Notify writes n inside tx unless a notification with the same user and
// dedup key exists: a retried job or a repeated decision notifies once. It
// reports whether a row was written.
func Notify(tx *gorm.DB, n Notification) (bool, error) {
	if n.UserID == 0 || n.Kind == "" || n.DedupKey == "" {
		return false, errors.New("notify: user, kind and dedup key are required")
	}
	n.ID = 0
	n.Detail = trimTo(n.Detail, 500)
	if n.CreatedAt.IsZero() {
		n.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	}
	res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "user_id"}, {Name: "dedup_key"}}, DoNothing: true}).Create(&n)
	if res.Error != nil {
		return false, fmt.Errorf("notify %d of %s: %w", n.UserID, n.Kind, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// NotificationView is a notification as the list shows it.
type NotificationView struct {
	Notification
	QuestionTitle string
	ActorHandle   string
	ActorName     string
}

// visibleNotifications selects user's notifications that are about no
// question, or about a live question on a board the user may still see.
func visibleNotifications(db *gorm.DB, u *User) *gorm.DB {
	return db.Table("notifications n").
		Joins("LEFT JOIN questions q ON q.id = n.question_id").
		Where("n.user_id = ?", u.ID).
		Where("n.question_id IS NULL OR (q.deleted_at IS NULL AND ?)", SeenQuestions(db, u, "q"))
}

// Notifications lists u's notifications newest first, before the id
// `before` (0 for the newest). It returns the id for the next page, 0 on
// the last.
func Notifications(ctx context.Context, db *gorm.DB, u *User, before int64, limit int) ([]NotificationView, int64, error) {
	if limit <= 0 || limit > 100 {
		limit = NotificationPageSize
	}
	db = db.WithContext(ctx)
	q := visibleNotifications(db, u).
		Select("n.*, q.title AS question_title, a.handle AS actor_handle, a.display_name AS actor_name").
		Joins("LEFT JOIN users a ON a.id = n.actor_id")
	if before > 0 {
		q = q.Where("n.id < ?", before)
	}
	var out []NotificationView
	if err := q.Order("n.id DESC").Limit(limit + 1).Scan(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("notifications: %w", err)
	}
	var next int64
	if len(out) > limit {
		out = out[:limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// UnreadNotifications counts u's unread notifications that u may see.
func UnreadNotifications(ctx context.Context, db *gorm.DB, u *User) (int64, error) {
	var n int64
	err := visibleNotifications(db.WithContext(ctx), u).Where("n.read_at IS NULL").Count(&n).Error
	return n, err
}

// MarkNotificationsRead marks u's notifications read: one (id > 0) or all
// (id 0). Another user's notification is not found.
func MarkNotificationsRead(ctx context.Context, db *gorm.DB, u *User, id int64) error {
	q := db.WithContext(ctx).Model(&Notification{}).Where("user_id = ? AND read_at IS NULL", u.ID)
	if id > 0 {
		var n int64
		if err := db.WithContext(ctx).Model(&Notification{}).Where("id = ? AND user_id = ?", id, u.ID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		q = q.Where("id = ?", id)
	}
	return q.Update("read_at", time.Now().UTC()).Error
}

// validateNote checks a free-text note of a decision: optional unless
// required, at most max runes, valid UTF-8, no NUL.
func validateNote(v *ValidationError, field, s string, required bool, max int) string {
	s = strings.TrimSpace(cleanText(s))
	switch {
	case !utf8.ValidString(s):
		v.Add(field, "error.invalid", nil)
	case required && s == "":
		v.Add(field, "error.required", nil)
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "error.too_long", map[string]any{"Max": max})
	}
	return s
}

// unreadColumn selects, in the session's own statement, how many unread
// notifications the signed-in user may see. The board rule is derived
// from VisibleTo (for each visibility, which roles open it), so it stays
// the one rule, with rank perks as in VisibleBoards.
func unreadColumn() string {
	var vis []string
	for _, v := range Visibilities {
		everyone, roles := rolesGranting(v)
		switch {
		case everyone:
			vis = append(vis, "nb.visibility = '"+string(v)+"'")
		case len(roles) > 0:
			quoted := make([]string, len(roles))
			for i, r := range roles {
				quoted[i] = "'" + string(r) + "'"
			}
			vis = append(vis, "(nb.visibility = '"+string(v)+"' AND EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = users.id AND ur.role IN ("+
				strings.Join(quoted, ", ")+")))")
		}
	}
	vis = append(vis, "nb.id IN (SELECT rk.perk_board_id FROM ranks rk WHERE rk.perk_board_id IS NOT NULL AND rk.threshold <= users.points)")
	// The thread rule of questionAudience, for the reader users.id.
	staff := make([]string, len(staffRoles))
	for i, r := range staffRoles {
		staff[i] = "'" + string(r) + "'"
	}
	thread := "nq.held = FALSE AND (nq.private = FALSE OR nq.author_id = users.id OR EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = users.id AND ur.role IN (" +
		strings.Join(staff, ", ") + ")))"
	return "(SELECT COUNT(*) FROM notifications n LEFT JOIN questions nq ON nq.id = n.question_id LEFT JOIN boards nb ON nb.id = nq.board_id " +
		"WHERE n.user_id = users.id AND n.read_at IS NULL AND (n.question_id IS NULL OR (nq.deleted_at IS NULL AND " + thread + " AND (" +
		strings.Join(vis, " OR ") + ")))) AS unread_count"
}

// rolesGranting reports whether every signed-in user may read boards of
// visibility v, and otherwise which single roles let them.
func rolesGranting(v Visibility) (bool, []Role) {
	if CanSee(&User{ID: 1}, v) {
		return true, nil
	}
	var roles []Role
	for _, r := range AllRoles {
		if CanSee(&User{ID: 1, Roles: []Role{r}}, v) {
			roles = append(roles, r)
		}
	}
	return false, roles
}
