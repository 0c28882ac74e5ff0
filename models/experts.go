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
	"gorm.io/gorm/clause"
)

// Expert statuses. The expert role is held exactly while status is active.
const (
	ExpertActive  = "active"
	ExpertPaused  = "paused"
	ExpertRemoved = "removed"
)

// Application statuses.
const (
	AppPending   = "pending"
	AppApproved  = "approved"
	AppDeclined  = "declined"
	AppWithdrawn = "withdrawn"
)

// Bounds of what people write in the program's forms.
const (
	StatementMin   = 20
	StatementMax   = 2000
	DecisionMax    = 1000
	GuidelinesMax  = 20000
	MaxExpertBoard = 20
	TierNameMax    = 40
)

// Settings of the program (the settings table).
const (
	SettingApplyMinRank     = "experts.apply_min_rank"
	SettingRoutePerQuestion = "experts.route_per_question"
	SettingRouteMaxOpen     = "experts.route_max_open"
	SettingRouteExpireHours = "experts.route_expire_hours"
	settingGuidelinesMD     = "experts.guidelines_md"
	settingGuidelinesHTML   = "experts.guidelines_html"
)

func init() {
	settingDefaults[SettingRoutePerQuestion] = 3
	settingDefaults[SettingRouteMaxOpen] = 5
	settingDefaults[SettingRouteExpireHours] = 48
}

// ExpertTier is a level of the program (Expert, Champion, ...).
type ExpertTier struct {
	ID          int64
	Name        string
	Position    int
	Description string
	CreatedAt   time.Time
}

// Expert is a person's place in the program.
type Expert struct {
	UserID    int64 `gorm:"primaryKey"`
	TierID    int64
	Status    string
	Reason    string
	Since     time.Time
	UpdatedAt time.Time
}

// ExpertBoard is a board an expert answers in.
type ExpertBoard struct {
	UserID  int64 `gorm:"primaryKey"`
	BoardID int64 `gorm:"primaryKey"`
}

// ExpertApplication is an application, or a nomination by staff when
// NominatedBy is set.
type ExpertApplication struct {
	ID           int64
	UserID       int64
	NominatedBy  *int64
	Statement    string
	Status       string
	TierID       *int64
	DecidedBy    *int64
	DecisionNote string
	// GuidelinesAcceptedAt is when the person accepted the guidelines; a
	// nomination waits for it before it can be approved.
	GuidelinesAcceptedAt *time.Time
	CreatedAt            time.Time
	DecidedAt            *time.Time
}

// ExpertApplicationBoard is a board an applicant says they know.
type ExpertApplicationBoard struct {
	ApplicationID int64 `gorm:"primaryKey"`
	BoardID       int64 `gorm:"primaryKey"`
}

// ExpertTiers lists the tiers in order.
func ExpertTiers(ctx context.Context, db *gorm.DB) ([]ExpertTier, error) {
	var ts []ExpertTier
	err := db.WithContext(ctx).Order("position, id").Find(&ts).Error
	return ts, err
}

// Program is the program's settings as its pages show them.
type Program struct {
	MinRank          *Rank // nil: anyone may apply
	Tiers            []ExpertTier
	GuidelinesMD     string
	GuidelinesHTML   string
	RoutePerQuestion int
	RouteMaxOpen     int
	RouteExpireHours int
}

func settingText(db *gorm.DB, name string) (string, error) {
	var rows []Setting
	if err := db.Where("name = ?", name).Limit(1).Find(&rows).Error; err != nil {
		return "", fmt.Errorf("read setting %s: %w", name, err)
	}
	if len(rows) == 0 {
		return "", nil
	}
	return rows[0].Value, nil
}

func saveSettingText(tx *gorm.DB, name, value string, now time.Time) error {
	return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"})}).
		Create(&Setting{Name: name, Value: value, UpdatedAt: now}).Error
}

