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
	"gorm.io/gorm/clause"
)

// Badge tiers, from the most common to the rarest.
const (
	TierBronze = "bronze"
	TierSilver = "silver"
	TierGold   = "gold"
)

// BadgeTiers lists the tiers rarest first, the order pages show them in.
var BadgeTiers = []string{TierGold, TierSilver, TierBronze}

// Badge kinds: automatic badges follow a rule, manual ones are granted.
const (
	BadgeAuto   = "auto"
	BadgeManual = "manual"
)

// Automatic badge rules (see migration 0005 for what threshold means).
const (
	RuleFirstAnswer     = "first_answer"
	RuleFirstSolution   = "first_solution"
	RuleAcceptedAnswers = "accepted_answers"
	RuleAnswerKudos     = "answer_kudos"
	RuleDistinctBoards  = "distinct_boards"
	RuleDistinctDays    = "distinct_days"
	RuleFastAnswer      = "fast_answer"
)

// Award keys. A one-time badge is earned once ("once"); a per-answer badge
// once per answer ("post:<id>"), so a user may hold "Nice answer" several
// times; a manual badge once per user ("manual").
const (
	AwardOnce   = "once"
	AwardManual = "manual"
)

// BadgeReasonMax bounds the reason an admin gives for a manual badge.
const BadgeReasonMax = 500

// Badge is an achievement users can earn.
type Badge struct {
	ID          int64
	Slug        string
	Name        string
	Description string
	Tier        string
	Kind        string
	Rule        string
	Threshold   int
	CreatedAt   time.Time
}

// Manual reports whether admins grant b by hand.
func (b *Badge) Manual() bool { return b.Kind == BadgeManual }

// UserBadge is one award of a badge to a user.
type UserBadge struct {
	ID        int64
	UserID    int64
	BadgeID   int64
	AwardKey  string
	Reason    string
	GrantedBy *int64
	CreatedAt time.Time
	// ExpiresAt ends a time-limited manual grant; nil is for ever.
	ExpiresAt *time.Time
}

// BadgeSummary is a badge with how many users hold it.
type BadgeSummary struct {
	Badge
	Holders int64
}

// HeldBadge is a badge a user holds and how many times they earned it.
type HeldBadge struct {
	Badge
	Times int64
}

// BadgeHolder is one award as the badge page lists it.
type BadgeHolder struct {
	ID              int64
	UserID          int64
	Handle          string
	DisplayName     string
	Reason          string
	CreatedAt       time.Time
	GrantedByHandle string
	ExpiresAt       *time.Time
}

// Name is what the forum shows for the holder.
func (h *BadgeHolder) Name() string {
	if h.DisplayName != "" {
		return h.DisplayName
	}
	return h.Handle
}

// tierOrder sorts rows gold, silver, bronze.
const tierOrder = "CASE b.tier WHEN 'gold' THEN 0 WHEN 'silver' THEN 1 ELSE 2 END"

// AllBadges lists every badge, rarest tier first, with the number of
// distinct users holding each now (expired awards are not counted), in
// one query.
func AllBadges(ctx context.Context, db *gorm.DB) ([]BadgeSummary, error) {
	var out []BadgeSummary
	err := db.WithContext(ctx).Table("badges b").
		Select("b.*, (SELECT COUNT(DISTINCT ub.user_id) FROM user_badges ub WHERE ub.badge_id = b.id AND "+liveAward+") AS holders",
			time.Now().UTC()).
		Order(tierOrder + ", b.id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list badges: %w", err)
	}
	return out, nil
}

// BadgeBySlug returns one badge, or ErrNotFound.
func BadgeBySlug(ctx context.Context, db *gorm.DB, slug string) (*Badge, error) {
	if !validSlug(slug) {
		return nil, ErrNotFound
	}
	var b Badge
	err := db.WithContext(ctx).Where("slug = ?", slug).First(&b).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load badge %s: %w", slug, err)
	}
	return &b, nil
}

