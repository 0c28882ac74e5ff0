package models_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

func TestRolesFor(t *testing.T) {
	p := models.AccessPolicy{EmployeeDomains: []string{"example.com", "@Corp.Example"}, AdminEmails: []string{"Boss@Example.com"}}
	cases := []struct {
		email    string
		verified bool
		want     []models.Role
	}{
		{"emil@example.com", true, []models.Role{models.RoleEmployee}},
		{"EMIL@EXAMPLE.COM ", true, []models.Role{models.RoleEmployee}},
		{"ana@corp.example", true, []models.Role{models.RoleEmployee}},
		{"boss@example.com", true, []models.Role{models.RoleEmployee, models.RoleAdmin}},
		// Unverified addresses earn nothing, not even the admin one.
		{"emil@example.com", false, nil},
		{"boss@example.com", false, nil},
		// A look-alike domain is another domain.
		{"emil@sub.example.com", true, nil},
		{"emil@example.com.evil.org", true, nil},
		{"emil@notexample.com", true, nil},
		{"example.com", true, nil},
		{"@example.com", true, nil},
		{"emil@", true, nil},
		{"", true, nil},
	}
	for _, tc := range cases {
		if got := p.RolesFor(tc.email, tc.verified); !slices.Equal(got, tc.want) {
			t.Errorf("RolesFor(%q, %v) = %v, want %v", tc.email, tc.verified, got, tc.want)
		}
	}
	if got := (models.AccessPolicy{}).RolesFor("emil@example.com", true); got != nil {
		t.Errorf("an empty policy grants %v", got)
	}
}

