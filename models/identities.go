package models

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Errors of the sign-in rules.
var (
	ErrSuspended     = errors.New("account suspended")
	ErrIdentityTaken = errors.New("that external account is linked to another user")
	ErrSignupExpired = errors.New("sign-up expired")
)

// Identity links an external account (provider, provider user id) to a user.
type Identity struct {
	ID             int64
	UserID         int64
	Provider       string
	ProviderUserID string
	Email          string
	EmailVerified  bool
	Nickname       string
	CreatedAt      time.Time
	LastLoginAt    time.Time
}

// PendingSignup is a first sign-in waiting for the person to confirm.
type PendingSignup struct {
	TokenHash      string `gorm:"primaryKey"`
	Provider       string
	ProviderUserID string
	Email          string
	EmailVerified  bool
	Nickname       string
	DisplayName    string
	AvatarURL      string
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// AuditEntry records an administrative decision.
type AuditEntry struct {
	ID           int64
	ActorID      *int64
	Action       string
	TargetUserID *int64
	Detail       string
	CreatedAt    time.Time
}

// TableName maps AuditEntry to audit_log.
func (AuditEntry) TableName() string { return "audit_log" }

// ExternalProfile is what a sign-in provider tells us about a person.
type ExternalProfile struct {
	Provider      string
	UserID        string
	Email         string
	EmailVerified bool
	Nickname      string
	Name          string
	AvatarURL     string
}

// AccessPolicy grants roles from verified email addresses.
type AccessPolicy struct {
	// EmployeeDomains are company email domains, e.g. "example.com".
	EmployeeDomains []string
	// AdminEmails are the addresses of the first administrators.
	AdminEmails []string
}

// RolesFor returns the roles a verified email earns. An unverified email
// earns nothing: anyone can type any address at some providers.
func (p AccessPolicy) RolesFor(email string, verified bool) []Role {
	email = strings.ToLower(strings.TrimSpace(email))
	at := strings.LastIndexByte(email, '@')
	if !verified || at <= 0 || at == len(email)-1 {
		return nil
	}
	var out []Role
	domain := email[at+1:]
	for _, d := range p.EmployeeDomains {
		if strings.EqualFold(strings.TrimPrefix(strings.TrimSpace(d), "@"), domain) {
			out = append(out, RoleEmployee)
			break
		}
	}
	for _, a := range p.AdminEmails {
		if strings.EqualFold(strings.TrimSpace(a), email) {
			out = append(out, RoleAdmin)
			break
		}
	}
	return out
}

// PendingSignupTTL is how long a first sign-in may wait for confirmation.
const PendingSignupTTL = 30 * time.Minute

// SignInExternal signs in the person behind an external account. A known
// identity returns its user; an unknown one starts a pending sign-up and
// returns its token, and no account exists until CompleteSignup. Accounts
// are never matched by email.
func SignInExternal(ctx context.Context, db *gorm.DB, prof ExternalProfile, policy AccessPolicy) (*User, string, error) {
	if prof.Provider == "" || prof.UserID == "" {
		return nil, "", errors.New("external profile without provider or user id")
	}
	now := time.Now().UTC()
	var id Identity
	err := db.WithContext(ctx).Where("provider = ? AND provider_user_id = ?", prof.Provider, prof.UserID).First(&id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		token, err := createPendingSignup(ctx, db, prof, now)
		return nil, token, err
	}
	if err != nil {
		return nil, "", err
	}
	u, err := UserByID(ctx, db, id.UserID)
	if err != nil {
		return nil, "", err
	}
	if u.Suspended(now) {
		return nil, "", ErrSuspended
	}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&Identity{}).Where("id = ?", id.ID).Updates(map[string]any{
			"email": trimTo(prof.Email, 254), "email_verified": prof.EmailVerified, "last_login_at": now,
		}).Error; err != nil {
			return err
		}
		return applyPolicy(tx, u, prof, policy)
	})
	if err != nil {
		return nil, "", err
	}
	return u, "", nil
}

