package models

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// validSlug reports whether s can be a board's slug. Lookups check it
// first, so arbitrary bytes from a URL never reach the database.
func validSlug(s string) bool { return len(s) <= 60 && slugPattern.MatchString(s) }

// BoardInput is what an admin fills in to create or edit a board.
type BoardInput struct {
	Slug        string
	Name        string
	Description string
	Visibility  Visibility
	Position    int
	// FirstResponseMinutes is how soon a question should get its first
	// answer, 0 to MaxFirstResponseMinutes; 0 means no target (and no
	// routing to experts).
	FirstResponseMinutes int
}

func (in *BoardInput) validate() error {
	in.Slug = strings.TrimSpace(strings.ToLower(in.Slug))
	in.Name = strings.TrimSpace(cleanText(in.Name))
	in.Description = strings.TrimSpace(cleanText(in.Description))
	v := &ValidationError{}
	if in.Slug == "" {
		v.Add("slug", "error.required", nil)
	} else if !validSlug(in.Slug) {
		v.Add("slug", "error.slug_invalid", nil)
	}
	if !utf8.ValidString(in.Name) {
		v.Add("name", "error.invalid", nil)
	} else if in.Name == "" {
		v.Add("name", "error.required", nil)
	} else if len([]rune(in.Name)) > 80 {
		v.Add("name", "error.too_long", map[string]any{"Max": 80})
	}
	if !utf8.ValidString(in.Description) {
		v.Add("description", "error.invalid", nil)
	} else if len([]rune(in.Description)) > 1000 {
		v.Add("description", "error.too_long", map[string]any{"Max": 1000})
	}
	if !in.Visibility.Valid() {
		v.Add("visibility", "error.invalid", nil)
	}
	if in.FirstResponseMinutes < 0 || in.FirstResponseMinutes > MaxFirstResponseMinutes {
		v.Add("first_response_minutes", "dashboard.error.target_range", map[string]any{"Max": MaxFirstResponseMinutes})
	}
	return v.Err()
}

// CreateBoard adds a board. Only admins may call it; the web layer checks.
func CreateBoard(ctx context.Context, db *gorm.DB, in BoardInput) (*Board, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	b := &Board{Slug: in.Slug, Name: in.Name, Description: in.Description, Visibility: in.Visibility, Position: in.Position,
		FirstResponseMinutes: in.FirstResponseMinutes}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Board{}).Where("slug = ?", in.Slug).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			v := &ValidationError{}
			v.Add("slug", "error.slug_taken", nil)
			return v
		}
		return tx.Create(b).Error
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// UpdateBoard changes a board's settings.
func UpdateBoard(ctx context.Context, db *gorm.DB, id int64, in BoardInput) (*Board, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	var b Board
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.First(&b, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		var n int64
		if err := tx.Model(&Board{}).Where("slug = ? AND id <> ?", in.Slug, id).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			v := &ValidationError{}
			v.Add("slug", "error.slug_taken", nil)
			return v
		}
		b.Slug, b.Name, b.Description, b.Visibility, b.Position = in.Slug, in.Name, in.Description, in.Visibility, in.Position
		b.FirstResponseMinutes = in.FirstResponseMinutes
		b.UpdatedAt = time.Now().UTC()
		return tx.Save(&b).Error
	})
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// BoardsFor lists the boards viewer may see, in display order.
func BoardsFor(ctx context.Context, db *gorm.DB, viewer *User) ([]Board, error) {
	var bs []Board
	err := db.WithContext(ctx).Where("id IN (?)", VisibleBoards(db, viewer)).Order("position, name").Find(&bs).Error
	return bs, err
}

// BoardBySlug returns a board the viewer may see; a board they may not see
// is reported as not found, so its existence does not leak.
func BoardBySlug(ctx context.Context, db *gorm.DB, viewer *User, slug string) (*Board, error) {
	var b Board
	if !validSlug(slug) {
		return nil, ErrNotFound
	}
	err := db.WithContext(ctx).Where("slug = ?", slug).First(&b).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if ok, err := CanSeeBoard(ctx, db, viewer, &b); err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return nil, ErrNotFound
	}
	return &b, nil
}

// BoardByID returns any board by id, with no visibility check (admin use).
func BoardByID(ctx context.Context, db *gorm.DB, id int64) (*Board, error) {
	var b Board
	err := db.WithContext(ctx).First(&b, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &b, err
}
