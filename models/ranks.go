package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Bounds of what admins may set, so a typo cannot hand out a billion points.
const (
	MaxRulePoints   = 1000
	MaxSettingValue = 1000000
	MaxRankName     = 40
	MaxThreshold    = 100000000
)

// PointsConfig is everything the admin points page edits.
type PointsConfig struct {
	Rules    []PointRule
	Settings map[string]int
	Ranks    []Rank
}

// LoadPointsConfig reads the rules, settings and ranks.
func LoadPointsConfig(ctx context.Context, db *gorm.DB) (*PointsConfig, error) {
	db = db.WithContext(ctx)
	cfg := &PointsConfig{Settings: map[string]int{}}
	if err := db.Order("reason").Find(&cfg.Rules).Error; err != nil {
		return nil, fmt.Errorf("load point rules: %w", err)
	}
	for _, n := range SettingNames {
		v, err := SettingInt(db, n)
		if err != nil {
			return nil, err
		}
		cfg.Settings[n] = v
	}
	var err error
	cfg.Ranks, err = AllRanks(db)
	return cfg, err
}

// RulesInput is a submitted rules-and-settings form: the raw text of each
// value, keyed by reason or setting name.
type RulesInput struct {
	Points   map[string]string
	Capped   map[string]bool
	Settings map[string]string
}

// parseBounded reads an integer in [lo, hi] or records why it is not one.
func parseBounded(v *ValidationError, field, s string, lo, hi int) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		v.Add(field, "error.invalid", nil)
		return 0
	}
	if n < lo || n > hi {
		v.Add(field, "points.error.range", map[string]any{"Min": lo, "Max": hi})
	}
	return n
}

// UpdatePointRules saves the rules and settings after checking every
// value: one bad value saves nothing. Each change gets an audit entry.
func UpdatePointRules(ctx context.Context, db *gorm.DB, actor *User, in RulesInput) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rules []PointRule
		if err := tx.Order("reason").Find(&rules).Error; err != nil {
			return err
		}
		v := &ValidationError{}
		points := map[string]int{}
		for _, r := range rules {
			points[r.Reason] = parseBounded(v, "rule."+r.Reason, in.Points[r.Reason], -MaxRulePoints, MaxRulePoints)
		}
		settings := map[string]int{}
		for _, n := range SettingNames {
			settings[n] = parseBounded(v, "setting."+n, in.Settings[n], 0, MaxSettingValue)
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := time.Now().UTC()
		for _, r := range rules {
			p, capped := points[r.Reason], in.Capped[r.Reason]
			if p == r.Points && capped == r.DailyCapped {
				continue
			}
			if err := tx.Model(&PointRule{}).Where("reason = ?", r.Reason).
				Updates(map[string]any{"points": p, "daily_capped": capped, "updated_at": now}).Error; err != nil {
				return fmt.Errorf("save rule %s: %w", r.Reason, err)
			}
			detail := fmt.Sprintf("%s: %d → %d points, capped %v → %v", r.Reason, r.Points, p, r.DailyCapped, capped)
			if err := Audit(tx, &actor.ID, "points.rule", nil, detail); err != nil {
				return err
			}
		}
		return saveIntSettings(tx, actor, SettingNames, settings, "points.setting", now)
	})
}

// saveIntSettings saves the settings names whose value in vals changed,
// each with an audit entry of action.
func saveIntSettings(tx *gorm.DB, actor *User, names []string, vals map[string]int, action string, now time.Time) error {
	for _, n := range names {
		old, err := SettingInt(tx, n)
		if err != nil {
			return err
		}
		if old == vals[n] {
			continue
		}
		if err := saveSetting(tx, n, vals[n], now); err != nil {
			return err
		}
		if err := Audit(tx, &actor.ID, action, nil, fmt.Sprintf("%s: %d → %d", n, old, vals[n])); err != nil {
			return err
		}
	}
	return nil
}

func saveSetting(tx *gorm.DB, name string, value int, now time.Time) error {
	res := tx.Model(&Setting{}).Where("name = ?", name).Updates(map[string]any{"value": strconv.Itoa(value), "updated_at": now})
	if res.Error != nil {
		return fmt.Errorf("save setting %s: %w", name, res.Error)
	}
	if res.RowsAffected == 0 {
		return tx.Create(&Setting{Name: name, Value: strconv.Itoa(value), UpdatedAt: now}).Error
	}
	return nil
}

// RankInput is a submitted rank: name, threshold and perk board (0 for none).
type RankInput struct {
	Name        string
	Threshold   string
	PerkBoardID int64
}