// LoadProgram reads the program's settings and tiers.
func LoadProgram(ctx context.Context, db *gorm.DB) (*Program, error) {
	db = db.WithContext(ctx)
	p := &Program{}
	var err error
	if p.Tiers, err = ExpertTiers(ctx, db); err != nil {
		return nil, err
	}
	if p.GuidelinesMD, err = settingText(db, settingGuidelinesMD); err != nil {
		return nil, err
	}
	if p.GuidelinesHTML, err = settingText(db, settingGuidelinesHTML); err != nil {
		return nil, err
	}
	rankID, err := SettingInt(db, SettingApplyMinRank)
	if err != nil {
		return nil, err
	}
	if rankID > 0 {
		var rs []Rank
		if err := db.Where("id = ?", rankID).Limit(1).Find(&rs).Error; err != nil {
			return nil, err
		}
		if len(rs) == 1 {
			p.MinRank = &rs[0]
		}
	}
	for name, dst := range map[string]*int{SettingRoutePerQuestion: &p.RoutePerQuestion,
		SettingRouteMaxOpen: &p.RouteMaxOpen, SettingRouteExpireHours: &p.RouteExpireHours} {
		if *dst, err = SettingInt(db, name); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// ProgramInput is the admin's program settings form.
type ProgramInput struct {
	MinRankID        int64 // 0: anyone
	GuidelinesMD     string
	RoutePerQuestion string
	RouteMaxOpen     string
	RouteExpireHours string
}

// UpdateProgram saves the program settings; one bad value saves nothing.
func UpdateProgram(ctx context.Context, db *gorm.DB, admin *User, in ProgramInput) error {
	if !admin.HasRole(RoleAdmin) {
		return ErrForbidden
	}
	v := &ValidationError{}
	md := validateNote(v, "guidelines", in.GuidelinesMD, false, GuidelinesMax)
	per := parseBounded(v, "route_per_question", in.RoutePerQuestion, 0, 20)
	open := parseBounded(v, "route_max_open", in.RouteMaxOpen, 1, 100)
	expire := parseBounded(v, "route_expire_hours", in.RouteExpireHours, 1, 24*30)
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if in.MinRankID != 0 {
			var n int64
			if err := tx.Model(&Rank{}).Where("id = ?", in.MinRankID).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				v.Add("min_rank", "error.invalid", nil)
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		html := ""
		if md != "" {
			var err error
			if html, err = RenderMarkdown(md); err != nil {
				return err
			}
		}
		now := time.Now().UTC()
		for _, kv := range [][2]string{{settingGuidelinesMD, md}, {settingGuidelinesHTML, html},
			{SettingApplyMinRank, strconv.FormatInt(in.MinRankID, 10)}, {SettingRoutePerQuestion, strconv.Itoa(per)},
			{SettingRouteMaxOpen, strconv.Itoa(open)}, {SettingRouteExpireHours, strconv.Itoa(expire)}} {
			if err := saveSettingText(tx, kv[0], kv[1], now); err != nil {
				return fmt.Errorf("save %s: %w", kv[0], err)
			}
		}
		return Audit(tx, &admin.ID, "experts.settings", nil, fmt.Sprintf("min rank #%d, routing %d per question, %d open, %d h; guidelines %d characters",
			in.MinRankID, per, open, expire, len([]rune(md))))
	})
}

// SaveTier creates (id 0) or renames a tier.
func SaveTier(ctx context.Context, db *gorm.DB, admin *User, id int64, name, description string) error {
	if !admin.HasRole(RoleAdmin) {
		return ErrForbidden
	}
	v := &ValidationError{}
	name = validateNote(v, "tier_name", name, true, TierNameMax)
	description = validateNote(v, "tier_description", description, false, 500)
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&ExpertTier{}).Where("LOWER(name) = ? AND id <> ?", strings.ToLower(name), id).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			v.Add("tier_name", "experts.error.tier_taken", nil)
		}
		if err := v.Err(); err != nil {
			return err
		}
		t := ExpertTier{ID: id, Name: name, Description: description}
		if id == 0 {
			var maxPos int
			if err := tx.Model(&ExpertTier{}).Select("COALESCE(MAX(position), 0)").Scan(&maxPos).Error; err != nil {
				return err
			}
			t.Position, t.CreatedAt = maxPos+1, time.Now().UTC()
			if err := tx.Create(&t).Error; err != nil {
				return err
			}
			return Audit(tx, &admin.ID, "experts.tier_create", nil, name)
		}
		res := tx.Model(&ExpertTier{}).Where("id = ?", id).Updates(map[string]any{"name": name, "description": description})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return Audit(tx, &admin.ID, "experts.tier_update", nil, name)
	})
}