func trimTo(s string, n int) string {
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

func createPendingSignup(ctx context.Context, db *gorm.DB, prof ExternalProfile, now time.Time) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	p := PendingSignup{TokenHash: hashToken(token), Provider: prof.Provider, ProviderUserID: prof.UserID,
		Email: trimTo(prof.Email, 254), EmailVerified: prof.EmailVerified, Nickname: trimTo(prof.Nickname, 100),
		DisplayName: trimTo(prof.Name, 100), AvatarURL: safeAvatar(prof.AvatarURL), CreatedAt: now, ExpiresAt: now.Add(PendingSignupTTL)}
	if err := db.WithContext(ctx).Create(&p).Error; err != nil {
		return "", fmt.Errorf("create pending sign-up: %w", err)
	}
	return token, nil
}

// safeAvatar keeps only https avatar URLs of sane length.
func safeAvatar(u string) string {
	if strings.HasPrefix(u, "https://") && len(u) <= 500 && !strings.ContainsAny(u, " \"'<>\\") {
		return u
	}
	return ""
}

// PendingSignupByToken returns a live pending sign-up.
func PendingSignupByToken(ctx context.Context, db *gorm.DB, token string) (*PendingSignup, error) {
	var p PendingSignup
	err := db.WithContext(ctx).Where("token_hash = ? AND expires_at > ?", hashToken(token), time.Now().UTC()).First(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrSignupExpired
	}
	return &p, err
}

var handleJunk = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// SuggestHandle derives a free handle from what the provider told us.
func SuggestHandle(ctx context.Context, db *gorm.DB, p *PendingSignup) (string, error) {
	base := ""
	for _, c := range []string{p.Nickname, p.DisplayName, strings.Split(p.Email, "@")[0]} {
		c = strings.Trim(handleJunk.ReplaceAllString(c, "-"), "-_")
		if len(c) >= 3 {
			base = c
			break
		}
	}
	if base == "" {
		base = "member"
	}
	if len(base) > 32 {
		base = strings.Trim(base[:32], "-_")
	}
	for i := 0; i < 50; i++ {
		h := base
		if i > 0 {
			h = base + "-" + strconv.Itoa(i+1)
		}
		if ValidateHandle(h) != nil {
			continue
		}
		var n int64
		if err := db.WithContext(ctx).Model(&User{}).Where("LOWER(handle) = ?", strings.ToLower(h)).Count(&n).Error; err != nil {
			return "", err
		}
		if n == 0 {
			return h, nil
		}
	}
	return "", nil
}

// SignupInput is what the person confirms on the sign-up page.
type SignupInput struct {
	Handle             string
	DisplayName        string
	AcceptedGuidelines bool
}

