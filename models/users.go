package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

var handlePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{1,38}[A-Za-z0-9]$`)

// ValidateHandle checks a user handle: 3 to 40 letters, digits, '-' or '_'.
func ValidateHandle(h string) error {
	if !handlePattern.MatchString(h) {
		v := &ValidationError{}
		v.Add("handle", "error.handle_invalid", nil)
		return v
	}
	return nil
}

// CreateUser inserts a user with the given roles.
func CreateUser(ctx context.Context, db *gorm.DB, u *User) error {
	u.Handle = strings.TrimSpace(u.Handle)
	if err := ValidateHandle(u.Handle); err != nil {
		return err
	}
	if u.DisplayName == "" {
		u.DisplayName = u.Handle
	}
	if len([]rune(u.DisplayName)) > 80 {
		v := &ValidationError{}
		v.Add("display_name", "error.too_long", map[string]any{"Max": 80})
		return v
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&User{}).Where("LOWER(handle) = ?", strings.ToLower(u.Handle)).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			v := &ValidationError{}
			v.Add("handle", "error.handle_taken", nil)
			return v
		}
		if err := tx.Create(u).Error; err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		for _, r := range u.Roles {
			if err := tx.Create(&UserRole{UserID: u.ID, Role: r}).Error; err != nil {
				return fmt.Errorf("grant %s: %w", r, err)
			}
		}
		return nil
	})
}

// UserByHandle finds a user by handle, case-insensitively, with roles.
func UserByHandle(ctx context.Context, db *gorm.DB, handle string) (*User, error) {
	var u User
	err := db.WithContext(ctx).Where("LOWER(handle) = ?", strings.ToLower(handle)).First(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &u, loadRoles(ctx, db, &u)
}

// UserByID finds a user with roles.
func UserByID(ctx context.Context, db *gorm.DB, id int64) (*User, error) {
	var u User
	err := db.WithContext(ctx).First(&u, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &u, loadRoles(ctx, db, &u)
}

func loadRoles(ctx context.Context, db *gorm.DB, u *User) error {
	return db.WithContext(ctx).Model(&UserRole{}).Where("user_id = ?", u.ID).Order("role").Pluck("role", &u.Roles).Error
}

// UsersByIDs loads users (with roles) in two queries, keyed by id.
func UsersByIDs(ctx context.Context, db *gorm.DB, ids []int64) (map[int64]*User, error) {
	out := map[int64]*User{}
	if len(ids) == 0 {
		return out, nil
	}
	var us []User
	if err := db.WithContext(ctx).Where("id IN ?", ids).Find(&us).Error; err != nil {
		return nil, err
	}
	for i := range us {
		out[us[i].ID] = &us[i]
	}
	var roles []UserRole
	if err := db.WithContext(ctx).Where("user_id IN ?", ids).Order("role").Find(&roles).Error; err != nil {
		return nil, err
	}
	for _, r := range roles {
		if u := out[r.UserID]; u != nil {
			u.Roles = append(u.Roles, r.Role)
		}
	}
	return out, nil
}

// GrantRole gives u the role r; granting twice is a no-op.
func GrantRole(ctx context.Context, db *gorm.DB, userID int64, r Role) error {
	var n int64
	db = db.WithContext(ctx)
	if err := db.Model(&UserRole{}).Where("user_id = ? AND role = ?", userID, r).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	return db.Create(&UserRole{UserID: userID, Role: r}).Error
}

// UpdateUserSettings saves what a user may change about themselves.
func UpdateUserSettings(ctx context.Context, db *gorm.DB, u *User, displayName, locale, tz string) error {
	v := &ValidationError{}
	displayName = strings.TrimSpace(cleanText(displayName))
	if !utf8.ValidString(displayName) {
		v.Add("display_name", "error.invalid", nil)
	} else if displayName == "" {
		v.Add("display_name", "error.required", nil)
	} else if len([]rune(displayName)) > 80 {
		v.Add("display_name", "error.too_long", map[string]any{"Max": 80})
	}
	if locale != "" && locale != "en" && locale != "hi" {
		v.Add("locale", "error.invalid", nil)
	}
	if tz != "" {
		if _, err := time.LoadLocation(tz); err != nil || len(tz) > 64 {
			v.Add("time_zone", "error.invalid", nil)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	u.DisplayName, u.Locale, u.TimeZone = displayName, locale, tz
	return db.WithContext(ctx).Model(u).Updates(map[string]any{
		"display_name": displayName, "locale": locale, "time_zone": tz, "updated_at": time.Now().UTC(),
	}).Error
}

// SessionTTL is how long a sign-in lasts.
const SessionTTL = 30 * 24 * time.Hour

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateSession starts a new session for user and returns its secret token,
// which only the browser's cookie holds.
func CreateSession(ctx context.Context, db *gorm.DB, userID int64) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	now := time.Now().UTC()
	s := Session{TokenHash: hashToken(token), UserID: userID, CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	if err := db.WithContext(ctx).Create(&s).Error; err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return token, nil
}

// unreadSQL is built once: it depends only on the visibility rule.
var unreadSQL = unreadColumn()

// UserBySession returns the user of a live session token, with roles, its
// expert tier and boards and its unread notification count, in one
// statement: it runs on every request.

func UserBySession(ctx context.Context, db *gorm.DB, token string) (*User, error) {
	if token == "" {
		return nil, ErrNotFound
	}
	var rows []Author
	err := db.WithContext(ctx).Table("sessions s").
		Select("users.*, ("+rolesAggregate(db)+") AS roles_csv, "+expertTierColumn+", ("+expertBoardsAggregate(db)+") AS expert_boards_csv, "+
			unreadSQL).
		Joins("JOIN users ON users.id = s.user_id").
		Where("s.token_hash = ? AND s.expires_at > ?", hashToken(token), time.Now().UTC()).
		Where("users.suspended_until IS NULL OR users.suspended_until <= ?", time.Now().UTC()).
		Limit(1).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrNotFound
	}
	return rows[0].user(), nil
}

// DeleteSession ends one session.
func DeleteSession(ctx context.Context, db *gorm.DB, token string) error {
	return db.WithContext(ctx).Where("token_hash = ?", hashToken(token)).Delete(&Session{}).Error
}

// DeleteUserSessions signs a user out everywhere.
func DeleteUserSessions(ctx context.Context, db *gorm.DB, userID int64) error {
	return db.WithContext(ctx).Where("user_id = ?", userID).Delete(&Session{}).Error
}

// DeleteExpiredSessions removes sessions past their expiry and reports how many.
func DeleteExpiredSessions(ctx context.Context, db *gorm.DB, now time.Time) (int64, error) {
	res := db.WithContext(ctx).Where("expires_at <= ?", now).Delete(&Session{})
	return res.RowsAffected, res.Error
}
