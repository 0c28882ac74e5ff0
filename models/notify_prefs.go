package models

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// How a member hears about notifications by email.
const (
	EmailEvent  = "event"  // one mail per notification
	EmailDaily  = "daily"  // a digest every day at DigestHour, local time
	EmailWeekly = "weekly" // a digest every Monday at DigestHour
	EmailNone   = "none"
)

// EmailModes lists the modes in the order the settings page offers them.
var EmailModes = []string{EmailEvent, EmailDaily, EmailWeekly, EmailNone}

// DigestHour is the local hour at which digests go out.
const DigestHour = 8

// NotificationPref is a member's email choice; no row means EmailEvent.
type NotificationPref struct {
	UserID    int64 `gorm:"primaryKey"`
	EmailMode string
	UpdatedAt time.Time
}

// EmailModeOf returns the user's email mode.
func EmailModeOf(ctx context.Context, db *gorm.DB, userID int64) (string, time.Time, error) {
	var p NotificationPref
	err := db.WithContext(ctx).Where("user_id = ?", userID).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return EmailEvent, time.Time{}, nil
	}
	return p.EmailMode, p.UpdatedAt, err
}

func validEmailMode(m string) bool {
	for _, x := range EmailModes {
		if m == x {
			return true
		}
	}
	return false
}

// setEmailMode saves a mode inside tx.
func setEmailMode(tx *gorm.DB, userID int64, mode string, now time.Time) error {
	p := NotificationPref{UserID: userID, EmailMode: mode, UpdatedAt: now.UTC().Truncate(time.Microsecond)}
	return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "user_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"email_mode", "updated_at"})}).Create(&p).Error
}

// SaveNotificationSettings saves u's email mode and time zone (an IANA
// name, "" for UTC) together; bad input changes nothing.
func SaveNotificationSettings(ctx context.Context, db *gorm.DB, u *User, mode, tz string) error {
	v := &ValidationError{}
	if !validEmailMode(mode) {
		v.Add("email_mode", "error.invalid", nil)
	}
	tz = strings.TrimSpace(tz)
	if tz != "" {
		if _, err := time.LoadLocation(tz); err != nil || len(tz) > 64 || strings.EqualFold(tz, "local") {
			v.Add("time_zone", "error.invalid", nil)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	now := time.Now()
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := setEmailMode(tx, u.ID, mode, now); err != nil {
			return err
		}
		return tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{"time_zone": tz, "updated_at": now.UTC()}).Error
	})
	if err == nil {
		u.TimeZone = tz
	}
	return err
}

// Unsubscribe actions a signed link may carry.
const (
	UnsubscribeAll    = "all"    // email mode becomes none
	UnsubscribeFollow = "follow" // stop following one board, tag or question
)

// UnsubscribeTTL is how long an unsubscribe link works.
const UnsubscribeTTL = 90 * 24 * time.Hour

// Unsubscribe is what a signed unsubscribe link asks for.
type Unsubscribe struct {
	UserID     int64
	Action     string
	TargetType string
	TargetID   int64
	Expires    time.Time
}

// Errors of ParseUnsubscribe.
var (
	ErrTokenInvalid = errors.New("unsubscribe link is not valid")
	ErrTokenExpired = errors.New("unsubscribe link has expired")
)

// unsubscribeKey derives the key of unsubscribe links from the app's
// secret, so the secret itself signs nothing but sessions and forms.
func unsubscribeKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("crowdcare unsubscribe v1"))
	return m.Sum(nil)
}

// SignUnsubscribe returns the token of an unsubscribe link.
func SignUnsubscribe(secret []byte, u Unsubscribe) string {
	payload := strings.Join([]string{"1", strconv.FormatInt(u.UserID, 10), u.Action, u.TargetType,
		strconv.FormatInt(u.TargetID, 10), strconv.FormatInt(u.Expires.Unix(), 10)}, ".")
	m := hmac.New(sha256.New, unsubscribeKey(secret))
	m.Write([]byte(payload))
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(m.Sum(nil))
}

// ParseUnsubscribe checks a token's signature and age.
func ParseUnsubscribe(secret []byte, token string, now time.Time) (Unsubscribe, error) {
	var u Unsubscribe
	enc := base64.RawURLEncoding
	p, s, ok := strings.Cut(token, ".")
	if !ok || len(token) > 400 {
		return u, ErrTokenInvalid
	}
	payload, err1 := enc.DecodeString(p)
	sig, err2 := enc.DecodeString(s)
	if err1 != nil || err2 != nil {
		return u, ErrTokenInvalid
	}
	m := hmac.New(sha256.New, unsubscribeKey(secret))
	m.Write(payload)
	if !hmac.Equal(sig, m.Sum(nil)) {
		return u, ErrTokenInvalid
	}
	f := strings.Split(string(payload), ".")
	if len(f) != 6 || f[0] != "1" {
		return u, ErrTokenInvalid
	}
	uid, e1 := strconv.ParseInt(f[1], 10, 64)
	tid, e2 := strconv.ParseInt(f[4], 10, 64)
	exp, e3 := strconv.ParseInt(f[5], 10, 64)
	if e1 != nil || e2 != nil || e3 != nil || uid <= 0 {
		return u, ErrTokenInvalid
	}
	u = Unsubscribe{UserID: uid, Action: f[2], TargetType: f[3], TargetID: tid, Expires: time.Unix(exp, 0).UTC()}
	switch {
	case u.Action == UnsubscribeAll:
	case u.Action == UnsubscribeFollow && (u.TargetType == FollowBoard || u.TargetType == FollowTag || u.TargetType == FollowQuestion):
	default:
		return Unsubscribe{}, ErrTokenInvalid
	}
	if !now.Before(u.Expires) {
		return u, ErrTokenExpired
	}
	return u, nil
}

// UnsubscribeSubject names what a link stops, for its page: "" for every
// mail, else the followed thing's name.
func UnsubscribeSubject(ctx context.Context, db *gorm.DB, u Unsubscribe) string {
	if u.Action != UnsubscribeFollow {
		return ""
	}
	return followTargetName(db.WithContext(ctx), u.TargetType, u.TargetID)
}

// ApplyUnsubscribe carries out a checked link. Doing it twice is harmless.
func ApplyUnsubscribe(ctx context.Context, db *gorm.DB, u Unsubscribe) error {
	db = db.WithContext(ctx)
	var n int64
	if err := db.Model(&User{}).Where("id = ?", u.UserID).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	if u.Action == UnsubscribeFollow {
		return unfollow(db, u.UserID, u.TargetType, u.TargetID)
	}
	if err := setEmailMode(db, u.UserID, EmailNone, time.Now()); err != nil {
		return fmt.Errorf("unsubscribe %d: %w", u.UserID, err)
	}
	return nil
}