// CompleteSignup creates the account of a pending sign-up, links its
// identity and grants the roles its verified email earns, all in one
// transaction.
func CompleteSignup(ctx context.Context, db *gorm.DB, token string, in SignupInput, policy AccessPolicy) (*User, error) {
	p, err := PendingSignupByToken(ctx, db, token)
	if err != nil {
		return nil, err
	}
	v := &ValidationError{}
	in.Handle = strings.TrimSpace(in.Handle)
	in.DisplayName = strings.TrimSpace(cleanText(in.DisplayName))
	if err := ValidateHandle(in.Handle); err != nil {
		v.Add("handle", "error.handle_invalid", nil)
	}
	if !utf8.ValidString(in.DisplayName) {
		v.Add("display_name", "error.invalid", nil)
	} else if in.DisplayName == "" {
		v.Add("display_name", "error.required", nil)
	} else if utf8.RuneCountInString(in.DisplayName) > 80 {
		v.Add("display_name", "error.too_long", map[string]any{"Max": 80})
	}
	if !in.AcceptedGuidelines {
		v.Add("guidelines", "error.guidelines_required", nil)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	u := &User{Handle: in.Handle, DisplayName: in.DisplayName, Email: p.Email, EmailVerified: p.EmailVerified,
		AvatarURL: p.AvatarURL, GuidelinesAcceptedAt: &now}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Deleting the pending row first makes a double submit lose cleanly.
		res := tx.Where("token_hash = ?", p.TokenHash).Delete(&PendingSignup{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrSignupExpired
		}
		var n int64
		if err := tx.Model(&User{}).Where("LOWER(handle) = ?", strings.ToLower(u.Handle)).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			v.Add("handle", "error.handle_taken", nil)
			return v
		}
		if err := tx.Model(&Identity{}).Where("provider = ? AND provider_user_id = ?", p.Provider, p.ProviderUserID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrIdentityTaken
		}
		if err := tx.Create(u).Error; err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		id := Identity{UserID: u.ID, Provider: p.Provider, ProviderUserID: p.ProviderUserID, Email: p.Email,
			EmailVerified: p.EmailVerified, Nickname: p.Nickname, CreatedAt: now, LastLoginAt: now}
		if err := tx.Create(&id).Error; err != nil {
			return fmt.Errorf("link identity: %w", err)
		}
		return applyPolicy(tx, u, ExternalProfile{Email: p.Email, EmailVerified: p.EmailVerified}, policy)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// applyPolicy grants u the roles its verified email earns that it lacks,
// each with an audit entry. It never revokes: that is an admin's decision.
func applyPolicy(tx *gorm.DB, u *User, prof ExternalProfile, policy AccessPolicy) error {
	for _, r := range policy.RolesFor(prof.Email, prof.EmailVerified) {
		if u.HasRole(r) {
			continue
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&UserRole{UserID: u.ID, Role: r, CreatedAt: time.Now().UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			continue
		}
		u.Roles = append(u.Roles, r)
		if err := Audit(tx, nil, "role.grant", &u.ID, fmt.Sprintf("%s (verified email %s)", r, prof.Email)); err != nil {
			return err
		}
	}
	return nil
}

// LinkIdentity attaches another external account to a signed-in user. An
// account already linked to someone else is refused, never moved.
func LinkIdentity(ctx context.Context, db *gorm.DB, u *User, prof ExternalProfile, policy AccessPolicy) error {
	now := time.Now().UTC()
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var existing Identity
		err := tx.Where("provider = ? AND provider_user_id = ?", prof.Provider, prof.UserID).First(&existing).Error
		if err == nil {
			if existing.UserID == u.ID {
				return nil
			}
			return ErrIdentityTaken
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		id := Identity{UserID: u.ID, Provider: prof.Provider, ProviderUserID: prof.UserID, Email: trimTo(prof.Email, 254),
			EmailVerified: prof.EmailVerified, Nickname: trimTo(prof.Nickname, 100), CreatedAt: now, LastLoginAt: now}
		if err := tx.Create(&id).Error; err != nil {
			return fmt.Errorf("link identity: %w", err)
		}
		if err := Audit(tx, &u.ID, "identity.link", &u.ID, prof.Provider); err != nil {
			return err
		}
		return applyPolicy(tx, u, prof, policy)
	})
}

// IdentitiesOf lists the external accounts linked to a user.
func IdentitiesOf(ctx context.Context, db *gorm.DB, userID int64) ([]Identity, error) {
	var ids []Identity
	err := db.WithContext(ctx).Where("user_id = ?", userID).Order("provider, id").Find(&ids).Error
	return ids, err
}

// Audit writes an audit entry inside tx. actor nil means the system.
func Audit(tx *gorm.DB, actorID *int64, action string, targetUserID *int64, detail string) error {
	return tx.Create(&AuditEntry{ActorID: actorID, Action: action, TargetUserID: targetUserID,
		Detail: trimTo(detail, 2000), CreatedAt: time.Now().UTC()}).Error
}

// SetRole grants (on) or revokes (off) a role as an admin decision, with an
// audit entry. Doing what is already done is a no-op without an entry.
func SetRole(ctx context.Context, db *gorm.DB, actor *User, userID int64, r Role, on bool) error {
	valid := false
	for _, k := range AllRoles {
		valid = valid || k == r
	}
	if !valid {
		v := &ValidationError{}
		v.Add("role", "error.invalid", nil)
		return v
	}
	if !actor.HasRole(RoleAdmin) {
		return ErrForbidden
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&User{}).Where("id = ?", userID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		if on {
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&UserRole{UserID: userID, Role: r, CreatedAt: time.Now().UTC()})
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			return Audit(tx, &actor.ID, "role.grant", &userID, string(r))
		}
		if r == RoleAdmin && actor.ID == userID {
			// An admin cannot lock everyone out by revoking their own role.
			return ErrForbidden
		}
		res := tx.Where("user_id = ? AND role = ?", userID, r).Delete(&UserRole{})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return Audit(tx, &actor.ID, "role.revoke", &userID, string(r))
	})
}

