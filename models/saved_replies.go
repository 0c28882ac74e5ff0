package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SavedReply is an answer an admin wrote once for staff and moderators to
// insert into the answer editor: a title to find it by and a Markdown body
// (rendered when the answer that uses it is posted).
type SavedReply struct {
	ID        int64
	Title     string
	BodyMD    string `gorm:"column:body_md"`
	CreatedBy *int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Limits of a saved reply.
const (
	SavedReplyTitleMax = 120
	SavedReplyBodyMax  = 20000
)

// CanUseSavedReplies reports whether u sees the saved replies next to the
// answer editor: staff (employees, moderators, admins).
func CanUseSavedReplies(u *User) bool { return u.IsStaff() }

// SavedReplyInput is what an admin fills in.
type SavedReplyInput struct {
	Title, Body string
}

func (in SavedReplyInput) validate() (SavedReplyInput, error) {
	v := &ValidationError{}
	in.Title = validateText(v, "title", in.Title, SavedReplyTitleMax)
	in.Body = validateText(v, "body", in.Body, SavedReplyBodyMax)
	return in, v.Err()
}

// SavedReplies lists every saved reply by title, for staff.
func SavedReplies(ctx context.Context, db *gorm.DB, u *User) ([]SavedReply, error) {
	if !CanUseSavedReplies(u) {
		return nil, ErrForbidden
	}
	var out []SavedReply
	err := db.WithContext(ctx).Order("title, id").Find(&out).Error
	return out, err
}

// SavedReplyByID returns one saved reply to staff.
func SavedReplyByID(ctx context.Context, db *gorm.DB, u *User, id int64) (*SavedReply, error) {
	if !CanUseSavedReplies(u) {
		return nil, ErrForbidden
	}
	var r SavedReply
	err := db.WithContext(ctx).First(&r, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &r, err
}

// SaveSavedReply creates (id 0) or edits a saved reply, as an admin's
// decision with an audit entry, in one transaction.
func SaveSavedReply(ctx context.Context, db *gorm.DB, admin *User, id int64, in SavedReplyInput) (*SavedReply, error) {
	if !admin.HasRole(RoleAdmin) {
		return nil, ErrForbidden
	}
	in, err := in.validate()
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	r := &SavedReply{ID: id, Title: in.Title, BodyMD: in.Body, CreatedBy: &admin.ID, CreatedAt: now, UpdatedAt: now}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if id == 0 {
			if err := tx.Create(r).Error; err != nil {
				return fmt.Errorf("create saved reply: %w", err)
			}
			return Audit(tx, &admin.ID, "saved_reply.create", nil, fmt.Sprintf("#%d %s", r.ID, r.Title))
		}
		res := tx.Model(&SavedReply{}).Where("id = ?", id).Updates(map[string]any{"title": in.Title, "body_md": in.Body, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("update saved reply %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return Audit(tx, &admin.ID, "saved_reply.edit", nil, fmt.Sprintf("#%d %s", id, in.Title))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteSavedReply removes a saved reply, with an audit entry.
func DeleteSavedReply(ctx context.Context, db *gorm.DB, admin *User, id int64) error {
	if !admin.HasRole(RoleAdmin) {
		return ErrForbidden
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r SavedReply
		if err := tx.First(&r, id).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if err := tx.Delete(&SavedReply{}, id).Error; err != nil {
			return fmt.Errorf("delete saved reply %d: %w", id, err)
		}
		return Audit(tx, &admin.ID, "saved_reply.delete", nil, fmt.Sprintf("#%d %s", id, r.Title))
	})
}