// SaveRank creates (id 0) or updates a rank, then recomputes every user's
// cached rank in the same transaction.
func SaveRank(ctx context.Context, db *gorm.DB, actor *User, id int64, in RankInput) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		v := &ValidationError{}
		name := strings.TrimSpace(cleanText(in.Name))
		switch n := utf8.RuneCountInString(name); {
		case !utf8.ValidString(name):
			v.Add("name", "error.invalid", nil)
		case n == 0:
			v.Add("name", "error.required", nil)
		case n > MaxRankName:
			v.Add("name", "error.too_long", map[string]any{"Max": MaxRankName})
		}
		threshold := parseBounded(v, "threshold", in.Threshold, 0, MaxThreshold)
		var old Rank
		if id != 0 {
			if err := tx.First(&old, id).Error; errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			} else if err != nil {
				return err
			}
			if old.Threshold == 0 && threshold != 0 {
				// Everyone must hold some rank.
				v.Add("threshold", "points.error.base_rank", nil)
			}
		}
		var n int64
		if err := tx.Model(&Rank{}).Where("threshold = ? AND id <> ?", threshold, id).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			v.Add("threshold", "points.error.threshold_taken", nil)
		}
		var perk *int64
		if in.PerkBoardID != 0 {
			if err := tx.Model(&Board{}).Where("id = ?", in.PerkBoardID).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				v.Add("perk_board", "error.invalid", nil)
			}
			perk = &in.PerkBoardID
		}
		if err := v.Err(); err != nil {
			return err
		}
		r := Rank{ID: id, Name: name, Threshold: threshold, PerkBoardID: perk, CreatedAt: old.CreatedAt}
		action := "rank.update"
		if id == 0 {
			action, r.CreatedAt = "rank.create", time.Now().UTC()
		}
		if err := tx.Save(&r).Error; err != nil {
			return fmt.Errorf("save rank: %w", err)
		}
		detail := fmt.Sprintf("%s (%d points, perk board %s)", r.Name, r.Threshold, perkText(perk))
		if id != 0 {
			detail = fmt.Sprintf("%s (%d points, perk board %s) → %s", old.Name, old.Threshold, perkText(old.PerkBoardID), detail)
		}
		if err := Audit(tx, &actor.ID, action, nil, detail); err != nil {
			return err
		}
		return rerankAll(tx)
	})
}

func perkText(id *int64) string {
	if id == nil {
		return "none"
	}
	return "#" + strconv.FormatInt(*id, 10)
}

// DeleteRank removes a rank; the base rank (threshold 0) stays.
func DeleteRank(ctx context.Context, db *gorm.DB, actor *User, id int64) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r Rank
		if err := tx.First(&r, id).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if r.Threshold == 0 {
			v := &ValidationError{}
			v.Add("threshold", "points.error.base_rank", nil)
			return v
		}
		if err := tx.Delete(&Rank{}, id).Error; err != nil {
			return fmt.Errorf("delete rank: %w", err)
		}
		if err := Audit(tx, &actor.ID, "rank.delete", nil, fmt.Sprintf("%s (%d points)", r.Name, r.Threshold)); err != nil {
			return err
		}
		return rerankAll(tx)
	})
}

// rerankAll recomputes every cached rank after the ranks changed.
func rerankAll(tx *gorm.DB) error {
	return tx.Exec(`UPDATE users SET rank_id = (SELECT r.id FROM ranks r WHERE r.threshold <= users.points
		ORDER BY r.threshold DESC LIMIT 1)`).Error
}

// PerkBoardIDs lists the boards u's rank (or any rank below it) opens to u.
func PerkBoardIDs(ctx context.Context, db *gorm.DB, u *User) ([]int64, error) {
	if u == nil {
		return nil, nil
	}
	var ids []int64
	err := db.WithContext(ctx).Model(&Rank{}).
		Where("perk_board_id IS NOT NULL AND threshold <= (SELECT points FROM users WHERE id = ?)", u.ID).
		Pluck("perk_board_id", &ids).Error
	return ids, err
}

// CanSeeBoard reports whether u may read board b: by its visibility, or
// through a rank perk. The perk costs a query only when visibility says no.
func CanSeeBoard(ctx context.Context, db *gorm.DB, u *User, b *Board) (bool, error) {
	if CanSee(u, b.Visibility) {
		return true, nil
	}
	ids, err := PerkBoardIDs(ctx, db, u)
	if err != nil {
		return false, fmt.Errorf("rank perks: %w", err)
	}
	for _, id := range ids {
		if id == b.ID {
			return true, nil
		}
	}
	return false, nil
}

// SettingList is the editable settings in display order, for templates.
func (c *PointsConfig) SettingList() []string { return SettingNames }

// perkBoards is a subquery of the board ids viewer's rank perks open.
func perkBoards(db *gorm.DB, viewer *User) *gorm.DB {
	return db.Session(&gorm.Session{NewDB: true}).Model(&Rank{}).Select("perk_board_id").
		Where("perk_board_id IS NOT NULL AND threshold <= (SELECT points FROM users WHERE id = ?)", viewer.ID)
}

// VisibleBoards is a subquery of the ids of the boards viewer may read: by
// visibility or, for a signed-in user, through a rank perk. It costs no
// statement of its own.
func VisibleBoards(db *gorm.DB, viewer *User) *gorm.DB {
	q := db.Session(&gorm.Session{NewDB: true}).Model(&Board{}).Select("id").Where("visibility IN ?", VisibleTo(viewer))
	if viewer != nil {
		q = q.Or("id IN (?)", perkBoards(db, viewer))
	}
	return q
}

// canSeeBoardOrFalse is CanSeeBoard for checks that report "no such board"
// anyway: a failed perk lookup refuses, it never opens.
func canSeeBoardOrFalse(ctx context.Context, db *gorm.DB, u *User, b *Board) bool {
	ok, err := CanSeeBoard(ctx, db, u, b)
	return err == nil && ok
}