func rowCount(t *testing.T, db *gorm.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSignInAndLinkRules covers the identity rules: a first sign-in only
// starts a sign-up; confirming it makes the account, links the identity and
// grants what the verified email earns; the next sign-in finds the same
// user; accounts are never matched by email; an identity linked to one user
// cannot be linked to another; suspended users cannot sign in.
func TestSignInAndLinkRules(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		policy := models.AccessPolicy{EmployeeDomains: []string{"example.com"}}
		// An existing member with the same verified email as the newcomer.
		owner := &models.User{Handle: "asha", Email: "asha@example.com", EmailVerified: true}
		if err := models.CreateUser(ctx, db, owner); err != nil {
			t.Fatal(err)
		}
		prof := models.ExternalProfile{Provider: "oidc", UserID: "sub-1", Email: "asha@example.com", EmailVerified: true,
			Nickname: "asha", Name: "Asha Rao", AvatarURL: "http://insecure.example/a.png"}
		u, token, err := models.SignInExternal(ctx, db, prof, policy)
		if err != nil || u != nil || token == "" {
			t.Fatalf("first sign-in: user %v, token %q, err %v; want a pending sign-up", u, token, err)
		}
		if n := rowCount(t, db, "users"); n != 1 {
			t.Fatalf("a first sign-in created a user (%d users)", n)
		}
		p, err := models.PendingSignupByToken(ctx, db, token)
		if err != nil || p.AvatarURL != "" {
			t.Fatalf("pending sign-up %+v, %v; want the http avatar dropped", p, err)
		}
		if h, err := models.SuggestHandle(ctx, db, p); err != nil || h != "asha-2" {
			t.Errorf("suggested handle %q, %v; want asha-2", h, err)
		}
		if _, err := models.CompleteSignup(ctx, db, token, models.SignupInput{Handle: "asha-2", DisplayName: "Asha"}, policy); err == nil {
			t.Fatal("sign-up without the guidelines accepted succeeded")
		}
		if _, err := models.CompleteSignup(ctx, db, token, models.SignupInput{Handle: "ASHA", DisplayName: "Asha", AcceptedGuidelines: true}, policy); err == nil {
			t.Fatal("sign-up with a taken handle succeeded")
		}
		nu, err := models.CompleteSignup(ctx, db, token, models.SignupInput{Handle: "asha-2", DisplayName: " Asha Rao ", AcceptedGuidelines: true}, policy)
		if err != nil {
			t.Fatal(err)
		}
		if nu.ID == owner.ID || nu.DisplayName != "Asha Rao" || !nu.HasRole(models.RoleEmployee) || nu.GuidelinesAcceptedAt == nil {
			t.Errorf("new user %+v", nu)
		}
		if _, err := models.CompleteSignup(ctx, db, token, models.SignupInput{Handle: "asha-3", DisplayName: "A", AcceptedGuidelines: true}, policy); !errors.Is(err, models.ErrSignupExpired) {
			t.Errorf("completing twice: %v, want ErrSignupExpired", err)
		}
		if ids, _ := models.IdentitiesOf(ctx, db, owner.ID); len(ids) != 0 {
			t.Errorf("the existing member with the same email got the identity: %+v", ids)
		}
		again, token, err := models.SignInExternal(ctx, db, prof, policy)
		if err != nil || again == nil || again.ID != nu.ID || token != "" {
			t.Fatalf("second sign-in: %v, %q, %v; want the same user", again, token, err)
		}
		if n := rowCount(t, db, "audit_log"); n != 1 {
			t.Errorf("%d audit entries, want 1 (employee granted once)", n)
		}

		// Linking: a second account to the same user, again (a no-op), and
		// to someone else (refused, nothing changes).
		work := models.ExternalProfile{Provider: "github", UserID: "42", Email: "asha@example.com"}
		if err := models.LinkIdentity(ctx, db, nu, work, policy); err != nil {
			t.Fatal(err)
		}
		if err := models.LinkIdentity(ctx, db, nu, work, policy); err != nil {
			t.Errorf("linking the same account twice: %v", err)
		}
		before := rowCount(t, db, "identities")
		if err := models.LinkIdentity(ctx, db, owner, work, policy); !errors.Is(err, models.ErrIdentityTaken) {
			t.Errorf("linking another user's account: %v, want ErrIdentityTaken", err)
		}
		if err := models.LinkIdentity(ctx, db, owner, prof, policy); !errors.Is(err, models.ErrIdentityTaken) {
			t.Errorf("linking another user's account: %v, want ErrIdentityTaken", err)
		}
		if after := rowCount(t, db, "identities"); after != before || after != 2 {
			t.Errorf("identities %d → %d, want 2 unchanged", before, after)
		}
		if linked, _, err := models.SignInExternal(ctx, db, work, policy); err != nil || linked == nil || linked.ID != nu.ID {
			t.Errorf("sign-in with the linked account: %v, %v", linked, err)
		}
		// An unverified employee-domain email links without a role.
		plain := &models.User{Handle: "omar"}
		if err := models.CreateUser(ctx, db, plain); err != nil {
			t.Fatal(err)
		}
		if err := models.LinkIdentity(ctx, db, plain, models.ExternalProfile{Provider: "github", UserID: "7", Email: "omar@example.com"}, policy); err != nil {
			t.Fatal(err)
		}
		if o, _ := models.UserByHandle(ctx, db, "omar"); o.HasRole(models.RoleEmployee) {
			t.Error("an unverified employee-domain email made an employee")
		}

		// Suspended users cannot sign in.
		mod := &models.User{Handle: "mona", Roles: []models.Role{models.RoleModerator}}
		if err := models.CreateUser(ctx, db, mod); err != nil {
			t.Fatal(err)
		}
		if err := models.Suspend(ctx, db, mod, nu.ID, time.Now().Add(time.Hour), "spam"); err != nil {
			t.Fatal(err)
		}
		if u, _, err := models.SignInExternal(ctx, db, prof, policy); !errors.Is(err, models.ErrSuspended) || u != nil {
			t.Errorf("suspended sign-in: %v, %v; want ErrSuspended", u, err)
		}
	})
}

// TestPendingSignupExpires: an abandoned sign-up cannot be completed and is
// cleaned away.
func TestPendingSignupExpires(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		_, token, err := models.SignInExternal(ctx, db, models.ExternalProfile{Provider: "oidc", UserID: "s"}, models.AccessPolicy{})
		if err != nil {
			t.Fatal(err)
		}
		db.Model(&models.PendingSignup{}).Where("1 = 1").Update("expires_at", time.Now().UTC().Add(-time.Minute))
		if _, err := models.CompleteSignup(ctx, db, token, models.SignupInput{Handle: "late", DisplayName: "Late", AcceptedGuidelines: true}, models.AccessPolicy{}); !errors.Is(err, models.ErrSignupExpired) {
			t.Errorf("expired sign-up: %v, want ErrSignupExpired", err)
		}
		if n, err := models.DeleteExpiredSignups(ctx, db, time.Now().UTC()); err != nil || n != 1 {
			t.Errorf("deleted %d, %v; want 1", n, err)
		}
		if n := rowCount(t, db, "users"); n != 0 {
			t.Errorf("%d users after an expired sign-up", n)
		}
	})
}