// ExpertOf returns u's program row, or nil when they never joined.
func ExpertOf(ctx context.Context, db *gorm.DB, userID int64) (*Expert, error) {
	var es []Expert
	if err := db.WithContext(ctx).Where("user_id = ?", userID).Limit(1).Find(&es).Error; err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, nil
	}
	return &es[0], nil
}

// PendingApplicationOf returns u's pending application, or nil.
func PendingApplicationOf(ctx context.Context, db *gorm.DB, userID int64) (*ExpertApplication, error) {
	var as []ExpertApplication
	if err := db.WithContext(ctx).Where("user_id = ? AND status = ?", userID, AppPending).Limit(1).Find(&as).Error; err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, nil
	}
	return &as[0], nil
}

// Eligibility says whether a user may apply, and if not, why (an i18n
// message id).
type Eligibility struct {
	CanApply bool
	Reason   string
	Pending  *ExpertApplication
	Expert   *Expert
}

// ApplyEligibility decides whether u may apply now.
func ApplyEligibility(ctx context.Context, db *gorm.DB, u *User, p *Program) (*Eligibility, error) {
	e := &Eligibility{}
	if u == nil {
		e.Reason = "experts.why.signin"
		return e, nil
	}
	var err error
	if e.Expert, err = ExpertOf(ctx, db, u.ID); err != nil {
		return nil, err
	}
	if e.Pending, err = PendingApplicationOf(ctx, db, u.ID); err != nil {
		return nil, err
	}
	var points int
	if err := db.WithContext(ctx).Table("users").Select("points").Where("id = ?", u.ID).Scan(&points).Error; err != nil {
		return nil, err
	}
	switch {
	case u.Suspended(time.Now()):
		e.Reason = "experts.why.suspended"
	case e.Expert != nil && e.Expert.Status == ExpertActive, u.HasRole(RoleExpert):
		e.Reason = "experts.why.already"
	case e.Expert != nil && e.Expert.Status == ExpertPaused:
		e.Reason = "experts.why.paused"
	case e.Pending != nil:
		e.Reason = "experts.why.pending"
	case p.MinRank != nil && points < p.MinRank.Threshold:
		e.Reason = "experts.why.rank"
	default:
		e.CanApply = true
	}
	return e, nil
}

// ApplyInput is an application or a nomination: why, and which boards.
type ApplyInput struct {
	Statement string
	BoardIDs  []int64
	// AcceptGuidelines must be true for one's own application; a nominee
	// accepts later (AcceptNomination).
	AcceptGuidelines bool
}

// validateApply checks in against the boards applicant may see.
func validateApply(tx *gorm.DB, applicant *User, in ApplyInput) (string, []int64, error) {
	v := &ValidationError{}
	st := validateNote(v, "statement", in.Statement, true, StatementMax)
	if v.Field("statement") == nil && len([]rune(st)) < StatementMin {
		v.Add("statement", "error.too_short", map[string]any{"Min": StatementMin})
	}
	ids := slices.Compact(slices.Sorted(slices.Values(in.BoardIDs)))
	switch {
	case len(ids) == 0:
		v.Add("boards", "experts.error.boards_required", nil)
	case len(ids) > MaxExpertBoard:
		v.Add("boards", "experts.error.too_many_boards", map[string]any{"Max": MaxExpertBoard})
	default:
		var n int64
		if err := tx.Model(&Board{}).Where("id IN ? AND id IN (?)", ids, VisibleBoards(tx, applicant)).Count(&n).Error; err != nil {
			return "", nil, err
		}
		if int(n) != len(ids) {
			v.Add("boards", "error.board_unknown", nil)
		}
	}
	return st, ids, v.Err()
}

// ErrAlreadyExpert and ErrApplicationPending are the conflicts of applying
// or nominating: the person is in the program, or already waits for a
// decision.
var (
	ErrAlreadyExpert      = fmt.Errorf("already an expert: %w", ErrConflict)
	ErrApplicationPending = fmt.Errorf("an application is pending: %w", ErrConflict)
	ErrRankTooLow         = fmt.Errorf("rank too low to apply: %w", ErrForbidden)
)

