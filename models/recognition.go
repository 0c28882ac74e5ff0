package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Recognition: manual badges created by admins, time-limited grants, the
// export of a period's top contributors and the figures of employee
// volunteers.

// Limits of a badge an admin creates (the columns allow 80 and any).
const (
	BadgeNameMax = 80
	BadgeDescMax = 500
	badgeSlugMax = 60 // badges.slug is VARCHAR(60)
)

// NewBadge is what an admin fills in to create a manual badge.
type NewBadge struct {
	Name        string
	Description string
	Tier        string
	// Reserved reports slugs that are taken elsewhere than in the badges
	// table: the web layer's catalogue translates "badge.<slug>.name",
	// and a new badge with such a slug would show another badge's text.
	Reserved func(slug string) bool
}

// BadgeSlug derives a badge's address from its name: lower-case ASCII
// letters and digits, runs of anything else as one dash, accents dropped
// ("Café" is "cafe"). A name in another script keeps what it has in ASCII
// and gets a short hash of the whole name, so that two different Hindi
// names never share a slug while the same name always maps to the same
// one (and is caught as a duplicate).
func BadgeSlug(name string) string {
	var b strings.Builder
	dash, dropped := false, false
	for _, r := range norm.NFD.String(strings.ToLower(name)) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r):
			// A combining accent: "é" decomposes to "e" and this.
		default:
			dropped = dropped || unicode.IsLetter(r)
			dash = true
		}
	}
	s, room := b.String(), badgeSlugMax
	var suffix string
	if dropped || s == "" {
		sum := sha256.Sum256([]byte(name))
		suffix = hex.EncodeToString(sum[:4])
		room -= len(suffix) + 1
	}
	if len(s) > room {
		s = strings.TrimRight(s[:room], "-")
	}
	switch {
	case suffix == "":
		return s
	case s == "":
		return "badge-" + suffix
	}
	return s + "-" + suffix
}

// validateText checks a required free text of at most max runes; invalid
// UTF-8 is refused before anything else looks at it (PostgreSQL would
// refuse to store it).
func validateText(v *ValidationError, field, s string, max int) string {
	if !utf8.ValidString(s) {
		v.Add(field, "error.invalid", nil)
		return ""
	}
	s = strings.TrimSpace(cleanText(s))
	switch {
	case s == "":
		v.Add(field, "error.required", nil)
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "error.too_long", map[string]any{"Max": max})
	}
	return s
}

func validTier(t string) bool { return t == TierGold || t == TierSilver || t == TierBronze }

// CreateManualBadge adds a manual badge, as an admin's decision with an
// audit entry, in one transaction. Its slug comes from its name; a slug
// already taken (by any badge, or reserved) is reported on the name field
// and nothing is written. Two admins creating the same badge at once get
// one badge and one "taken" answer: the unique slug decides.
func CreateManualBadge(ctx context.Context, db *gorm.DB, admin *User, in NewBadge) (*Badge, error) {
	if !admin.HasRole(RoleAdmin) {
		return nil, ErrForbidden
	}
	v := &ValidationError{}
	name := validateText(v, "name", in.Name, BadgeNameMax)
	desc := validateText(v, "description", in.Description, BadgeDescMax)
	if !validTier(in.Tier) {
		v.Add("tier", "error.invalid", nil)
	}
	slug := BadgeSlug(name)
	if v.Field("name") == nil && in.Reserved != nil && in.Reserved(slug) {
		v.Add("name", "error.badge_name_taken", nil)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	b := &Badge{Slug: slug, Name: name, Description: desc, Tier: in.Tier, Kind: BadgeManual,
		CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "slug"}}, DoNothing: true}).Create(b)
		if res.Error != nil {
			return fmt.Errorf("create badge %s: %w", slug, res.Error)
		}
		if res.RowsAffected == 0 {
			taken := &ValidationError{}
			taken.Add("name", "error.badge_name_taken", nil)
			return taken
		}
		return Audit(tx, &admin.ID, "badge.create", nil, fmt.Sprintf("%s: %s (%s)", slug, name, in.Tier))
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// A time-limited grant lasts until the end of a UTC day, at most
// BadgeUntilMaxYears ahead: far enough for any "Summit guest 2027", near
// enough that a typo (20270) is caught.
const BadgeUntilMaxYears = 5

