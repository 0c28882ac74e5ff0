package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Point reasons: the rows of point_rules, plus the reasons of undo rows.
const (
	ReasonKudosReceived    = "kudos_received"
	ReasonAnswerAccepted   = "answer_accepted"
	ReasonAcceptedAnAnswer = "accepted_an_answer"
	ReasonAnswerValidated  = "answer_validated"
	ReasonQuestionPosted   = "question_posted"
	ReasonAnswerPosted     = "answer_posted"

	ReasonKudosWithdrawn   = "kudos_withdrawn"
	ReasonAnswerUnaccepted = "answer_unaccepted"
	ReasonPostDeleted      = "post_deleted"
)

// Settings names (the settings table).
const (
	SettingDailyCap        = "points.daily_cap"
	SettingKudosDailyLimit = "kudos.daily_limit"
	SettingKudosMinAge     = "kudos.min_account_age_hours"
	SettingKudosMinPoints  = "kudos.min_points"
)

// settingDefaults are used when a row is missing, so a half-configured
// installation still applies the documented defaults.
var settingDefaults = map[string]int{
	SettingDailyCap: 200, SettingKudosDailyLimit: 50, SettingKudosMinAge: 24, SettingKudosMinPoints: 5,
}

// SettingNames lists the integer settings admins may edit, in display order.
var SettingNames = []string{SettingDailyCap, SettingKudosDailyLimit, SettingKudosMinAge, SettingKudosMinPoints}

// PointEvent is one row of the append-only points ledger.
type PointEvent struct {
	ID          int64
	UserID      int64
	Points      int
	Reason      string
	SubjectType string
	SubjectID   int64
	BoardID     *int64
	ActorID     *int64
	AwardKey    string
	ReversesID  *int64
	CreatedAt   time.Time
}

// TableName maps PointEvent to the ledger table.
func (PointEvent) TableName() string { return "point_events" }

// PointRule says how many points a reason gives and whether it counts
// toward the daily cap.
type PointRule struct {
	Reason      string `gorm:"primaryKey"`
	Points      int
	DailyCapped bool
	UpdatedAt   time.Time
}

// Setting is one admin-editable value.
type Setting struct {
	Name      string `gorm:"primaryKey"`
	Value     string
	UpdatedAt time.Time
}

// Rank is a named point threshold; PerkBoardID, when set, lets holders
// read that board.
type Rank struct {
	ID          int64
	Name        string
	Threshold   int
	PerkBoardID *int64
	CreatedAt   time.Time
}

// SubjectPost is the subject type of every ledger row about a post.
const SubjectPost = "post"

// PostAwardKey is the award key of the points for writing a post.
func PostAwardKey(postID int64) string { return "post:" + strconv.FormatInt(postID, 10) }

// KudosAwardKey is the award key of the points a kudos gives.
func KudosAwardKey(kudosID int64) string { return "kudos:" + strconv.FormatInt(kudosID, 10) }

// UndoKey is the key of the row that reverses the award with key k.
func UndoKey(k string) string { return k + ":undo" }