// Suspend bars a user from signing in and posting until the given time and
// ends their sessions. A zero until lifts a suspension.
func Suspend(ctx context.Context, db *gorm.DB, actor *User, userID int64, until time.Time, reason string) error {
	if !actor.CanModerate() {
		return ErrForbidden
	}
	if actor.ID == userID {
		return ErrForbidden
	}
	reason = strings.TrimSpace(cleanText(reason))
	if !until.IsZero() && (reason == "" || utf8.RuneCountInString(reason) > 500 || !utf8.ValidString(reason)) {
		v := &ValidationError{}
		v.Add("reason", "error.required", nil)
		return v
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return suspendTx(tx, actor, userID, until, reason)
	})
}

// suspendTx is Suspend inside tx, with reason already checked (a
// moderation action shares it).
func suspendTx(tx *gorm.DB, actor *User, userID int64, until time.Time, reason string) error {
	ctx := tx.Statement.Context
	var u User
	if err := tx.First(&u, userID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		return err
	}
	if err := loadRoles(ctx, tx, &u); err != nil {
		return err
	}
	if !CanSuspend(actor, &u) {
		return ErrForbidden
	}
	if until.IsZero() {
		if err := tx.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{"suspended_until": nil, "suspend_reason": ""}).Error; err != nil {
			return err
		}
		return Audit(tx, &actor.ID, "user.unsuspend", &userID, "")
	}
	if err := tx.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{"suspended_until": until.UTC(), "suspend_reason": reason}).Error; err != nil {
		return err
	}
	if err := tx.Where("user_id = ?", userID).Delete(&Session{}).Error; err != nil {
		return err
	}
	return Audit(tx, &actor.ID, "user.suspend", &userID, fmt.Sprintf("until %s: %s", until.UTC().Format(time.RFC3339), reason))
}

// AuditView is an audit entry with names for display.
type AuditView struct {
	AuditEntry
	ActorHandle  string
	TargetHandle string
}

// AuditLog lists entries newest first, before the entry id `before` (0 for
// the newest), at most limit; targetUserID filters when non-zero.
func AuditLog(ctx context.Context, db *gorm.DB, targetUserID, before int64, limit int) ([]AuditView, error) {
	q := db.WithContext(ctx).Table("audit_log a").
		Select("a.*, au.handle AS actor_handle, tu.handle AS target_handle").
		Joins("LEFT JOIN users au ON au.id = a.actor_id").
		Joins("LEFT JOIN users tu ON tu.id = a.target_user_id")
	if targetUserID != 0 {
		q = q.Where("a.target_user_id = ?", targetUserID)
	}
	if before > 0 {
		q = q.Where("a.id < ?", before)
	}
	var out []AuditView
	err := q.Order("a.id DESC").Limit(limit).Scan(&out).Error
	return out, err
}

// DeleteExpiredSignups removes pending sign-ups nobody confirmed.
func DeleteExpiredSignups(ctx context.Context, db *gorm.DB, now time.Time) (int64, error) {
	res := db.WithContext(ctx).Where("expires_at <= ?", now).Delete(&PendingSignup{})
	return res.RowsAffected, res.Error
}
