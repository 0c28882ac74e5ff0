package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ProfilePageSize is how many questions or answers a profile list shows.
const ProfilePageSize = 20

// Profile is a user's public page: the user with roles and how much of
// their activity the viewer may see.
type Profile struct {
	User          *User
	QuestionCount int64
	AnswerCount   int64
}

// AnswerSummary is an answer as a profile lists it, with its question.
type AnswerSummary struct {
	PostID        int64
	QuestionID    int64
	QuestionTitle string
	BoardSlug     string
	BoardName     string
	Accepted      bool
	CreatedAt     time.Time
}

// LoadProfile finds the user behind handle and counts the questions and
// answers of theirs that viewer may see. Activity on boards hidden from
// viewer counts for nothing, so a count never tells that a private board
// exists or is used.
func LoadProfile(ctx context.Context, db *gorm.DB, viewer *User, handle string) (*Profile, error) {
	if ValidateHandle(handle) != nil {
		// No stored handle fails validation; such input would only make
		// PostgreSQL fail (invalid UTF-8, NUL).
		return nil, ErrNotFound
	}
	u, err := UserByHandle(ctx, db, handle)
	if err != nil {
		return nil, err
	}
	p := &Profile{User: u}
	db = db.WithContext(ctx)
	var tiers []string
	if err := db.Table("experts ex").Joins("JOIN expert_tiers et ON et.id = ex.tier_id").
		Where("ex.user_id = ? AND ex.status = ?", u.ID, ExpertActive).Limit(1).Pluck("et.name", &tiers).Error; err != nil {
		return nil, fmt.Errorf("expert tier: %w", err)
	}
	if len(tiers) == 1 {
		u.ExpertTier = tiers[0]
	}
	if err := db.Table("questions q").
		Where("q.author_id = ? AND q.deleted_at IS NULL", u.ID).Where(SeenQuestions(db, viewer, "q")).
		Count(&p.QuestionCount).Error; err != nil {
		return nil, fmt.Errorf("count questions: %w", err)
	}
	if err := answersOf(db, u.ID, viewer).Count(&p.AnswerCount).Error; err != nil {
		return nil, fmt.Errorf("count answers: %w", err)
	}
	return p, nil
}

// answersOf selects the live, published answers of a user on live
// questions viewer may see (SeenQuestions).
func answersOf(db *gorm.DB, userID int64, viewer *User) *gorm.DB {
	return db.Table("posts p").
		Joins("JOIN questions q ON q.id = p.question_id").
		Joins("JOIN boards b ON b.id = q.board_id").
		Where("p.author_id = ? AND p.kind = ? AND p.deleted_at IS NULL AND p.held = ? AND q.deleted_at IS NULL",
			userID, KindAnswer, false).Where(SeenQuestions(db, viewer, "q"))
}

// keysetBefore narrows q to the rows after the cursor in (time, id)
// descending order; a cursor we did not make is ErrBadCursor. The leading
// "time <= t" bound lets the planner seek the index to the cursor.
func keysetBefore(q *gorm.DB, tcol, icol, cur string) (*gorm.DB, error) {
	if cur == "" {
		return q, nil
	}
	c, err := decodeCursor(cur)
	if err != nil {
		return nil, err
	}
	return q.Where(fmt.Sprintf("%s <= ? AND (%s < ? OR (%s = ? AND %s < ?))", tcol, tcol, tcol, icol),
		c.t, c.t, c.t, c.id), nil
}