// ApplyForExpert files u's application. It refuses (ErrConflict) a second
// pending application or an application by an expert, and (ErrForbidden)
// an applicant below the program's minimum rank.
func ApplyForExpert(ctx context.Context, db *gorm.DB, u *User, in ApplyInput) (*ExpertApplication, error) {
	p, err := LoadProgram(ctx, db)
	if err != nil {
		return nil, err
	}
	el, err := ApplyEligibility(ctx, db, u, p)
	if err != nil {
		return nil, err
	}
	switch el.Reason {
	case "":
	case "experts.why.suspended":
		return nil, ErrSuspended
	case "experts.why.rank":
		return nil, ErrRankTooLow
	case "experts.why.pending":
		return nil, ErrApplicationPending
	default:
		return nil, ErrAlreadyExpert
	}
	if !in.AcceptGuidelines {
		v := &ValidationError{}
		v.Add("accept", "experts.error.accept_guidelines", nil)
		// Report the other fields too, so one round trip fixes all.
		if _, _, err := validateApply(db.WithContext(ctx), u, in); err != nil {
			if ve, ok := err.(*ValidationError); ok {
				v.Fields = append(v.Fields, ve.Fields...)
			} else {
				return nil, err
			}
		}
		return nil, v
	}
	return fileApplication(ctx, db, u, nil, in)
}

// NominateExpert files a nomination of user userID by staff: the same
// queue as applications, whatever the user's rank.
func NominateExpert(ctx context.Context, db *gorm.DB, staff *User, userID int64, in ApplyInput) (*ExpertApplication, error) {
	if !staff.IsStaff() {
		return nil, ErrForbidden
	}
	target, err := UserByID(ctx, db, userID)
	if err != nil {
		return nil, err
	}
	if target.ID == staff.ID {
		return nil, ErrForbidden
	}
	ex, err := ExpertOf(ctx, db, userID)
	if err != nil {
		return nil, err
	}
	if target.HasRole(RoleExpert) || (ex != nil && ex.Status != ExpertRemoved) {
		return nil, ErrAlreadyExpert
	}
	return fileApplication(ctx, db, target, &staff.ID, in)
}

func fileApplication(ctx context.Context, db *gorm.DB, applicant *User, nominator *int64, in ApplyInput) (*ExpertApplication, error) {
	var app *ExpertApplication
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		st, ids, err := validateApply(tx, applicant, in)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&ExpertApplication{}).Where("user_id = ? AND status = ?", applicant.ID, AppPending).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrApplicationPending
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		app = &ExpertApplication{UserID: applicant.ID, NominatedBy: nominator, Statement: st, Status: AppPending, CreatedAt: now}
		if nominator == nil {
			app.GuidelinesAcceptedAt = &now
		}
		if err := tx.Create(app).Error; err != nil {
			if isUniqueViolation(err) {
				// A double click raced the check: the pending index decides.
				return ErrApplicationPending
			}
			return fmt.Errorf("file application: %w", err)
		}
		for _, b := range ids {
			if err := tx.Create(&ExpertApplicationBoard{ApplicationID: app.ID, BoardID: b}).Error; err != nil {
				return err
			}
		}
		action, detail := "experts.apply", st
		if nominator != nil {
			action = "experts.nominate"
			if _, err := Notify(tx, Notification{UserID: applicant.ID, Kind: NotifyExpertNominated, ActorID: nominator,
				URL: "/experts", DedupKey: "expert-app:" + strconv.FormatInt(app.ID, 10) + ":nominated"}); err != nil {
				return err
			}
		}
		return Audit(tx, actorOr(nominator, applicant.ID), action, &applicant.ID, fmt.Sprintf("application #%d: %s", app.ID, detail))
	})
	if err != nil {
		return nil, err
	}
	return app, nil
}

func actorOr(id *int64, fallback int64) *int64 {
	if id != nil {
		return id
	}
	return &fallback
}

