package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crowdcare/crowdcare/models"
)

func regexpFind(t *testing.T, body, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no match for %s", pattern)
	}
	return m[1]
}

func auditCount(t *testing.T, ts *testServer) int64 {
	t.Helper()
	var n int64
	if err := ts.App.DB.Model(&models.AuditEntry{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func rolesOf(t *testing.T, ts *testServer, id int64) string {
	t.Helper()
	u, err := models.UserByID(context.Background(), ts.App.DB, id)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(u.Roles)
}

// TestAdminUserRoutesAuthorization walks every admin user route as every
// kind of user: visitors must sign in, members, experts, employees and
// product people are refused, moderators may find and suspend users but
// not change roles or read the whole audit log, admins may do everything.
// A refused request writes nothing.
func TestAdminUserRoutesAuthorization(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		target := mustTestUser(t, ts, "tina")
		uid := fmt.Sprint(target.ID)
		if err := ts.App.DB.Create(&models.Identity{UserID: target.ID, Provider: "github", ProviderUserID: "1234567890",
			Email: "tina@example.com", EmailVerified: true, CreatedAt: time.Now(), LastLoginAt: time.Now()}).Error; err != nil {
			t.Fatal(err)
		}
		type route struct {
			method, path string
			form         url.Values
			adminOnly    bool
		}
		routes := []route{
			{"GET", "/admin/users", nil, false},
			{"GET", "/admin/users?q=ti", nil, false},
			{"GET", "/admin/users/" + uid, nil, false},
			{"POST", "/admin/users/" + uid + "/suspend", url.Values{"action": {"suspend"}, "duration": {"1d"}, "reason": {"test"}}, false},
			{"POST", "/admin/users/" + uid + "/suspend", url.Values{"action": {"lift"}}, false},
			{"POST", "/admin/users/" + uid + "/roles", url.Values{"role": {"expert"}, "action": {"grant"}}, true},
			{"POST", "/admin/users/" + uid + "/roles", url.Values{"role": {"expert"}, "action": {"revoke"}}, true},
			{"GET", "/admin/audit", nil, true},
			{"GET", "/admin/audit?user=" + uid, nil, true},
		}
		for _, v := range viewers {
			c := ts.client()
			isAdmin, isMod := false, false
			if v.handle != "" {
				var roles []models.Role
				for _, r := range v.roles {
					roles = append(roles, models.Role(r))
					isAdmin = isAdmin || r == "admin"
					isMod = isMod || r == "moderator"
				}
				c.signInAs(v.handle, roles...)
			}
			for _, rt := range routes {
				want := http.StatusForbidden
				switch {
				case v.handle == "":
					want = http.StatusUnauthorized
				case isAdmin || (isMod && !rt.adminOnly):
					want = http.StatusOK
					if rt.method == "POST" {
						want = http.StatusSeeOther
					}
				}
				before, roles := auditCount(t, ts), rolesOf(t, ts, target.ID)
				var r response
				if rt.method == "GET" {
					r = c.get(rt.path)
				} else {
					form := url.Values{}
					for k, vs := range rt.form {
						form[k] = vs
					}
					r = c.post(rt.path, form)
				}
				if r.Status != want {
					t.Errorf("%s %s %s: status %d, want %d", v.name, rt.method, rt.path, r.Status, want)
				}
				if want >= 400 && (auditCount(t, ts) != before || rolesOf(t, ts, target.ID) != roles) {
					t.Errorf("%s %s %s: refused but wrote something", v.name, rt.method, rt.path)
				}
				if rt.method == "POST" && want < 400 && auditCount(t, ts) != before+1 {
					t.Errorf("%s %s %s: %d audit entries written, want 1", v.name, rt.method, rt.path, auditCount(t, ts)-before)
				}
				if rt.path == "/admin/users/"+uid && want == http.StatusOK {
					// Linked accounts (emails) are for admins only, and
					// never the provider's user id in full.
					shows := strings.Contains(r.Body, "tina@example.com")
					if shows != isAdmin {
						t.Errorf("%s sees tina's email: %v", v.name, shows)
					}
					mustNotContain(t, "user page", r.Body, "1234567890")
					if isAdmin {
						mustContain(t, "user page", r.Body, "…7890", `action="/admin/users/`+uid+`/roles"`)
					} else {
						mustNotContain(t, "moderator's user page", r.Body, "/roles", "/admin/audit")
					}
					mustContain(t, "user page", r.Body, `action="/admin/users/`+uid+`/suspend"`)
				}
			}
		}
		// The layout of the admin pages links the new pages.
		admin := ts.client()
		admin.signInAs("ada", models.RoleAdmin)
		mustContain(t, "admin boards", admin.get("/admin/boards").Body, `href="/admin/users"`, `href="/admin/audit"`)
	})
}

// TestAdminRolesAndAudit: granting and revoking write audit entries shown
// on /admin/audit and the user's page; bad input is refused with the
// right status and writes nothing; an admin cannot revoke their own admin
// role; the audit log and the user list page by keyset.
func TestAdminRolesAndAudit(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		admin := ts.client()
		ada := admin.signInAs("ada", models.RoleAdmin)
		tina := mustTestUser(t, ts, "tina")
		tpath := fmt.Sprintf("/admin/users/%d", tina.ID)

		r := admin.post(tpath+"/roles", url.Values{"role": {"expert"}, "action": {"grant"}})
		mustStatus(t, r, http.StatusSeeOther)
		if rolesOf(t, ts, tina.ID) != "[expert]" {
			t.Fatalf("tina's roles: %s", rolesOf(t, ts, tina.ID))
		}
		mustContain(t, "user page after grant", admin.get(r.Location).Body, "The change is saved.", `name="action" value="revoke"`)
		// Granting what is granted changes nothing and writes nothing.
		n := auditCount(t, ts)
		mustStatus(t, admin.post(tpath+"/roles", url.Values{"role": {"expert"}, "action": {"grant"}}), http.StatusSeeOther)
		mustStatus(t, admin.post(tpath+"/roles", url.Values{"role": {"moderator"}, "action": {"grant"}}), http.StatusSeeOther)
		mustStatus(t, admin.post(tpath+"/roles", url.Values{"role": {"expert"}, "action": {"revoke"}}), http.StatusSeeOther)
		if rolesOf(t, ts, tina.ID) != "[moderator]" || auditCount(t, ts) != n+2 {
			t.Errorf("roles %s, %d new audit entries", rolesOf(t, ts, tina.ID), auditCount(t, ts)-n)
		}

		n = auditCount(t, ts)
		for _, c := range []struct {
			path string
			form url.Values
			want int
		}{
			{tpath + "/roles", url.Values{"role": {"overlord"}, "action": {"grant"}}, http.StatusUnprocessableEntity},
			{tpath + "/roles", url.Values{"role": {"member"}, "action": {"grant"}}, http.StatusUnprocessableEntity},
			{tpath + "/roles", url.Values{"role": {""}, "action": {"grant"}}, http.StatusUnprocessableEntity},
			{tpath + "/roles", url.Values{"role": {"expert"}, "action": {"promote"}}, http.StatusUnprocessableEntity},
			{tpath + "/roles", url.Values{"role": {"expert"}}, http.StatusUnprocessableEntity},
			{"/admin/users/999999/roles", url.Values{"role": {"expert"}, "action": {"grant"}}, http.StatusNotFound},
			{"/admin/users/abc/roles", url.Values{"role": {"expert"}, "action": {"grant"}}, http.StatusNotFound},
			{fmt.Sprintf("/admin/users/%d/roles", ada.ID), url.Values{"role": {"admin"}, "action": {"revoke"}}, http.StatusForbidden},
		} {
			mustStatus(t, admin.post(c.path, c.form), c.want)
		}
		if auditCount(t, ts) != n || rolesOf(t, ts, ada.ID) != "[admin]" || rolesOf(t, ts, tina.ID) != "[moderator]" {
			t.Errorf("refused changes wrote something: %d entries, ada %s, tina %s", auditCount(t, ts)-n, rolesOf(t, ts, ada.ID), rolesOf(t, ts, tina.ID))
		}
		// The admin's own page offers no way to revoke their admin role.
		mustContain(t, "own page", admin.get(fmt.Sprintf("/admin/users/%d", ada.ID)).Body, "You cannot revoke your own admin role.")
		mustStatus(t, admin.get("/admin/users/999999"), http.StatusNotFound)
		mustStatus(t, admin.get("/admin/users/0"), http.StatusNotFound)
		mustStatus(t, admin.get("/admin/audit?user=999999"), http.StatusNotFound)
		mustStatus(t, admin.get("/admin/audit?before=x"), http.StatusBadRequest)
		mustStatus(t, admin.get("/admin/users?before=-1"), http.StatusBadRequest)

		// Another admin may take ada's admin role away.
		other := ts.client()
		other.signInAs("otto", models.RoleAdmin)
		mustStatus(t, other.post(fmt.Sprintf("/admin/users/%d/roles", ada.ID), url.Values{"role": {"admin"}, "action": {"revoke"}}), http.StatusSeeOther)
		mustStatus(t, admin.get("/admin/audit"), http.StatusForbidden)

		r = other.get("/admin/audit")
		mustStatus(t, r, http.StatusOK)
		mustContain(t, "audit log", r.Body, "role.grant", "role.revoke", ">ada<", ">tina<", ">otto<", "<td>moderator</td>", "<td>expert</td>", "<td>admin</td>")
		if strings.Index(r.Body, "<td>admin</td>") > strings.Index(r.Body, "<td>expert</td>") {
			t.Error("audit log is not newest first")
		}
		r = other.get(tpath)
		mustContain(t, "tina's history", r.Body, "role.grant", "role.revoke", "<td>expert</td>")
		mustNotContain(t, "tina's history", r.Body, "<td>admin</td>")

		// Keyset pages: 60 more entries make two pages, each entry once.
		for i := 0; i < 60; i++ {
			if err := models.Audit(ts.App.DB, nil, "test.entry", &tina.ID, fmt.Sprintf("entry-%03d;", i)); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[string]int{}
		path := "/admin/audit"
		for page := 0; path != "" && page < 5; page++ {
			r = other.get(path)
			mustStatus(t, r, http.StatusOK)
			for _, m := range regexp.MustCompile(`entry-\d{3};`).FindAllString(r.Body, -1) {
				seen[m]++
			}
			path = ""
			if m := regexp.MustCompile(`href="(/admin/audit\?before=\d+)"`).FindStringSubmatch(r.Body); m != nil {
				path = m[1]
			}
		}
		if len(seen) != 60 {
			t.Errorf("paging the audit log showed %d of 60 entries", len(seen))
		}
		for e, k := range seen {
			if k != 1 {
				t.Errorf("%s shown %d times", e, k)
			}
		}

		// The user list: prefix search and keyset pages.
		for i := 0; i < models.UserPageSize+5; i++ {
			mustTestUser(t, ts, fmt.Sprintf("pager%02d", i))
		}
		r = other.get("/admin/users?q=PAGER")
		mustContain(t, "user list", r.Body, "pager54", "pager05", "before=")
		mustNotContain(t, "user list", r.Body, "pager04", ">tina<")
		next := strings.ReplaceAll(regexpFind(t, r.Body, `href="(/admin/users\?q=[^"]+)"`), "&amp;", "&")
		r = other.get(next)
		mustContain(t, "user list page 2", r.Body, "pager04", "pager00")
		mustNotContain(t, "user list page 2", r.Body, "pager05", `rel="next"`)
		mustContain(t, "user search", other.get("/admin/users?q=tin").Body, ">tina<", "Moderator")
	})
}