// BadgeUntil reads the optional last day of a grant (YYYY-MM-DD, UTC) and
// returns when the award expires: the start of the next day. "" is a grant
// for ever (nil). The day must come after today and at most
// BadgeUntilMaxYears from now; a problem is added to v under field.
func BadgeUntil(v *ValidationError, field, s string, now time.Time) *time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	day, err := time.Parse("2006-01-02", s)
	today := utcDate(now)
	switch {
	case err != nil:
		v.Add(field, "error.until_format", nil)
	case !day.After(today):
		v.Add(field, "error.date_past", nil)
	case day.After(today.AddDate(BadgeUntilMaxYears, 0, 0)):
		v.Add(field, "error.until_too_far", map[string]any{"Count": BadgeUntilMaxYears})
	default:
		end := day.AddDate(0, 0, 1)
		return &end
	}
	return nil
}

func utcDate(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// checkBadgeExpiry is the model's own check of an expiry, whoever computed
// it: in the future and within BadgeUntilMaxYears (and a day).
func checkBadgeExpiry(v *ValidationError, exp *time.Time, now time.Time) {
	switch {
	case exp == nil:
	case !exp.After(now):
		v.Add("until", "error.date_past", nil)
	case exp.After(utcDate(now).AddDate(BadgeUntilMaxYears, 0, 1)):
		v.Add("until", "error.until_too_far", map[string]any{"Count": BadgeUntilMaxYears})
	}
}

// liveAward is the condition that keeps an award shown: never expiring,
// or not yet expired. Expired awards stay in user_badges (and their grant
// in the audit log); they are only no longer shown or counted.
const liveAward = "(ub.expires_at IS NULL OR ub.expires_at > ?)"

// LastDay is the last day a time-limited award is shown (UTC), or the zero
// time for an award without end.
func (h *BadgeHolder) LastDay() time.Time {
	if h.ExpiresAt == nil {
		return time.Time{}
	}
	return h.ExpiresAt.UTC().Add(-time.Nanosecond)
}

// manualAwardKey picks the award key of a new grant of badge b to user
// inside tx, or "" when the user holds the badge now. The first grant is
// "manual"; a grant after the previous one expired is "manual:<id of the
// latest award>", so the expired row stays while the unique award key
// still lets only one of two concurrent re-grants through.
func manualAwardKey(tx *gorm.DB, userID, badgeID int64, now time.Time) (string, error) {
	var rows []struct {
		ID        int64
		ExpiresAt *time.Time
	}
	err := tx.Table("user_badges ub").Select("ub.id, ub.expires_at").
		Where("ub.user_id = ? AND ub.badge_id = ? AND (ub.award_key = ? OR ub.award_key LIKE ?)", userID, badgeID, AwardManual, AwardManual+":%").
		Order("ub.id DESC").Scan(&rows).Error
	if err != nil {
		return "", fmt.Errorf("awards of badge %d: %w", badgeID, err)
	}
	for _, r := range rows {
		if r.ExpiresAt == nil || r.ExpiresAt.After(now) {
			return "", nil
		}
	}
	if len(rows) == 0 {
		return AwardManual, nil
	}
	return fmt.Sprintf("%s:%d", AwardManual, rows[0].ID), nil
}

// ContributorMaxLimit bounds an export; ContributorDefaultLimit is the
// form's default.
const (
	ContributorDefaultLimit = 100
	ContributorMaxLimit     = 1000
)

// ContributorQuery chooses the contributors of a period.
type ContributorQuery struct {
	From, To time.Time // the period [From, To)
	Audience string    // member or staff (employees), as on the leaderboards
	BoardID  int64     // 0: every board
	// IncludeStaffRoles keeps moderators and admins in (the leaderboards
	// leave them out unless asked to).
	IncludeStaffRoles bool
	Limit             int
}

// Validate reports a query no export can answer.
func (q ContributorQuery) Validate() error {
	switch {
	case q.From.IsZero() || q.To.IsZero() || !q.From.Before(q.To):
		return errors.New("the period must start before it ends")
	case !ValidAudience(q.Audience):
		return errors.New("unknown audience")
	case q.Limit < 1 || q.Limit > ContributorMaxLimit:
		return fmt.Errorf("limit must be from 1 to %d", ContributorMaxLimit)
	}
	return nil
}

// Contributor is one row of the export.
type Contributor struct {
	Place       int
	UserID      int64
	Handle      string
	DisplayName string
	Email       string
	Roles       []Role `gorm:"-"`
	Points      int64
	Answers     int64 `gorm:"-"`
	Accepted    int64 `gorm:"-"`
}

// TopContributors returns the users of an audience who earned the most
// points in [From, To), most first, at most Limit, each with the answers
// they wrote in the period (live, on live questions of other people) and
// how many of those are accepted; on one board when BoardID is set (the
// ledger row's board, the answer's question's board). Equal points share
// a place (1, 2, 2, 4).
//
// Points are the sum of the ledger rows written in the period, as the
// ledger records them: a kudos withdrawn after the period still counts in
// it, and its withdrawal counts where it happened. (The leaderboards move
// an undo back to its award's period; that needs the award of every undo,
// which without an index on reverses_id means reading the ledger after the
// period too.) The sum is one range scan of point_events_created, grouped
// by user; answers and roles are read for the chosen users only: three
// statements whatever the limit.
func TopContributors(ctx context.Context, db *gorm.DB, q ContributorQuery) ([]Contributor, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	db = db.WithContext(ctx)
	from, to := q.From.UTC(), q.To.UTC()
	board, args := "", []any{from, to}
	if q.BoardID != 0 {
		board = " AND e.board_id = ?"
		args = append(args, q.BoardID)
	}
	audience := "EXISTS"
	if q.Audience == AudienceMember {
		audience = "NOT EXISTS"
	}
	staff := ""
	if !q.IncludeStaffRoles {
		staff = ` AND NOT EXISTS (SELECT 1 FROM user_roles m WHERE m.user_id = t.user_id AND m.role IN ('moderator', 'admin'))`
	}
	sql := `SELECT t.user_id, t.points, u.handle, u.display_name, u.email
		FROM (SELECT e.user_id, SUM(e.points) AS points FROM point_events e
			WHERE e.created_at >= ? AND e.created_at < ?` + board + `
			GROUP BY e.user_id HAVING SUM(e.points) > 0) t
		JOIN users u ON u.id = t.user_id
		WHERE ` + audience + ` (SELECT 1 FROM user_roles r WHERE r.user_id = t.user_id AND r.role = 'employee')` + staff + `
		ORDER BY t.points DESC, t.user_id
		LIMIT ?`
	var rows []Contributor
	if err := db.Raw(sql, append(args, q.Limit)...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("top contributors: %w", err)
	}
	if len(rows) == 0 {
		return rows, nil
	}
	ids := make([]int64, len(rows))
	for i := range rows {
		ids[i] = rows[i].UserID
		if i > 0 && rows[i].Points == rows[i-1].Points {
			rows[i].Place = rows[i-1].Place
		} else {
			rows[i].Place = i + 1
		}
	}
	counts, err := answerCounts(db, ids, from, to, q.BoardID)
	if err != nil {
		return nil, err
	}
	var roles []UserRole
	if err := db.Where("user_id IN ?", ids).Order("role").Find(&roles).Error; err != nil {
		return nil, fmt.Errorf("contributor roles: %w", err)
	}
	byUser := map[int64][]Role{}
	for _, r := range roles {
		byUser[r.UserID] = append(byUser[r.UserID], r.Role)
	}
	for i := range rows {
		c := counts[rows[i].UserID]
		rows[i].Answers, rows[i].Accepted, rows[i].Roles = c.Answers, c.Accepted, byUser[rows[i].UserID]
	}
	return rows, nil
}

// answerCount is one user's answers in a period.
type answerCount struct {
	UserID    int64
	Answers   int64
	Questions int64
	Accepted  int64
}

// countedAnswers selects the answers that count as help: live, on a live
// question asked by someone else (answering one's own question helps
// nobody; the badge rules count the same way), written in [from, to) (to
// zero: no end) by one of users.
func countedAnswers(db *gorm.DB, users []int64, from, to time.Time) *gorm.DB {
	q := db.Table("posts p").
		Joins("JOIN questions q ON q.id = p.question_id").
		Where("p.author_id IN ? AND p.kind = ? AND p.deleted_at IS NULL AND q.deleted_at IS NULL AND q.author_id <> p.author_id AND p.created_at >= ?",
			users, KindAnswer, from)
	if !to.IsZero() {
		q = q.Where("p.created_at < ?", to)
	}
	return q
}

// answerCounts counts the answers of users in a period, through
// posts_author_id (author_id, created_at).
func answerCounts(db *gorm.DB, users []int64, from, to time.Time, boardID int64) (map[int64]answerCount, error) {
	q := countedAnswers(db, users, from, to)
	if boardID != 0 {
		q = q.Where("q.board_id = ?", boardID)
	}
	var rows []answerCount
	err := q.Select(`p.author_id AS user_id, COUNT(*) AS answers, COUNT(DISTINCT p.question_id) AS questions,
		COALESCE(SUM(CASE WHEN q.accepted_answer_id = p.id THEN 1 ELSE 0 END), 0) AS accepted`).
		Group("p.author_id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("answer counts: %w", err)
	}
	out := make(map[int64]answerCount, len(rows))
	for _, r := range rows {
		out[r.UserID] = r
	}
	return out, nil
}

// How time given is estimated from an employee's answers: answers less
// than SessionGap apart belong to one sitting, and each sitting counts
// from its first answer to its last plus SessionCredit (the time it took
// to read the question and write the first answer). A single answer is
// SessionCredit. It is a floor, not a timesheet: reading without
// answering is not seen.
const (
	SessionGap    = 30 * time.Minute
	SessionCredit = 10 * time.Minute
)

// VolunteerStats is what one employee gave in a period.
type VolunteerStats struct {
	UserID      int64
	Handle      string
	DisplayName string
	// QuestionsAnswered counts distinct questions; Answers every answer.
	QuestionsAnswered int64
	Answers           int64
	Accepted          int64
	// Verified counts the answers the employee verified in the period.
	Verified  int64
	Sessions  int64
	TimeGiven time.Duration
	// StaffPoints are the employee's points on the period's staff
	// leaderboard (the aggregate the leaderboard job keeps).
	StaffPoints int64
}

// Name is what pages show for the employee.
func (v *VolunteerStats) Name() string {
	if v.DisplayName != "" {
		return v.DisplayName
	}
	return v.Handle
}

// EmployeePageSize is how many employees the volunteers page lists at once.
const EmployeePageSize = 100

// EmployeeVolunteers lists the employees (role employee) by handle, one
// page of limit after the handle after ("" for the first), with what each
// gave in the period holding now (week, month or all), and the handle to
// continue after ("" on the last page). The figures are read for the
// page's employees only, in a fixed number of statements, so a page costs
// the same however many employees and answers there are.
func EmployeeVolunteers(ctx context.Context, db *gorm.DB, period string, now time.Time, after string, limit int) ([]VolunteerStats, string, error) {
	if !ValidPeriod(period) {
		return nil, "", ErrNotFound
	}
	if limit <= 0 || limit > EmployeePageSize {
		limit = EmployeePageSize
	}
	db = db.WithContext(ctx)
	q := db.Table("users u").Select("u.id AS user_id, u.handle, u.display_name").
		Where("u.id IN (SELECT user_id FROM user_roles WHERE role = ?)", RoleEmployee)
	if after != "" {
		if !utf8.ValidString(after) || len(after) > 40 {
			return nil, "", ErrBadCursor
		}
		q = q.Where("LOWER(u.handle) > ?", strings.ToLower(after))
	}
	var rows []VolunteerStats
	if err := q.Order("LOWER(u.handle)").Limit(limit + 1).Scan(&rows).Error; err != nil {
		return nil, "", fmt.Errorf("employees: %w", err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[len(rows)-1].Handle
	}
	if err := fillVolunteerStats(db, rows, period, now); err != nil {
		return nil, "", err
	}
	return rows, next, nil
}

// VolunteerPeriods is what one employee gave this week, this month and in
// all, in that order.
func VolunteerPeriods(ctx context.Context, db *gorm.DB, u *User, now time.Time) ([]VolunteerStats, error) {
	db = db.WithContext(ctx)
	var out []VolunteerStats
	for _, p := range []string{PeriodWeek, PeriodMonth, PeriodAll} {
		rows := []VolunteerStats{{UserID: u.ID, Handle: u.Handle, DisplayName: u.DisplayName}}
		if err := fillVolunteerStats(db, rows, p, now); err != nil {
			return nil, err
		}
		out = append(out, rows[0])
	}
	return out, nil
}

// fillVolunteerStats adds the period's figures to rows.
func fillVolunteerStats(db *gorm.DB, rows []VolunteerStats, period string, now time.Time) error {
	if len(rows) == 0 {
		return nil
	}
	start := PeriodStart(period, now)
	ids := make([]int64, len(rows))
	for i := range rows {
		ids[i] = rows[i].UserID
	}
	counts, err := answerCounts(db, ids, start, time.Time{}, 0)
	if err != nil {
		return err
	}
	var verified []struct {
		UserID int64
		N      int64
	}
	if err := db.Raw(`SELECT verified_by AS user_id, COUNT(*) AS n FROM posts
		WHERE verified_by IN ? AND verified_at >= ? AND deleted_at IS NULL GROUP BY verified_by`, ids, start).
		Scan(&verified).Error; err != nil {
		return fmt.Errorf("verified answers: %w", err)
	}
	sessions, err := timeGiven(db, ids, start)
	if err != nil {
		return err
	}
	var points []struct {
		UserID int64
		Points int64
	}
	if err := db.Raw(`SELECT user_id, points FROM leaderboard_scores
		WHERE period = ? AND period_start = ? AND board_id = 0 AND audience = ? AND user_id IN ?`,
		period, start.Unix(), AudienceStaff, ids).Scan(&points).Error; err != nil {
		return fmt.Errorf("staff points: %w", err)
	}
	byUser := make(map[int64]*VolunteerStats, len(rows))
	for i := range rows {
		r := &rows[i]
		byUser[r.UserID] = r
		c := counts[r.UserID]
		r.Answers, r.QuestionsAnswered, r.Accepted = c.Answers, c.Questions, c.Accepted
		s := sessions[r.UserID]
		r.Sessions, r.TimeGiven = s.Sessions, time.Duration(s.Seconds)*time.Second+time.Duration(s.Sessions)*SessionCredit
	}
	for _, v := range verified {
		byUser[v.UserID].Verified = v.N
	}
	for _, p := range points {
		byUser[p.UserID].StaffPoints = p.Points
	}
	return nil
}

// sessionSpan is one user's sittings: how many, and their spans summed.
type sessionSpan struct {
	UserID   int64
	Sessions int64
	Seconds  int64
}

// epochSeconds is the SQL for the whole Unix seconds of a timestamp
// column; integers keep the gap test exact (a float from julianday would
// put a gap of exactly SessionGap a few microseconds over it).
func epochSeconds(d Dialect, col string) string {
	if d == Postgres {
		return "CAST(FLOOR(EXTRACT(EPOCH FROM " + col + ")) AS BIGINT)"
	}
	return "CAST(strftime('%s', " + col + ") AS INTEGER)"
}

// timeGiven groups the counted answers of users since from into sittings
// in the database, with window functions: an answer more than SessionGap
// after the previous one starts a sitting, a running sum of those starts
// numbers the sittings, and each sitting's span is its last answer minus
// its first. Ties on time are ordered by id in both windows, so the
// numbering is stable.
func timeGiven(db *gorm.DB, users []int64, from time.Time) (map[int64]sessionSpan, error) {
	answers := countedAnswers(db, users, from, time.Time{}).
		Select("p.author_id, p.id, " + epochSeconds(DialectOf(db), "p.created_at") + " AS t")
	var rows []sessionSpan
	err := db.Raw(`SELECT author_id AS user_id, COUNT(*) AS sessions, SUM(last_t - first_t) AS seconds
		FROM (SELECT author_id, session, MIN(t) AS first_t, MAX(t) AS last_t
			FROM (SELECT author_id, t, SUM(starts) OVER (PARTITION BY author_id ORDER BY t, id ROWS UNBOUNDED PRECEDING) AS session
				FROM (SELECT a.author_id, a.id, a.t,
						CASE WHEN a.t - LAG(a.t) OVER (PARTITION BY a.author_id ORDER BY a.t, a.id) <= ? THEN 0 ELSE 1 END AS starts
					FROM (?) a) g) s
			GROUP BY author_id, session) x
		GROUP BY author_id`, int64(SessionGap/time.Second), answers).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("time given: %w", err)
	}
	out := make(map[int64]sessionSpan, len(rows))
	for _, r := range rows {
		out[r.UserID] = r
	}
	return out, nil
}
