package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"gorm.io/gorm"
)

// AlertSubscription is a product team member's wish to hear about new
// emerging issues of a board (BoardID 0: every board they may read).
type AlertSubscription struct {
	ID            int64
	UserID        int64
	BoardID       int64
	Email         bool
	WebhookURL    string `gorm:"column:webhook_url"`
	WebhookSecret string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// AlertInput is the subscription form of one board.
type AlertInput struct {
	BoardID    int64
	Email      bool
	WebhookURL string
	// NewSecret asks for a fresh signing secret (the old one stops working).
	NewSecret bool
}

// validWebhookURL checks a webhook target: https (http only for a host on
// this machine, for development), a host name, no credentials.
func validWebhookURL(v *ValidationError, raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || len(raw) > 500:
		v.Add("webhook_url", "alerts.error.url", nil)
	case u.User != nil:
		v.Add("webhook_url", "alerts.error.url_credentials", nil)
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
	default:
		v.Add("webhook_url", "alerts.error.url_https", nil)
	}
	return raw
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func newWebhookSecret() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_" + hex.EncodeToString(b), nil
}

// SaveAlertSubscription creates, changes or (nothing asked) removes u's
// subscription to a board. A webhook gets a signing secret when it is first
// set, or on request.
func SaveAlertSubscription(ctx context.Context, db *gorm.DB, u *User, in AlertInput) (*AlertSubscription, error) {
	if !CanUseProductDashboard(u) {
		return nil, ErrForbidden
	}
	v := &ValidationError{}
	hook := validWebhookURL(v, in.WebhookURL)
	var out *AlertSubscription
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if in.BoardID != 0 {
			var b Board
			if err := tx.Where("id = ?", in.BoardID).Take(&b).Error; errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			} else if err != nil {
				return err
			}
			if ok, err := CanSeeBoard(ctx, tx, u, &b); err != nil || !ok {
				if err != nil {
					return err
				}
				return ErrNotFound
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		var cur AlertSubscription
		err := tx.Where("user_id = ? AND board_id = ?", u.ID, in.BoardID).Take(&cur).Error
		exists := err == nil
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		if !in.Email && hook == "" {
			if exists {
				return tx.Delete(&AlertSubscription{}, cur.ID).Error
			}
			return nil
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		s := AlertSubscription{ID: cur.ID, UserID: u.ID, BoardID: in.BoardID, Email: in.Email, WebhookURL: hook,
			WebhookSecret: cur.WebhookSecret, CreatedAt: cur.CreatedAt, UpdatedAt: now}
		if !exists {
			s.CreatedAt = now
		}
		if hook == "" {
			s.WebhookSecret = ""
		} else if s.WebhookSecret == "" || in.NewSecret {
			sec, err := newWebhookSecret()
			if err != nil {
				return err
			}
			s.WebhookSecret = sec
		}
		if err := tx.Save(&s).Error; err != nil {
			return fmt.Errorf("save alert subscription: %w", err)
		}
		out = &s
		return nil
	})
	return out, err
}

// AlertSubscriptionsOf lists u's subscriptions.
func AlertSubscriptionsOf(ctx context.Context, db *gorm.DB, u *User) ([]AlertSubscription, error) {
	var out []AlertSubscription
	err := db.WithContext(ctx).Where("user_id = ?", u.ID).Order("board_id").Find(&out).Error
	return out, err
}

// AlertSubscriptionByID loads one subscription (for the delivery jobs).
func AlertSubscriptionByID(ctx context.Context, db *gorm.DB, id int64) (*AlertSubscription, error) {
	var s AlertSubscription
	err := db.WithContext(ctx).Where("id = ?", id).Take(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &s, err
}

// AlertRecipient is a subscription with what delivering it needs.
type AlertRecipient struct {
	AlertSubscription
	Handle string
	Name   string
	Addr   string // the user's email, "" if none
	Lang   string
}

// AlertRecipients lists the subscriptions that hear about a new issue on
// board b: of that board or of every board, whose user still may receive
// alerts and read the board, and is not suspended.
func AlertRecipients(ctx context.Context, db *gorm.DB, b *Board) ([]AlertRecipient, error) {
	var subs []AlertSubscription
	if err := db.WithContext(ctx).Where("board_id IN ?", []int64{0, b.ID}).Order("id").Find(&subs).Error; err != nil {
		return nil, err
	}
	ids := make([]int64, len(subs))
	for i, s := range subs {
		ids[i] = s.UserID
	}
	users, err := UsersByIDs(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	var out []AlertRecipient
	now := time.Now()
	for _, s := range subs {
		u := users[s.UserID]
		if u == nil || !CanUseProductDashboard(u) || u.Suspended(now) {
			continue
		}
		if ok, err := CanSeeBoard(ctx, db, u, b); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		r := AlertRecipient{AlertSubscription: s, Handle: u.Handle, Name: u.Name(), Lang: u.Locale}
		if u.EmailVerified {
			r.Addr = u.Email
		}
		if s.Email && seen[u.ID] {
			r.Email = false // one mail per person, even with two matching subscriptions
		}
		if s.Email {
			seen[u.ID] = true
		}
		out = append(out, r)
	}
	return out, nil
}