// BadgeHolders lists the live awards of a badge (not expired), newest
// first, one keyset page after cursor before ("" for the first), and the
// cursor of the next page ("" on the last). It walks user_badges_holders,
// so a deep page costs what the first does.
func BadgeHolders(ctx context.Context, db *gorm.DB, badgeID int64, before string, limit int) ([]BadgeHolder, string, error) {
	if limit <= 0 || limit > 100 {
		limit = PageSize
	}
	q := db.WithContext(ctx).Table("user_badges ub").
		Select("ub.id, ub.user_id, u.handle, u.display_name, ub.reason, ub.created_at, ub.expires_at, COALESCE(g.handle, '') AS granted_by_handle").
		Joins("JOIN users u ON u.id = ub.user_id").
		Joins("LEFT JOIN users g ON g.id = ub.granted_by").
		Where("ub.badge_id = ? AND "+liveAward, badgeID, time.Now().UTC())
	q, err := keysetBefore(q, "ub.created_at", "ub.id", before)
	if err != nil {
		return nil, "", err
	}
	var rows []BadgeHolder
	if err := q.Order("ub.created_at DESC, ub.id DESC").Limit(limit + 1).Scan(&rows).Error; err != nil {
		return nil, "", fmt.Errorf("badge holders: %w", err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		next = cursor{t: last.CreatedAt, id: last.ID}.encode()
	}
	return rows, next, nil
}

// BadgesOf lists the badges a user holds now (expired awards are not
// shown), rarest tier first, each once with the number of times it was
// earned.
func BadgesOf(ctx context.Context, db *gorm.DB, userID int64) ([]HeldBadge, error) {
	var out []HeldBadge
	err := db.WithContext(ctx).Table("user_badges ub").
		Select("b.id, b.slug, b.name, b.description, b.tier, b.kind, b.rule, b.threshold, b.created_at, COUNT(*) AS times").
		Joins("JOIN badges b ON b.id = ub.badge_id").
		Where("ub.user_id = ? AND "+liveAward, userID, time.Now().UTC()).
		Group("b.id, b.slug, b.name, b.description, b.tier, b.kind, b.rule, b.threshold, b.created_at").
		Order(tierOrder + ", b.id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("badges of user %d: %w", userID, err)
	}
	return out, nil
}

// answerStats is what the one-time automatic rules look at. Only live
// answers on live questions asked by someone else count: answering one's
// own question helps nobody and would make badges cheap to farm.
type answerStats struct {
	Answers  int64
	Accepted int64
	Boards   int64
	Days     int64
}

// helpedAnswers selects a user's answers that count for badges.
func helpedAnswers(db *gorm.DB, userID int64) *gorm.DB {
	return db.Table("posts p").
		Joins("JOIN questions q ON q.id = p.question_id").
		Where("p.author_id = ? AND p.kind = ? AND p.deleted_at IS NULL AND q.deleted_at IS NULL AND q.author_id <> p.author_id",
			userID, KindAnswer)
}

// utcDay is the SQL for the UTC calendar day of a timestamp column.
func utcDay(d Dialect, col string) string {
	if d == Postgres {
		return "(" + col + " AT TIME ZONE 'UTC')::date"
	}
	// Times are stored with their offset; date() converts them to UTC.
	return "date(" + col + ")"
}

// secondsBetween is the SQL for the seconds from column a to column b.
func secondsBetween(d Dialect, a, b string) string {
	if d == Postgres {
		return "EXTRACT(EPOCH FROM (" + b + " - " + a + "))"
	}
	return "((julianday(" + b + ") - julianday(" + a + ")) * 86400.0)"
}

func loadAnswerStats(db *gorm.DB, userID int64) (answerStats, error) {
	var s answerStats
	d := DialectOf(db)
	err := helpedAnswers(db, userID).Select(
		"COUNT(*) AS answers, " +
			"COALESCE(SUM(CASE WHEN q.accepted_answer_id = p.id THEN 1 ELSE 0 END), 0) AS accepted, " +
			"COUNT(DISTINCT q.board_id) AS boards, " +
			"COUNT(DISTINCT " + utcDay(d, "p.created_at") + ") AS days").
		Scan(&s).Error
	return s, err
}

// fastestFirstAnswer returns how many seconds after its question the
// user's quickest first answer came, or -1 when they never answered first.
// A question's first answer is its earliest live answer.
func fastestFirstAnswer(db *gorm.DB, userID int64) (float64, error) {
	d := DialectOf(db)
	var secs *float64
	err := helpedAnswers(db, userID).
		Where(`NOT EXISTS (SELECT 1 FROM posts e WHERE e.question_id = p.question_id AND e.kind = ? AND e.deleted_at IS NULL
			AND (e.created_at < p.created_at OR (e.created_at = p.created_at AND e.id < p.id)))`, KindAnswer).
		Select("MIN(" + secondsBetween(d, "q.created_at", "p.created_at") + ")").
		Scan(&secs).Error
	if err != nil || secs == nil {
		return -1, err
	}
	return *secs, nil
}

// answerKudos is one answer and its kudos.
type answerKudos struct {
	ID         int64
	KudosCount int
}

// EvaluateBadges looks at one user's answers and awards every automatic
// badge they have earned and do not hold yet. It runs a fixed number of
// queries, whatever the number of answers or badges, and is idempotent:
// every award has a unique key, so a second run (or a concurrent one)
// awards nothing more. It returns how many badges it awarded. Automatic
// badges are never taken back: a badge records that something happened.
func EvaluateBadges(ctx context.Context, db *gorm.DB, userID int64) (int, error) {
	db = db.WithContext(ctx)
	var rules []Badge
	if err := db.Where("kind = ?", BadgeAuto).Order("id").Find(&rules).Error; err != nil {
		return 0, fmt.Errorf("load badge rules: %w", err)
	}
	earned, err := earnedAwards(db, userID, rules)
	if err != nil {
		return 0, fmt.Errorf("evaluate badges of user %d: %w", userID, err)
	}
	if len(earned) == 0 {
		return 0, nil
	}
	var held []UserBadge
	if err := db.Select("badge_id, award_key").Where("user_id = ?", userID).Find(&held).Error; err != nil {
		return 0, fmt.Errorf("load badges of user %d: %w", userID, err)
	}
	have := map[string]bool{}
	for _, h := range held {
		have[awardID(h.BadgeID, h.AwardKey)] = true
	}
	var missing []UserBadge
	for _, e := range earned {
		if !have[awardID(e.BadgeID, e.AwardKey)] {
			missing = append(missing, e)
		}
	}
	if len(missing) == 0 {
		return 0, nil
	}
	// A concurrent evaluation may insert the same rows between our read and
	// this write; the unique key turns those into no-ops.
	res := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&missing)
	if res.Error != nil {
		return 0, fmt.Errorf("award badges to user %d: %w", userID, res.Error)
	}
	return int(res.RowsAffected), nil
}