// AcceptNomination records that the nominee accepted the guidelines, so
// their nomination can be approved.
func AcceptNomination(ctx context.Context, db *gorm.DB, u *User, id int64) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var app ExpertApplication
		if err := tx.Where("id = ? AND user_id = ? AND status = ?", id, u.ID, AppPending).Take(&app).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if app.GuidelinesAcceptedAt != nil {
			return nil // accepted already (a double click, or one's own application)
		}
		if err := tx.Model(&ExpertApplication{}).Where("id = ? AND guidelines_accepted_at IS NULL", id).
			Update("guidelines_accepted_at", time.Now().UTC().Truncate(time.Microsecond)).Error; err != nil {
			return err
		}
		return Audit(tx, &u.ID, "experts.accept_guidelines", &u.ID, fmt.Sprintf("application #%d", id))
	})
}

// WithdrawApplication lets an applicant take back their pending application.
func WithdrawApplication(ctx context.Context, db *gorm.DB, u *User, id int64) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&ExpertApplication{}).Where("id = ? AND user_id = ? AND status = ?", id, u.ID, AppPending).
			Updates(map[string]any{"status": AppWithdrawn, "decided_at": time.Now().UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return Audit(tx, &u.ID, "experts.withdraw", &u.ID, fmt.Sprintf("application #%d", id))
	})
}

// DecisionInput is an admin's decision on an application.
type DecisionInput struct {
	Approve bool
	TierID  int64
	Note    string
}

// ErrNotPending is deciding an application that was already decided;
// ErrGuidelinesNotAccepted approving a nomination whose nominee has not
// accepted the guidelines yet.
var (
	ErrNotPending            = fmt.Errorf("application is not pending: %w", ErrConflict)
	ErrGuidelinesNotAccepted = fmt.Errorf("guidelines not accepted yet: %w", ErrConflict)
)

// DecideApplication approves or declines a pending application, as an
// admin. Approval puts the person in the program (active, in the chosen
// tier, answering in the boards of the application), grants the expert
// role and the Expert badge. Both write an audit entry and notify the
// person, in one transaction.
func DecideApplication(ctx context.Context, db *gorm.DB, admin *User, id int64, in DecisionInput) error {
	if !admin.HasRole(RoleAdmin) {
		return ErrForbidden
	}
	v := &ValidationError{}
	note := validateNote(v, "note", in.Note, !in.Approve, DecisionMax)
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var app ExpertApplication
		if err := tx.First(&app, id).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if app.Status != AppPending {
			return ErrNotPending
		}
		if in.Approve && app.GuidelinesAcceptedAt == nil {
			return ErrGuidelinesNotAccepted
		}
		var tier ExpertTier
		if in.Approve {
			if err := tx.Where("id = ?", in.TierID).Take(&tier).Error; errors.Is(err, gorm.ErrRecordNotFound) {
				v.Add("tier", "error.invalid", nil)
			} else if err != nil {
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		status, kind := AppDeclined, NotifyExpertDeclined
		if in.Approve {
			status, kind = AppApproved, NotifyExpertApproved
		}
		upd := map[string]any{"status": status, "decided_by": admin.ID, "decided_at": now, "decision_note": note}
		if in.Approve {
			upd["tier_id"] = tier.ID
		}
		res := tx.Model(&ExpertApplication{}).Where("id = ? AND status = ?", id, AppPending).Updates(upd)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotPending
		}
		target := app.UserID
		detail := fmt.Sprintf("application #%d declined: %s", id, note)
		if in.Approve {
			var boards []int64
			if err := tx.Model(&ExpertApplicationBoard{}).Where("application_id = ?", id).Pluck("board_id", &boards).Error; err != nil {
				return err
			}
			if err := enrollExpert(tx, admin, target, tier.ID, boards, now); err != nil {
				return err
			}
			detail = fmt.Sprintf("application #%d approved as %s: %s", id, tier.Name, note)
		}
		if err := Audit(tx, &admin.ID, "experts.decide", &target, detail); err != nil {
			return err
		}
		_, err := Notify(tx, Notification{UserID: target, Kind: kind, ActorID: &admin.ID, Detail: notifyDetail(tier.Name, note),
			URL: "/experts", DedupKey: "expert-app:" + strconv.FormatInt(id, 10) + ":" + status})
		return err
	})
}