// SettingInt reads an integer setting, falling back to its default.
func SettingInt(db *gorm.DB, name string) (int, error) {
	var s Setting
	err := db.Where("name = ?", name).Take(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return settingDefaults[name], nil
	}
	if err != nil {
		return 0, fmt.Errorf("read setting %s: %w", name, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(s.Value))
	if err != nil {
		return settingDefaults[name], nil
	}
	return n, nil
}

// lockUsers takes the row locks of the given users, in id order so two
// transactions locking the same pair cannot deadlock. SQLite transactions
// are already serialised (_txlock=immediate), so only PostgreSQL needs it.
func lockUsers(tx *gorm.DB, ids ...int64) error {
	if DialectOf(tx) != Postgres {
		return nil
	}
	var got []int64
	return tx.Raw("SELECT id FROM users WHERE id IN ? ORDER BY id FOR UPDATE", ids).Scan(&got).Error
}

// dayStart is the start of t's UTC day.
func dayStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Award writes one ledger row idempotently on e.AwardKey (a second call
// with the same key returns the first row, created=false), taking the
// points from point_rules[e.Reason] when e.Points == 0, applying the daily
// cap for daily_capped reasons (the row is still written, with the points
// cut to what remains under the cap), and updating users.points and
// users.rank_id in the same transaction. tx must be a transaction.
func Award(tx *gorm.DB, e PointEvent) (*PointEvent, bool, error) {
	if e.AwardKey == "" || e.UserID == 0 || e.Reason == "" {
		return nil, false, errors.New("award: user, reason and award key are required")
	}
	// The user's row lock serialises every award to one user: the cap
	// check below and the existence check cannot race another award.
	if err := lockUsers(tx, e.UserID); err != nil {
		return nil, false, fmt.Errorf("award: lock user: %w", err)
	}
	if prev, err := eventByKey(tx, e.AwardKey); err != nil || prev != nil {
		return prev, false, err
	}
	var rule PointRule
	err := tx.Where("reason = ?", e.Reason).Take(&rule).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, false, fmt.Errorf("award: rule %s: %w", e.Reason, err)
	}
	if e.Points == 0 {
		e.Points = rule.Points
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	}
	if rule.DailyCapped && e.Points > 0 {
		left, err := capLeft(tx, e.UserID, e.CreatedAt)
		if err != nil {
			return nil, false, err
		}
		e.Points = max(0, min(e.Points, left))
	}
	e.ID = 0
	if err := tx.Create(&e).Error; err != nil {
		return nil, false, fmt.Errorf("award %s: %w", e.AwardKey, err)
	}
	if err := addPoints(tx, e.UserID, e.Points, e.ActorID); err != nil {
		return nil, false, err
	}
	return &e, true, nil
}

// eventByKey returns the ledger row with key k, or nil.
func eventByKey(tx *gorm.DB, k string) (*PointEvent, error) {
	var rows []PointEvent
	if err := tx.Where("award_key = ?", k).Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("ledger row %s: %w", k, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// capLeft is how many capped points user may still earn on at's UTC day.
// Undo rows carry their own (uncapped) reasons, so a withdrawn kudos still
// counts against the day: giving and withdrawing cannot farm the cap.
func capLeft(tx *gorm.DB, userID int64, at time.Time) (int, error) {
	limit, err := SettingInt(tx, SettingDailyCap)
	if err != nil {
		return 0, err
	}
	from := dayStart(at)
	var sum int
	err = tx.Raw(`SELECT COALESCE(SUM(points), 0) FROM point_events
		WHERE user_id = ? AND created_at >= ? AND created_at < ?
		AND reason IN (SELECT reason FROM point_rules WHERE daily_capped)`,
		userID, from, from.Add(24*time.Hour)).Scan(&sum).Error
	if err != nil {
		return 0, fmt.Errorf("daily cap of user %d: %w", userID, err)
	}
	return limit - sum, nil
}

// addPoints moves users.points by delta and recomputes the cached rank.
// A rank change is recorded in the audit log (there are no notifications
// yet).
func addPoints(tx *gorm.DB, userID int64, delta int, actorID *int64) error {
	var cur struct {
		Points int
		RankID *int64
	}
	if err := tx.Table("users").Select("points, rank_id").Where("id = ?", userID).Take(&cur).Error; err != nil {
		return fmt.Errorf("read points of user %d: %w", userID, err)
	}
	ranks, err := AllRanks(tx)
	if err != nil {
		return err
	}
	total := cur.Points + delta
	r := rankFor(ranks, total)
	var newRank *int64
	if r != nil {
		newRank = &r.ID
	}
	if err := tx.Table("users").Where("id = ?", userID).
		Updates(map[string]any{"points": total, "rank_id": newRank}).Error; err != nil {
		return fmt.Errorf("update points of user %d: %w", userID, err)
	}
	// A rank change is judged on points, not on the cached id: a user's
	// first award fills the cache without being a rank-up.
	if old := rankFor(ranks, cur.Points); old == nil || r == nil || old.ID == r.ID {
		return nil
	}
	return Audit(tx, nil, "rank.change", &userID, fmt.Sprintf("%s → %s (%d points)",
		rankFor(ranks, cur.Points).Name, r.Name, total))
}

func sameID(a, b *int64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func rankName(ranks []Rank, id *int64) string {
	for _, r := range ranks {
		if id != nil && r.ID == *id {
			return r.Name
		}
	}
	return "-"
}

// rankFor is the highest rank whose threshold total reaches.
func rankFor(ranks []Rank, total int) *Rank {
	var best *Rank
	for i := range ranks {
		if ranks[i].Threshold <= total && (best == nil || ranks[i].Threshold > best.Threshold) {
			best = &ranks[i]
		}
	}
	return best
}

// AllRanks lists the ranks by threshold; there are few.
func AllRanks(db *gorm.DB) ([]Rank, error) {
	var rs []Rank
	if err := db.Order("threshold").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("load ranks: %w", err)
	}
	return rs, nil
}

// Reverse writes the compensating row (negated points, reverses_id set)
// for the live award with awardKey, under undoKey, idempotently; it is a
// no-op (false, nil) when that award does not exist or is already
// reversed. An empty reason keeps the award's own.
func Reverse(tx *gorm.DB, awardKey, undoKey, reason string, actorID *int64) (bool, error) {
	orig, err := eventByKey(tx, awardKey)
	if err != nil || orig == nil {
		return false, err
	}
	if err := lockUsers(tx, orig.UserID); err != nil {
		return false, fmt.Errorf("reverse: lock user: %w", err)
	}
	var n int64
	if err := tx.Model(&PointEvent{}).Where("reverses_id = ? OR award_key = ?", orig.ID, undoKey).Count(&n).Error; err != nil {
		return false, fmt.Errorf("reverse %s: %w", awardKey, err)
	}
	if n > 0 {
		return false, nil
	}
	if reason == "" {
		reason = orig.Reason
	}
	undo := PointEvent{UserID: orig.UserID, Points: -orig.Points, Reason: reason, SubjectType: orig.SubjectType,
		SubjectID: orig.SubjectID, BoardID: orig.BoardID, ActorID: actorID, AwardKey: undoKey, ReversesID: &orig.ID,
		CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if err := tx.Create(&undo).Error; err != nil {
		return false, fmt.Errorf("reverse %s: %w", awardKey, err)
	}
	return true, addPoints(tx, orig.UserID, undo.Points, actorID)
}

// reverseLivePrefix reverses every live award whose key starts with prefix
// (keys hold only digits, letters and colons, so LIKE needs no escaping).
func reverseLivePrefix(tx *gorm.DB, prefix, reason string, actorID *int64) error {
	var keys []string
	if err := tx.Model(&PointEvent{}).Where("award_key LIKE ? AND reverses_id IS NULL", prefix+"%").
		Order("id").Pluck("award_key", &keys).Error; err != nil {
		return fmt.Errorf("live awards %s: %w", prefix, err)
	}
	for _, k := range keys {
		if _, err := Reverse(tx, k, UndoKey(k), reason, actorID); err != nil {
			return err
		}
	}
	return nil
}

// Drift is one user whose cached points or rank differed from the ledger.
type Drift struct {
	UserID    int64
	Handle    string
	OldPoints int
	NewPoints int
	OldRank   string
	NewRank   string
}

// RebuildReport is what RebuildPoints found and fixed.
type RebuildReport struct {
	Users int
	Drift []Drift
}

// RebuildPoints recomputes every users.points and rank_id from the ledger,
// in one transaction, and reports the users whose caches had drifted.
func RebuildPoints(ctx context.Context, db *gorm.DB) (RebuildReport, error) {
	var rep RebuildReport
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ranks, err := AllRanks(tx)
		if err != nil {
			return err
		}
		var sums []struct {
			UserID int64
			Total  int
		}
		if err := tx.Raw("SELECT user_id, SUM(points) AS total FROM point_events GROUP BY user_id").Scan(&sums).Error; err != nil {
			return fmt.Errorf("sum ledger: %w", err)
		}
		want := map[int64]int{}
		for _, s := range sums {
			want[s.UserID] = s.Total
		}
		var users []struct {
			ID     int64
			Handle string
			Points int
			RankID *int64
		}
		if err := tx.Table("users").Select("id, handle, points, rank_id").Order("id").Scan(&users).Error; err != nil {
			return fmt.Errorf("read users: %w", err)
		}
		rep.Users = len(users)
		for _, u := range users {
			total := want[u.ID]
			var rid *int64
			if r := rankFor(ranks, total); r != nil {
				rid = &r.ID
			}
			// A NULL rank_id with no points means never ranked, not drift:
			// readers derive the rank from points.
			if total == u.Points && (sameID(rid, u.RankID) || (u.RankID == nil && total == 0)) {
				continue
			}
			rep.Drift = append(rep.Drift, Drift{UserID: u.ID, Handle: u.Handle, OldPoints: u.Points, NewPoints: total,
				OldRank: rankName(ranks, u.RankID), NewRank: rankName(ranks, rid)})
			if err := tx.Table("users").Where("id = ?", u.ID).
				Updates(map[string]any{"points": total, "rank_id": rid}).Error; err != nil {
				return fmt.Errorf("fix user %d: %w", u.ID, err)
			}
		}
		return nil
	})
	return rep, err
}

// LedgerRow is one ledger row as the profile shows it. QuestionID and
// Title are zero when the post sits on a board the viewer may not see (or
// is gone): the points show, where they came from does not.
type LedgerRow struct {
	PointEvent
	PostID     int64
	QuestionID int64
	Title      string
}

// LedgerPageSize is how many ledger rows a page shows.
const LedgerPageSize = 50

// Ledger lists userID's ledger rows newest first, keyset-paged on id
// (beforeID 0 for the first page), with links to the posts viewer may see.
func Ledger(ctx context.Context, db *gorm.DB, viewer *User, userID, beforeID int64, limit int) ([]LedgerRow, error) {
	if limit <= 0 || limit > 200 {
		limit = LedgerPageSize
	}
	var rows []struct {
		PointEvent
		PPostID     *int64
		PQuestionID *int64
		PTitle      *string
		PVisibility *Visibility
		PBoardID    *int64
		PDeleted    *time.Time
		PPrivate    *bool
		PHeld       *bool
		PAuthorID   *int64
	}
	q := db.WithContext(ctx).Table("point_events e").
		Select(`e.*, p.id AS p_post_id, q.id AS p_question_id, q.title AS p_title, b.visibility AS p_visibility, b.id AS p_board_id, q.deleted_at AS p_deleted, q.private AS p_private, q.held AS p_held, q.author_id AS p_author_id`).
		Joins("LEFT JOIN posts p ON e.subject_type = ? AND p.id = e.subject_id", SubjectPost).
		Joins("LEFT JOIN questions q ON q.id = p.question_id").
		Joins("LEFT JOIN boards b ON b.id = q.board_id").
		Where("e.user_id = ?", userID)
	if beforeID > 0 {
		q = q.Where("e.id < ?", beforeID)
	}
	if err := q.Order("e.id DESC").Limit(limit).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("ledger of user %d: %w", userID, err)
	}
	perks, err := PerkBoardIDs(ctx, db, viewer)
	if err != nil {
		return nil, fmt.Errorf("ledger: rank perks: %w", err)
	}
	out := make([]LedgerRow, len(rows))
	for i, r := range rows {
		out[i] = LedgerRow{PointEvent: r.PointEvent}
		if r.PPostID == nil || r.PVisibility == nil || r.PDeleted != nil ||
			!(CanSee(viewer, *r.PVisibility) || slices.Contains(perks, *r.PBoardID)) ||
			!CanReadThread(viewer, &Question{AuthorID: deref(r.PAuthorID), Private: deref(r.PPrivate), Held: deref(r.PHeld)}) {
			continue
		}
		out[i].PostID, out[i].QuestionID, out[i].Title = *r.PPostID, *r.PQuestionID, *r.PTitle
	}
	return out, nil
}

// UserPoints returns a user's cached points and rank name.
func UserPoints(ctx context.Context, db *gorm.DB, userID int64) (int, string, error) {
	var row struct {
		Points   int
		RankName *string
	}
	err := db.WithContext(ctx).Table("users u").Select("u.points, r.name AS rank_name").
		Joins("LEFT JOIN ranks r ON r.id = u.rank_id").Where("u.id = ?", userID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, "", ErrNotFound
	}
	if err != nil {
		return 0, "", err
	}
	name := ""
	if row.RankName != nil {
		name = *row.RankName
	}
	return row.Points, name, nil
}
