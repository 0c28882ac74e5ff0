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

func handlesOf(us []*models.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Handle
	}
	return out
}

// TestSearchUsers: prefix search in any case, '_' taken literally,
// newest first, keyset pages on id, roles loaded.
func TestSearchUsers(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		for _, h := range []string{"anna", "Anil", "a_b", "axb", "bob"} {
			newTestUser(t, db, h)
		}
		newTestUser(t, db, "ann_mod", models.RoleModerator, models.RoleExpert)
		cases := map[string][]string{
			"":     {"ann_mod", "bob", "axb", "a_b", "Anil", "anna"},
			"AN":   {"ann_mod", "Anil", "anna"},
			"a_":   {"a_b"},
			"ann_": {"ann_mod"},
			"a%":   nil,
			"zz":   nil,
			"a'b":  nil,
		}
		for prefix, want := range cases {
			us, next, err := models.SearchUsers(ctx, db, prefix, 0, 0)
			if err != nil {
				t.Fatal(prefix, err)
			}
			if got := handlesOf(us); len(got) != len(want) || (len(want) > 0 && !slices.Equal(got, want)) || next != 0 {
				t.Errorf("prefix %q: %v (next %d), want %v", prefix, got, next, want)
			}
		}
		us, _, _ := models.SearchUsers(ctx, db, "ann_", 0, 0)
		if len(us) != 1 || !us[0].HasRole(models.RoleModerator) || !us[0].HasRole(models.RoleExpert) {
			t.Errorf("roles not loaded: %+v", us)
		}
		var all []string
		var before int64
		for i := 0; i < 10; i++ {
			page, next, err := models.SearchUsers(ctx, db, "", before, 4)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, handlesOf(page)...)
			if next == 0 {
				break
			}
			before = next
		}
		if !slices.Equal(all, cases[""]) {
			t.Errorf("pages: %v", all)
		}
	})
}

// TestSystemSetRole: the command line grants and revokes with an audit
// entry that names no actor; doing what is done writes nothing.
func TestSystemSetRole(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		u := newTestUser(t, db, "alice")
		for i, step := range []struct {
			role    models.Role
			on      bool
			changed bool
		}{
			{models.RoleAdmin, true, true}, {models.RoleAdmin, true, false},
			{models.RoleAdmin, false, true}, {models.RoleAdmin, false, false},
		} {
			changed, err := models.SystemSetRole(ctx, db, u.ID, step.role, step.on)
			if err != nil || changed != step.changed {
				t.Fatalf("step %d: changed %v, %v", i, changed, err)
			}
		}
		log, err := models.AuditLog(ctx, db, u.ID, 0, 10)
		if err != nil || len(log) != 2 || log[0].Action != "role.revoke" || log[1].Action != "role.grant" || log[0].ActorID != nil || log[1].ActorID != nil {
			t.Fatalf("audit: %+v %v", log, err)
		}
		if _, err := models.SystemSetRole(ctx, db, u.ID+100, models.RoleAdmin, true); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown user: %v", err)
		}
		for _, r := range []models.Role{models.RoleMember, "overlord", ""} {
			var v *models.ValidationError
			if _, err := models.SystemSetRole(ctx, db, u.ID, r, true); !errors.As(err, &v) {
				t.Errorf("role %q: %v", r, err)
			}
		}
	})
}

// TestSuspendRules: moderators suspend members but not staff who oversee
// them; admins suspend anyone but themselves; suspension ends sessions,
// bars posting, and lifting it restores access; every step is audited.
func TestSuspendRules(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		admin := newTestUser(t, db, "ada", models.RoleAdmin)
		mod := newTestUser(t, db, "mona", models.RoleModerator)
		mod2 := newTestUser(t, db, "moe", models.RoleModerator)
		member := newTestUser(t, db, "mina")
		employee := newTestUser(t, db, "emil", models.RoleEmployee)
		expert := newTestUser(t, db, "ezra", models.RoleExpert)
		mustBoard(t, db, "printers", models.VisibilityPublic)
		until := time.Now().Add(time.Hour)
		for _, c := range []struct {
			actor, target *models.User
			ok            bool
		}{
			{mod, member, true}, {mod, employee, true}, {mod, expert, true},
			{mod, mod2, false}, {mod, admin, false}, {mod, mod, false},
			{admin, mod, true}, {admin, admin, false},
			{member, expert, false}, {employee, member, false}, {expert, member, false},
		} {
			if got := models.CanSuspend(c.actor, c.target); got != c.ok {
				t.Errorf("CanSuspend(%s, %s) = %v", c.actor.Handle, c.target.Handle, got)
			}
			err := models.Suspend(ctx, db, c.actor, c.target.ID, until, "test")
			if c.ok != (err == nil) || (!c.ok && !errors.Is(err, models.ErrForbidden)) {
				t.Errorf("Suspend by %s of %s: %v", c.actor.Handle, c.target.Handle, err)
			}
			if c.ok {
				if err := models.Suspend(ctx, db, c.actor, c.target.ID, time.Time{}, ""); err != nil {
					t.Fatal(err)
				}
			}
		}

		token, err := models.CreateSession(ctx, db, member.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := models.Suspend(ctx, db, mod, member.ID, until, "spam"); err != nil {
			t.Fatal(err)
		}
		if _, err := models.UserBySession(ctx, db, token); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("session of a suspended user still works: %v", err)
		}
		fresh, _ := models.CreateSession(ctx, db, member.ID)
		if _, err := models.UserBySession(ctx, db, fresh); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("fresh session of a suspended user works: %v", err)
		}
		stale, _ := models.UserByID(ctx, db, member.ID)
		if _, err := models.Ask(ctx, db, stale, models.AskInput{Board: "printers", Title: "Suspended user asks", Body: "b"}); !errors.Is(err, models.ErrSuspended) {
			t.Errorf("suspended user asked: %v", err)
		}
		if err := models.Suspend(ctx, db, mod, member.ID, time.Time{}, ""); err != nil {
			t.Fatal(err)
		}
		if u, err := models.UserBySession(ctx, db, fresh); err != nil || u.ID != member.ID {
			t.Errorf("after lifting: %v", err)
		}
		log, _ := models.AuditLog(ctx, db, member.ID, 0, 10)
		if len(log) != 4 || log[0].Action != "user.unsuspend" || log[1].Action != "user.suspend" {
			t.Errorf("audit of mina: %+v", log)
		}
	})
}