// TestSuspensionOverHTTP: a moderator suspends a member; the member's
// session ends at once, a fresh session does not work and they cannot
// post; bad input is refused and writes nothing; lifting the suspension
// restores access; each step is audited.
func TestSuspensionOverHTTP(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		if _, err := models.CreateBoard(ctx, ts.App.DB, models.BoardInput{Slug: "printers", Name: "Printers", Visibility: models.VisibilityPublic}); err != nil {
			t.Fatal(err)
		}
		mona := ts.client()
		mod := mona.signInAs("mona", models.RoleModerator)
		ada := mustTestUser(t, ts, "ada", models.RoleAdmin)
		tina := ts.client()
		tu := tina.signInAs("tina")
		mustAsk(t, tina, "printers", "Question before the suspension", "b", "")
		tpath := fmt.Sprintf("/admin/users/%d/suspend", tu.ID)

		n := auditCount(t, ts)
		for _, c := range []struct {
			path  string
			form  url.Values
			want  int
			error string
		}{
			{tpath, url.Values{"action": {"suspend"}, "duration": {"7d"}}, http.StatusUnprocessableEntity, "This is required."},
			{tpath, url.Values{"action": {"suspend"}, "duration": {"7d"}, "reason": {"   "}}, http.StatusUnprocessableEntity, "This is required."},
			{tpath, url.Values{"action": {"suspend"}, "duration": {"7d"}, "reason": {strings.Repeat("x", 501)}}, http.StatusUnprocessableEntity, "At most 500 characters."},
			{tpath, url.Values{"action": {"suspend"}, "duration": {"forever"}, "reason": {"spam"}}, http.StatusUnprocessableEntity, "This value is not valid."},
			{tpath, url.Values{"action": {"suspend"}, "duration": {"until"}, "until": {"2001-01-01"}, "reason": {"spam"}}, http.StatusUnprocessableEntity, "Choose a date in the future."},
			{tpath, url.Values{"action": {"suspend"}, "duration": {"until"}, "until": {"tomorrow"}, "reason": {"spam"}}, http.StatusUnprocessableEntity, "This value is not valid."},
			{tpath, url.Values{"action": {"suspend"}, "duration": {"until"}, "until": {"9999-01-01"}, "reason": {"spam"}}, http.StatusUnprocessableEntity, "This value is not valid."},
			{tpath, url.Values{"action": {"ban"}, "duration": {"7d"}, "reason": {"spam"}}, http.StatusUnprocessableEntity, ""},
			{"/admin/users/999999/suspend", url.Values{"action": {"suspend"}, "duration": {"7d"}, "reason": {"spam"}}, http.StatusNotFound, ""},
			{fmt.Sprintf("/admin/users/%d/suspend", ada.ID), url.Values{"action": {"suspend"}, "duration": {"7d"}, "reason": {"spam"}}, http.StatusForbidden, ""},
			{fmt.Sprintf("/admin/users/%d/suspend", mod.ID), url.Values{"action": {"suspend"}, "duration": {"7d"}, "reason": {"spam"}}, http.StatusForbidden, ""},
		} {
			r := mona.post(c.path, c.form)
			mustStatus(t, r, c.want)
			if c.error != "" {
				mustContain(t, "refused suspension", r.Body, c.error, `aria-invalid="true"`)
			}
		}
		if auditCount(t, ts) != n {
			t.Fatalf("refused suspensions wrote %d audit entries", auditCount(t, ts)-n)
		}
		mustStatus(t, tina.get("/settings"), http.StatusOK)

		until := time.Now().Add(72 * time.Hour).Format("2006-01-02")
		mustStatus(t, mona.post(tpath, url.Values{"action": {"suspend"}, "duration": {"until"}, "until": {until}, "reason": {"Posting fake support numbers"}}), http.StatusSeeOther)
		// The open session stops working at once.
		mustStatus(t, tina.get("/settings"), http.StatusUnauthorized)
		// A fresh session made directly in the database does not work
		// either: not to read, not to post.
		fresh, err := models.CreateSession(ctx, ts.App.DB, tu.ID)
		if err != nil {
			t.Fatal(err)
		}
		tina.setSession(fresh)
		mustStatus(t, tina.get("/settings"), http.StatusUnauthorized)
		form := url.Values{"board": {"printers"}, "title": {"Question while suspended"}, "body": {"b"}, "csrf_token": {tina.token()}}
		tina.setSession(fresh) // the refused request above cleared the cookie
		mustStatus(t, tina.postRaw("/ask", form), http.StatusUnauthorized)
		var qs int64
		ts.App.DB.Model(&models.Question{}).Where("author_id = ?", tu.ID).Count(&qs)
		if qs != 1 {
			t.Errorf("suspended user has %d questions, want 1", qs)
		}
		// What the model says when a suspended user posts: 403.
		stale, _ := models.UserByID(ctx, ts.App.DB, tu.ID)
		if _, err := models.Ask(ctx, ts.App.DB, stale, models.AskInput{Board: "printers", Title: "Question while suspended", Body: "b"}); err != models.ErrSuspended {
			t.Errorf("Ask by a suspended user: %v", err)
		}
		page := mona.get(fmt.Sprintf("/admin/users/%d", tu.ID))
		mustContain(t, "suspended user's page", page.Body, "Suspended until", "Posting fake support numbers", "Lift suspension")
		mustContain(t, "user list", mona.get("/admin/users?q=tina").Body, "Suspended")

		mustStatus(t, mona.post(tpath, url.Values{"action": {"lift"}}), http.StatusSeeOther)
		tina.setSession(fresh)
		mustStatus(t, tina.get("/settings"), http.StatusOK)
		mustAsk(t, tina, "printers", "Question after the suspension", "b", "")

		log, _ := models.AuditLog(ctx, ts.App.DB, tu.ID, 0, 10)
		if len(log) != 2 || log[0].Action != "user.unsuspend" || log[1].Action != "user.suspend" ||
			log[1].ActorID == nil || *log[1].ActorID != mod.ID || !strings.Contains(log[1].Detail, "Posting fake support numbers") {
			t.Errorf("audit: %+v", log)
		}
	})
}
