package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// UserPageSize is how many users the admin list shows at once.
const UserPageSize = 50

// SearchUsers lists users whose handle starts with prefix (any case; ""
// for everyone), newest first, with roles, in one statement. Pages are
// keyset-paginated on id: before is the last id of the previous page (0 for
// the first). It returns the id to pass for the next page, 0 on the last.
func SearchUsers(ctx context.Context, db *gorm.DB, prefix string, before int64, limit int) ([]*User, int64, error) {
	if limit <= 0 || limit > 200 {
		limit = UserPageSize
	}
	prefix = strings.TrimSpace(prefix)
	if prefix != "" && (len(prefix) > 40 || strings.Trim(prefix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "") {
		// No handle holds any other character: nothing can match.
		return nil, 0, nil
	}
	q := db.WithContext(ctx).Table("users").Select("users.*, (" + rolesAggregate(db) + ") AS roles_csv")
	if prefix != "" {
		// '_' is a LIKE wildcard and may appear in handles.
		like := strings.ReplaceAll(strings.ToLower(prefix), "_", `\_`) + "%"
		q = q.Where(`LOWER(users.handle) LIKE ? ESCAPE '\'`, like)
	}
	if before > 0 {
		q = q.Where("users.id < ?", before)
	}
	var rows []Author
	if err := q.Order("users.id DESC").Limit(limit + 1).Scan(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("search users: %w", err)
	}
	var next int64
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[len(rows)-1].ID
	}
	out := make([]*User, len(rows))
	for i := range rows {
		out[i] = rows[i].user()
	}
	return out, next, nil
}

// ValidRole reports whether r is a role that can be granted.
func ValidRole(r Role) bool {
	for _, k := range AllRoles {
		if k == r {
			return true
		}
	}
	return false
}

// CanSuspend reports whether actor may suspend (or lift the suspension of)
// target. Moderators act on members, experts, employees and product people;
// only an admin acts on moderators and admins, so a moderator cannot lock
// the people who oversee them out. Nobody suspends themselves.
func CanSuspend(actor, target *User) bool {
	if actor == nil || target == nil || actor.ID == target.ID || !actor.CanModerate() {
		return false
	}
	return actor.HasRole(RoleAdmin) || !target.CanModerate()
}

// SystemSetRole grants (on) or revokes (off) a role as the operator of the
// installation, from the command line: no admin rule applies, and the
// audit entry names no actor. It reports whether anything changed.
func SystemSetRole(ctx context.Context, db *gorm.DB, userID int64, r Role, on bool) (bool, error) {
	if !ValidRole(r) {
		v := &ValidationError{}
		v.Add("role", "error.invalid", nil)
		return false, v
	}
	changed := false
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&User{}).Where("id = ?", userID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		action := "role.revoke"
		var res *gorm.DB
		if on {
			action = "role.grant"
			res = tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&UserRole{UserID: userID, Role: r, CreatedAt: time.Now().UTC()})
		} else {
			res = tx.Where("user_id = ? AND role = ?", userID, r).Delete(&UserRole{})
		}
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		changed = true
		return Audit(tx, nil, action, &userID, string(r)+" (command line)")
	})
	return changed, err
}
