package models

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// What a member may follow.
const (
	FollowBoard    = "board"
	FollowTag      = "tag"
	FollowQuestion = "question"
)

// Follow is a member following a board, a tag or a question.
type Follow struct {
	ID         int64
	UserID     int64
	TargetType string
	TargetID   int64
	CreatedAt  time.Time
}

// FollowTarget is something that can be followed, as a page names it.
type FollowTarget struct {
	Type string `gorm:"column:ttype"`
	ID   int64  `gorm:"column:tid"`
	Key  string `gorm:"column:tkey"` // board slug, tag name or question id: the form's value
	Name string `gorm:"column:tname"`
	URL  string `gorm:"column:turl"`
}

// ResolveFollowTarget finds a board (by slug), tag (by name) or question
// (by id) that u may see. Anything u may not see is ErrNotFound, so a
// private board's existence does not leak.
func ResolveFollowTarget(ctx context.Context, db *gorm.DB, u *User, typ, key string) (*FollowTarget, error) {
	key = strings.TrimSpace(key)
	switch typ {
	case FollowBoard:
		b, err := BoardBySlug(ctx, db, u, key)
		if err != nil {
			return nil, err
		}
		return &FollowTarget{Type: typ, ID: b.ID, Key: b.Slug, Name: b.Name, URL: "/b/" + b.Slug}, nil
	case FollowTag:
		if key == "" || len(key) > TagNameMax*4 {
			return nil, ErrNotFound
		}
		t, err := TagByName(ctx, db, strings.ToLower(key))
		if err != nil {
			return nil, err
		}
		return &FollowTarget{Type: typ, ID: t.ID, Key: t.Name, Name: "#" + t.Name, URL: "/tags/" + t.Name}, nil
	case FollowQuestion:
		id, err := strconv.ParseInt(key, 10, 64)
		if err != nil || id <= 0 {
			return nil, ErrNotFound
		}
		q, _, err := loadQuestionForWrite(db.WithContext(ctx), u, id)
		if err != nil {
			return nil, err
		}
		return &FollowTarget{Type: typ, ID: q.ID, Key: key, Name: q.Title, URL: "/q/" + key}, nil
	}
	return nil, ErrNotFound
}

// SetFollow makes u follow (on) or stop following a target u may see.
func SetFollow(ctx context.Context, db *gorm.DB, u *User, typ, key string, on bool) (*FollowTarget, error) {
	t, err := ResolveFollowTarget(ctx, db, u, typ, key)
	if err != nil {
		return nil, err
	}
	if on {
		return t, follow(db.WithContext(ctx), u.ID, t.Type, t.ID)
	}
	return t, unfollow(db.WithContext(ctx), u.ID, t.Type, t.ID)
}

// follow inserts a follow unless it exists.
func follow(tx *gorm.DB, userID int64, typ string, id int64) error {
	f := Follow{UserID: userID, TargetType: typ, TargetID: id, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "user_id"}, {Name: "target_type"}, {Name: "target_id"}}, DoNothing: true}).Create(&f).Error
	if err != nil {
		return fmt.Errorf("follow %s %d: %w", typ, id, err)
	}
	return nil
}

func unfollow(tx *gorm.DB, userID int64, typ string, id int64) error {
	return tx.Where("user_id = ? AND target_type = ? AND target_id = ?", userID, typ, id).Delete(&Follow{}).Error
}

// IsFollowing reports whether the user follows the target.
func IsFollowing(ctx context.Context, db *gorm.DB, userID int64, typ string, id int64) (bool, error) {
	var n int64
	err := db.WithContext(ctx).Model(&Follow{}).Where("user_id = ? AND target_type = ? AND target_id = ?", userID, typ, id).Count(&n).Error
	return n > 0, err
}

// FollowsOf lists what u follows and may still see, newest first: boards,
// tags and live questions on boards u may read.
func FollowsOf(ctx context.Context, db *gorm.DB, u *User) ([]FollowTarget, error) {
	db = db.WithContext(ctx)
	var out []FollowTarget
	err := db.Raw(`SELECT f.target_type AS ttype, f.target_id AS tid, b.slug AS tkey, b.name AS tname, '/b/' || b.slug AS turl, f.id AS fid
		FROM follows f JOIN boards b ON b.id = f.target_id
		WHERE f.user_id = ? AND f.target_type = ? AND b.id IN (?)
		UNION ALL
		SELECT f.target_type, f.target_id, t.name, '#' || t.name, '/tags/' || t.name, f.id
		FROM follows f JOIN tags t ON t.id = f.target_id
		WHERE f.user_id = ? AND f.target_type = ?
		UNION ALL
		SELECT f.target_type, f.target_id, CAST(q.id AS VARCHAR(20)), q.title, '/q/' || CAST(q.id AS VARCHAR(20)), f.id
		FROM follows f JOIN questions q ON q.id = f.target_id
		WHERE f.user_id = ? AND f.target_type = ? AND q.deleted_at IS NULL AND q.board_id IN (?)
		ORDER BY fid DESC LIMIT 500`,
		u.ID, FollowBoard, VisibleBoards(db, u), u.ID, FollowTag, u.ID, FollowQuestion, VisibleBoards(db, u)).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("follows of %d: %w", u.ID, err)
	}
	return out, nil
}

// followTargetName names a follow for a mail ("Printers", "#wifi" or a
// question's title); "" when it is gone.
func followTargetName(db *gorm.DB, typ string, id int64) string {
	var name string
	switch typ {
	case FollowBoard:
		db.Table("boards").Where("id = ?", id).Select("name").Scan(&name)
	case FollowTag:
		db.Table("tags").Where("id = ?", id).Select("'#' || name").Scan(&name)
	case FollowQuestion:
		db.Table("questions").Where("id = ?", id).Select("title").Scan(&name)
	}
	return name
}