// ProfileQuestions lists the questions userID asked that viewer may see,
// newest first, one keyset page after cursor ("" for the first), and the
// cursor of the next page ("" on the last).
func ProfileQuestions(ctx context.Context, db *gorm.DB, viewer *User, userID int64, cur string, limit int) ([]QuestionSummary, string, error) {
	if limit <= 0 || limit > 100 {
		limit = ProfilePageSize
	}
	q := db.WithContext(ctx).Table("questions q").Select(summaryColumns).
		Joins("JOIN boards b ON b.id = q.board_id").
		Joins("JOIN users u ON u.id = q.author_id").
		Where("q.author_id = ? AND q.deleted_at IS NULL", userID).Where(SeenQuestions(db, viewer, "q"))
	q, err := keysetBefore(q, "q.created_at", "q.id", cur)
	if err != nil {
		return nil, "", err
	}
	var rows []QuestionSummary
	if err := q.Order("q.created_at DESC, q.id DESC").Limit(limit + 1).Scan(&rows).Error; err != nil {
		return nil, "", fmt.Errorf("profile questions: %w", err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		next = cursor{t: last.CreatedAt, id: last.ID}.encode()
	}
	if err := attachTags(ctx, db, rows); err != nil {
		return nil, "", err
	}
	return rows, next, nil
}

// ProfileAnswers lists the answers userID gave on questions viewer may
// see, newest first, with their question titles, one keyset page at a time.
func ProfileAnswers(ctx context.Context, db *gorm.DB, viewer *User, userID int64, cur string, limit int) ([]AnswerSummary, string, error) {
	if limit <= 0 || limit > 100 {
		limit = ProfilePageSize
	}
	q := answersOf(db.WithContext(ctx), userID, viewer).
		Select("p.id AS post_id, q.id AS question_id, q.title AS question_title, b.slug AS board_slug, b.name AS board_name, " +
			"(q.accepted_answer_id IS NOT NULL AND q.accepted_answer_id = p.id) AS accepted, p.created_at")
	q, err := keysetBefore(q, "p.created_at", "p.id", cur)
	if err != nil {
		return nil, "", err
	}
	var rows []AnswerSummary
	if err := q.Order("p.created_at DESC, p.id DESC").Limit(limit + 1).Scan(&rows).Error; err != nil {
		return nil, "", fmt.Errorf("profile answers: %w", err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		next = cursor{t: last.CreatedAt, id: last.PostID}.encode()
	}
	return rows, next, nil
}

// AccountInput is what a user may change about themselves on the settings
// page.
type AccountInput struct {
	Handle      string
	DisplayName string
	Locale      string
	TimeZone    string
}

// UpdateAccount saves a user's settings and, when it changed, their handle,
// in one transaction: any invalid field leaves everything as it was. A
// handle change is audited, since other people knew the user by the old one.
// Handles are unique case-insensitively; changing only the case of one's
// own handle is allowed.
func UpdateAccount(ctx context.Context, db *gorm.DB, u *User, in AccountInput) error {
	v := &ValidationError{}
	handle := strings.TrimSpace(in.Handle)
	if err := ValidateHandle(handle); err != nil {
		v.Add("handle", "error.handle_invalid", nil)
	}
	saved := *u
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		changed := v.Field("handle") == nil && handle != u.Handle
		if changed {
			var n int64
			if err := tx.Model(&User{}).Where("LOWER(handle) = ? AND id <> ?", strings.ToLower(handle), u.ID).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				v.Add("handle", "error.handle_taken", nil)
			}
		}
		// Settings are validated (and written) even when the handle is
		// bad, so the page reports every invalid field at once; the
		// rollback undoes the write.
		if err := UpdateUserSettings(ctx, tx, &saved, in.DisplayName, in.Locale, in.TimeZone); err != nil {
			var sv *ValidationError
			if !errors.As(err, &sv) {
				return err
			}
			v.Fields = append(v.Fields, sv.Fields...)
		}
		if err := v.Err(); err != nil {
			return err
		}
		if !changed {
			return nil
		}
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Update("handle", handle).Error; err != nil {
			if isUniqueViolation(err) {
				// Someone took it between the check and the write.
				v.Add("handle", "error.handle_taken", nil)
				return v
			}
			return fmt.Errorf("change handle: %w", err)
		}
		return Audit(tx, &u.ID, "user.handle", &u.ID, u.Handle+" → "+handle)
	})
	if err != nil {
		return err
	}
	saved.Handle = handle
	*u = saved
	return nil
}

// isUniqueViolation reports whether err is a unique-index violation, in
// either database's words.
func isUniqueViolation(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "unique constraint") || strings.Contains(s, "duplicate key")
}