func awardID(badgeID int64, key string) string { return strconv.FormatInt(badgeID, 10) + "/" + key }

// earnedAwards returns every automatic award the user's data earns.
func earnedAwards(db *gorm.DB, userID int64, rules []Badge) ([]UserBadge, error) {
	need := map[string]int{} // the lowest threshold per rule, to bound queries
	for _, b := range rules {
		if t, ok := need[b.Rule]; !ok || b.Threshold < t {
			need[b.Rule] = b.Threshold
		}
	}
	if len(need) == 0 {
		return nil, nil
	}
	stats, err := loadAnswerStats(db, userID)
	if err != nil || stats.Answers == 0 {
		return nil, err
	}
	var posts []answerKudos
	if t, ok := need[RuleAnswerKudos]; ok {
		if err := helpedAnswers(db, userID).Select("p.id, p.kudos_count").
			Where("p.kudos_count >= ?", max(t, 1)).Order("p.id").Scan(&posts).Error; err != nil {
			return nil, err
		}
	}
	fastest := -1.0
	if _, ok := need[RuleFastAnswer]; ok {
		if fastest, err = fastestFirstAnswer(db, userID); err != nil {
			return nil, err
		}
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	var out []UserBadge
	once := func(b Badge, got int64, reason string) {
		if got >= int64(b.Threshold) {
			out = append(out, UserBadge{UserID: userID, BadgeID: b.ID, AwardKey: AwardOnce, Reason: reason, CreatedAt: now})
		}
	}
	for _, b := range rules {
		switch b.Rule {
		case RuleFirstAnswer:
			once(b, stats.Answers, fmt.Sprintf("%d answers", stats.Answers))
		case RuleFirstSolution, RuleAcceptedAnswers:
			once(b, stats.Accepted, fmt.Sprintf("%d accepted answers", stats.Accepted))
		case RuleDistinctBoards:
			once(b, stats.Boards, fmt.Sprintf("answers in %d boards", stats.Boards))
		case RuleDistinctDays:
			once(b, stats.Days, fmt.Sprintf("answers on %d days", stats.Days))
		case RuleFastAnswer:
			// A millisecond of slack absorbs floating-point rounding (SQLite
			// computes the delay from julian days), so an
			// answer exactly at the limit counts.
			if fastest >= 0 && fastest <= float64(b.Threshold)*60+1e-3 {
				out = append(out, UserBadge{UserID: userID, BadgeID: b.ID, AwardKey: AwardOnce,
					Reason: fmt.Sprintf("first answer after %d seconds", int64(fastest)), CreatedAt: now})
			}
		case RuleAnswerKudos:
			for _, p := range posts {
				if p.KudosCount >= b.Threshold {
					out = append(out, UserBadge{UserID: userID, BadgeID: b.ID, AwardKey: "post:" + strconv.FormatInt(p.ID, 10),
						Reason: fmt.Sprintf("%d kudos on answer %d", p.KudosCount, p.ID), CreatedAt: now})
				}
			}
		}
	}
	return out, nil
}

// validateBadgeReason checks an admin's reason for a manual badge.
func validateBadgeReason(v *ValidationError, reason string) string {
	reason = strings.TrimSpace(cleanText(reason))
	switch {
	case reason == "":
		v.Add("reason", "error.required", nil)
	case utf8.RuneCountInString(reason) > BadgeReasonMax:
		v.Add("reason", "error.too_long", map[string]any{"Max": BadgeReasonMax})
	}
	return reason
}

// manualBadge loads a manual badge inside tx: ErrNotFound when there is no
// such badge, a validation error when it is automatic.
func manualBadge(tx *gorm.DB, slug string) (*Badge, error) {
	b, err := BadgeBySlug(tx.Statement.Context, tx, slug)
	if err != nil {
		return nil, err
	}
	if !b.Manual() {
		v := &ValidationError{}
		v.Add("badge", "error.badge_not_manual", nil)
		return nil, v
	}
	return b, nil
}

// BadgeGrant is an admin's grant of a manual badge.
type BadgeGrant struct {
	UserID int64
	Slug   string
	Reason string
	// ExpiresAt ends a time-limited grant (see BadgeUntil); nil is for
	// ever.
	ExpiresAt *time.Time
}

// GrantManualBadge gives a manual badge to a user, as an admin's decision
// with a reason, and records it in the audit log and notifies the user, in
// one transaction. A manual badge is held once: granting it while the user
// holds it is a no-op without an entry or a notification; after a
// time-limited grant expired it may be granted again (the expired award
// stays). It reports whether the badge was granted now.
func GrantManualBadge(ctx context.Context, db *gorm.DB, admin *User, g BadgeGrant) (bool, error) {
	if !admin.HasRole(RoleAdmin) {
		return false, ErrForbidden
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	v := &ValidationError{}
	reason := validateBadgeReason(v, g.Reason)
	checkBadgeExpiry(v, g.ExpiresAt, now)
	if err := v.Err(); err != nil {
		return false, err
	}
	var expires *time.Time
	if g.ExpiresAt != nil {
		e := g.ExpiresAt.UTC()
		expires = &e
	}
	granted := false
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		b, err := manualBadge(tx, g.Slug)
		if err != nil {
			return err
		}
		if _, err := UserByID(ctx, tx, g.UserID); err != nil {
			return err
		}
		key, err := manualAwardKey(tx, g.UserID, b.ID, now)
		if err != nil || key == "" {
			return err
		}
		ub := UserBadge{UserID: g.UserID, BadgeID: b.ID, AwardKey: key, Reason: reason, GrantedBy: &admin.ID,
			CreatedAt: now, ExpiresAt: expires}
		// A concurrent grant may have taken the same key since we looked;
		// the unique award key turns this one into a no-op.
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&ub)
		if res.Error != nil {
			return fmt.Errorf("grant badge %s: %w", b.Slug, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		granted = true
		detail := b.Slug + ": " + reason
		if expires != nil {
			detail = b.Slug + " until " + expires.Add(-time.Nanosecond).Format("2006-01-02") + ": " + reason
		}
		if err := Audit(tx, &admin.ID, "badge.grant", &g.UserID, detail); err != nil {
			return err
		}
		_, err = Notify(tx, Notification{UserID: g.UserID, Kind: NotifyBadgeGranted, ActorID: &admin.ID, Detail: b.Name,
			URL: "/badges/" + b.Slug, DedupKey: fmt.Sprintf("badge:%d", ub.ID)})
		return err
	})
	return granted, err
}

// RevokeManualBadge takes a manual badge back from a user, with an audit
// entry. Revoking a badge the user does not hold (or whose time-limited
// grant expired, which stays as a record) is a no-op without one.
// Automatic badges cannot be revoked: the rules would award them again.
func RevokeManualBadge(ctx context.Context, db *gorm.DB, admin *User, userID int64, badgeSlug, reason string) (bool, error) {
	if !admin.HasRole(RoleAdmin) {
		return false, ErrForbidden
	}
	v := &ValidationError{}
	reason = validateBadgeReason(v, reason)
	if err := v.Err(); err != nil {
		return false, err
	}
	revoked := false
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		b, err := manualBadge(tx, badgeSlug)
		if err != nil {
			return err
		}
		res := tx.Where("user_id = ? AND badge_id = ? AND (award_key = ? OR award_key LIKE ?) AND (expires_at IS NULL OR expires_at > ?)",
			userID, b.ID, AwardManual, AwardManual+":%", time.Now().UTC()).Delete(&UserBadge{})
		if res.Error != nil {
			return fmt.Errorf("revoke badge %s: %w", b.Slug, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		revoked = true
		return Audit(tx, &admin.ID, "badge.revoke", &userID, b.Slug+": "+reason)
	})
	return revoked, err
}

// Badge sweep: a nightly pass that re-evaluates the users active since the
// previous pass, so a badge whose event was lost (or never sent) is still
// awarded. Its watermark lives in the settings table.
const (
	badgeSweepSetting = "badges.sweep_watermark"
	// badgeSweepOverlap re-reads a little before the watermark: a
	// transaction that started before the last sweep may have committed
	// after it with an older timestamp. Evaluating twice is harmless.
	badgeSweepOverlap = 15 * time.Minute
	// BadgeSweepBatch is how many users one sweep step loads at a time.
	BadgeSweepBatch = 500
)

// SweepResult tells what a sweep did.
type SweepResult struct {
	Full    bool // no watermark yet: every user was evaluated
	Users   int
	Awarded int
}

// SweepBadges evaluates the badges of every user active since the last
// sweep (every user on the first run, in batches of BadgeSweepBatch) and
// then moves the watermark to now. A failure leaves the watermark where it
// was, so the next run covers the same users again.
func SweepBadges(ctx context.Context, db *gorm.DB, now time.Time) (SweepResult, error) {
	var res SweepResult
	since, ok, err := badgeSweepWatermark(ctx, db)
	if err != nil {
		return res, err
	}
	res.Full = !ok
	var after int64
	for {
		var ids []int64
		if res.Full {
			ids, err = userIDsAfter(ctx, db, after, BadgeSweepBatch)
		} else {
			ids, err = activeUserIDsAfter(ctx, db, since.Add(-badgeSweepOverlap), after, BadgeSweepBatch)
		}
		if err != nil {
			return res, fmt.Errorf("badge sweep: list users: %w", err)
		}
		for _, id := range ids {
			n, err := EvaluateBadges(ctx, db, id)
			if err != nil {
				return res, err
			}
			res.Users++
			res.Awarded += n
		}
		if len(ids) < BadgeSweepBatch {
			break
		}
		after = ids[len(ids)-1]
	}
	return res, setBadgeSweepWatermark(ctx, db, now)
}

func userIDsAfter(ctx context.Context, db *gorm.DB, after int64, limit int) ([]int64, error) {
	var ids []int64
	err := db.WithContext(ctx).Model(&User{}).Where("id > ?", after).Order("id").Limit(limit).Pluck("id", &ids).Error
	return ids, err
}

// activeUserIDsAfter lists, in id order after after, the users who since
// then wrote an answer, received kudos or had a ledger row (accepted
// answers, validations): everything an automatic badge can follow from.
func activeUserIDsAfter(ctx context.Context, db *gorm.DB, since time.Time, after int64, limit int) ([]int64, error) {
	var ids []int64
	err := db.WithContext(ctx).Raw(`SELECT user_id FROM (
		SELECT author_id AS user_id FROM posts WHERE kind = ? AND created_at >= ?
		UNION SELECT receiver_id FROM kudos WHERE created_at >= ?
		UNION SELECT user_id FROM point_events WHERE created_at >= ?
	) active WHERE user_id > ? ORDER BY user_id LIMIT ?`, KindAnswer, since, since, since, after, limit).Scan(&ids).Error
	return ids, err
}

// sweepSetting is a row of the settings table.
type sweepSetting struct {
	Name      string `gorm:"primaryKey"`
	Value     string
	UpdatedAt time.Time
}

func (sweepSetting) TableName() string { return "settings" }

func badgeSweepWatermark(ctx context.Context, db *gorm.DB) (time.Time, bool, error) {
	var s sweepSetting
	err := db.WithContext(ctx).Where("name = ?", badgeSweepSetting).First(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read badge sweep watermark: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, s.Value)
	if err != nil {
		// A garbled watermark is treated as none: a full sweep is safe.
		return time.Time{}, false, nil
	}
	return t, true, nil
}

func setBadgeSweepWatermark(ctx context.Context, db *gorm.DB, t time.Time) error {
	s := sweepSetting{Name: badgeSweepSetting, Value: t.UTC().Format(time.RFC3339Nano), UpdatedAt: time.Now().UTC()}
	err := db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"})}).Create(&s).Error
	if err != nil {
		return fmt.Errorf("save badge sweep watermark: %w", err)
	}
	return nil
}