// notifyDetail joins a tier name and a note for a notification's detail.
func notifyDetail(tier, note string) string {
	switch {
	case tier == "":
		return note
	case note == "":
		return tier
	default:
		return tier + " — " + note
	}
}

// enrollExpert makes userID an active expert of tier tierID answering in
// boards: the program row, the boards, the role and the badge.
func enrollExpert(tx *gorm.DB, admin *User, userID, tierID int64, boards []int64, now time.Time) error {
	ex := Expert{UserID: userID, TierID: tierID, Status: ExpertActive, Since: now, UpdatedAt: now}
	if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "user_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"tier_id", "status", "reason", "since", "updated_at"})}).Create(&ex).Error; err != nil {
		return fmt.Errorf("enrol expert: %w", err)
	}
	if err := replaceExpertBoards(tx, userID, boards); err != nil {
		return err
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&UserRole{UserID: userID, Role: RoleExpert, CreatedAt: now}).Error; err != nil {
		return fmt.Errorf("grant expert role: %w", err)
	}
	return grantExpertBadge(tx, admin, userID, now)
}

func replaceExpertBoards(tx *gorm.DB, userID int64, boards []int64) error {
	if err := tx.Where("user_id = ?", userID).Delete(&ExpertBoard{}).Error; err != nil {
		return err
	}
	for _, b := range boards {
		if err := tx.Create(&ExpertBoard{UserID: userID, BoardID: b}).Error; err != nil {
			return fmt.Errorf("expert board: %w", err)
		}
	}
	return nil
}

// expertBadgeSlug is the manual badge every expert holds.
const expertBadgeSlug = "expert"

func grantExpertBadge(tx *gorm.DB, admin *User, userID int64, now time.Time) error {
	var b Badge
	if err := tx.Where("slug = ?", expertBadgeSlug).Take(&b).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		return nil // an installation that deleted the badge still runs its program
	} else if err != nil {
		return err
	}
	// The same key rule as an admin's grant: none while a live award
	// exists, a new one after an earlier award expired.
	key, err := manualAwardKey(tx, userID, b.ID, now)
	if err != nil || key == "" {
		return err
	}
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&UserBadge{UserID: userID, BadgeID: b.ID, AwardKey: key,
		Reason: "Joined the expert program", GrantedBy: &admin.ID, CreatedAt: now}).Error
}

// ExpertAction is a change an admin makes to an expert.
type ExpertAction string

// The actions on an expert.
const (
	ActionPause  ExpertAction = "pause"
	ActionResume ExpertAction = "resume"
	ActionRemove ExpertAction = "remove"
)

// ChangeExpert pauses, resumes or removes an expert, with a reason, an
// audit entry and a notification. Pausing and removing take the expert
// role away (and with it the experts-only boards); removing also takes the
// Expert badge; resuming gives the role back.
func ChangeExpert(ctx context.Context, db *gorm.DB, admin *User, userID int64, action ExpertAction, reason string) error {
	if !admin.HasRole(RoleAdmin) {
		return ErrForbidden
	}
	v := &ValidationError{}
	reason = validateNote(v, "reason", reason, action != ActionResume, DecisionMax)
	var from, to, kind string
	switch action {
	case ActionPause:
		from, to, kind = ExpertActive, ExpertPaused, NotifyExpertPaused
	case ActionResume:
		from, to, kind = ExpertPaused, ExpertActive, NotifyExpertResumed
	case ActionRemove:
		to, kind = ExpertRemoved, NotifyExpertRemoved
	default:
		v.Add("action", "error.invalid", nil)
	}
	if err := v.Err(); err != nil {
		return err
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ex Expert
		if err := tx.Where("user_id = ?", userID).Take(&ex).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if (from != "" && ex.Status != from) || ex.Status == ExpertRemoved {
			return fmt.Errorf("expert is %s: %w", ex.Status, ErrConflict)
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		if err := tx.Model(&Expert{}).Where("user_id = ?", userID).
			Updates(map[string]any{"status": to, "reason": reason, "updated_at": now}).Error; err != nil {
			return err
		}
		if to == ExpertActive {
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&UserRole{UserID: userID, Role: RoleExpert, CreatedAt: now}).Error; err != nil {
				return err
			}
		} else if err := tx.Where("user_id = ? AND role = ?", userID, RoleExpert).Delete(&UserRole{}).Error; err != nil {
			return err
		}
		if to != ExpertActive {
			// A paused or removed expert is offered nothing more.
			if err := tx.Model(&QuestionRoute{}).Where("expert_id = ? AND closed_at IS NULL", userID).
				Updates(map[string]any{"closed_at": now, "close_reason": RouteClosedRemoved}).Error; err != nil {
				return err
			}
		}
		if to == ExpertRemoved {
			if err := tx.Where("user_id = ? AND (award_key = ? OR award_key LIKE ?) AND (expires_at IS NULL OR expires_at > ?) AND badge_id IN (?)",
				userID, AwardManual, AwardManual+":%", now,
				tx.Session(&gorm.Session{NewDB: true}).Model(&Badge{}).Select("id").Where("slug = ?", expertBadgeSlug)).
				Delete(&UserBadge{}).Error; err != nil {
				return err
			}
		}
		if err := Audit(tx, &admin.ID, "experts."+string(action), &userID, reason); err != nil {
			return err
		}
		_, err := Notify(tx, Notification{UserID: userID, Kind: kind, ActorID: &admin.ID, Detail: reason, URL: "/experts",
			DedupKey: fmt.Sprintf("expert:%s:%d", action, now.UnixMicro())})
		return err
	})
}

// SetExpertTier moves an active or paused expert to another tier.
func SetExpertTier(ctx context.Context, db *gorm.DB, admin *User, userID, tierID int64, reason string) error {
	if !admin.HasRole(RoleAdmin) {
		return ErrForbidden
	}
	v := &ValidationError{}
	reason = validateNote(v, "reason", reason, false, DecisionMax)
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ex Expert
		if err := tx.Where("user_id = ? AND status <> ?", userID, ExpertRemoved).Take(&ex).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		var tier ExpertTier
		if err := tx.Where("id = ?", tierID).Take(&tier).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			v.Add("tier", "error.invalid", nil)
		} else if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if ex.TierID == tierID {
			return nil
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		if err := tx.Model(&Expert{}).Where("user_id = ?", userID).Updates(map[string]any{"tier_id": tierID, "updated_at": now}).Error; err != nil {
			return err
		}
		if err := Audit(tx, &admin.ID, "experts.tier", &userID, notifyDetail(tier.Name, reason)); err != nil {
			return err
		}
		_, err := Notify(tx, Notification{UserID: userID, Kind: NotifyExpertTier, ActorID: &admin.ID, Detail: notifyDetail(tier.Name, reason),
			URL: "/experts", DedupKey: fmt.Sprintf("expert:tier:%d:%d", tierID, now.UnixMicro())})
		return err
	})
}

// SetExpertBoards replaces the boards an expert answers in.
func SetExpertBoards(ctx context.Context, db *gorm.DB, admin *User, userID int64, boards []int64) error {
	if !admin.HasRole(RoleAdmin) {
		return ErrForbidden
	}
	boards = slices.Compact(slices.Sorted(slices.Values(boards)))
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Expert{}).Where("user_id = ? AND status <> ?", userID, ExpertRemoved).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		v := &ValidationError{}
		if len(boards) > MaxExpertBoard {
			v.Add("boards", "experts.error.too_many_boards", map[string]any{"Max": MaxExpertBoard})
		} else if len(boards) > 0 {
			if err := tx.Model(&Board{}).Where("id IN ?", boards).Count(&n).Error; err != nil {
				return err
			}
			if int(n) != len(boards) {
				v.Add("boards", "error.board_unknown", nil)
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := replaceExpertBoards(tx, userID, boards); err != nil {
			return err
		}
		return Audit(tx, &admin.ID, "experts.boards", &userID, fmt.Sprintf("boards %v", boards))
	})
}

// Why a route was closed.
const (
	RouteClosedAnswered = "answered"
	RouteClosedExpired  = "expired"
	RouteClosedRemoved  = "removed"
)

// QuestionRoute is an unanswered question offered to an expert.
type QuestionRoute struct {
	ID          int64
	QuestionID  int64
	ExpertID    int64
	Score       int
	CreatedAt   time.Time
	ClosedAt    *time.Time
	CloseReason string
}
