package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crowdcare/crowdcare/models"
)

// signInAs signs this client in as handle by minting a session in the
// database and handing the browser its cookie, the way every sign-in ends.
// It works whatever sign-in the server offers (the development sign-in is
// off once a social provider is configured). The user is created, with
// roles, on first use.
func (c *client) signInAs(handle string, roles ...models.Role) *models.User {
	c.ts.t.Helper()
	u := mustTestUser(c.ts.t, c.ts, handle, roles...)
	token, err := models.CreateSession(context.Background(), c.ts.App.DB, u.ID)
	if err != nil {
		c.ts.t.Fatal(err)
	}
	c.setSession(token)
	return u
}

// setSession puts a session token into this client's cookie jar.
func (c *client) setSession(token string) {
	base, _ := url.Parse(c.ts.URL)
	c.http.Jar.SetCookies(base, []*http.Cookie{{Name: sessionCookie, Value: token, Path: "/"}})
}

// mustTestUser finds or creates a user directly in the database.
func mustTestUser(t *testing.T, ts *testServer, handle string, roles ...models.Role) *models.User {
	t.Helper()
	ctx := context.Background()
	u, err := models.UserByHandle(ctx, ts.App.DB, handle)
	if errors.Is(err, models.ErrNotFound) {
		u = &models.User{Handle: handle, Roles: roles}
		err = models.CreateUser(ctx, ts.App.DB, u)
	}
	if err != nil {
		t.Fatalf("user %s: %v", handle, err)
	}
	return u
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func mustNotContain(t *testing.T, what, body string, bads ...string) {
	t.Helper()
	for _, b := range bads {
		if strings.Contains(body, b) {
			t.Errorf("%s shows %q", what, b)
		}
	}
}

// TestProfilePage: a profile shows a user's public activity to everyone,
// private-board activity (titles, board names and counts) only to those
// who may read the board, pages each list on its own cursor, and authors'
// names link to it.
func TestProfilePage(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		db := ts.App.DB
		for _, b := range []models.BoardInput{
			{Slug: "printers", Name: "Printers", Visibility: models.VisibilityPublic},
			{Slug: "staff-room", Name: "Okapi staff room", Visibility: models.VisibilityStaff},
		} {
			if _, err := models.CreateBoard(ctx, db, b); err != nil {
				t.Fatal(err)
			}
		}
		asker, emil := ts.client(), ts.client()
		asker.signInAs("asha")
		emil.signInAs("emil", models.RoleEmployee)
		publicQ := mustAsk(t, asker, "printers", "Printer prints blank pages", "Since Monday.", "")
		mustAnswer(t, emil, publicQ, "Replace the toner cartridge.")
		mustAsk(t, emil, "printers", "Duplex unit rattles loudly", "On every page.", "")
		secretQ := mustAsk(t, emil, "staff-room", "Zebrafish recall plan", "Internal.", "")
		mustAnswer(t, emil, secretQ, "Narwhal internal answer.")
		secrets := []string{"Zebrafish", "Okapi staff room", "staff-room", fmt.Sprintf("/q/%d", secretQ)}

		visitor := ts.client()
		for _, c := range []struct {
			who    string
			cl     *client
			secret bool
		}{
			{"visitor", visitor, false},
			{"member", asker, false},
			{"expert", func() *client { c := ts.client(); c.signInAs("ezra", models.RoleExpert); return c }(), false},
			{"employee", emil, true},
		} {
			r := c.cl.get("/u/emil")
			mustStatus(t, r, http.StatusOK)
			mustContain(t, "emil's profile for "+c.who, r.Body, "@emil", "Employee", "Duplex unit rattles loudly",
				"Printer prints blank pages", fmt.Sprintf("/q/%d#post-", publicQ), `datetime="`)
			if c.secret {
				mustContain(t, "emil's profile for an employee", r.Body, append(secrets, "2 questions", "2 answers")...)
			} else {
				mustNotContain(t, "emil's profile for "+c.who, r.Body, secrets...)
				mustContain(t, "emil's profile for "+c.who, r.Body, "1 question", "1 answer")
			}
		}
		// Case does not matter; unknown or impossible handles are 404.
		mustStatus(t, visitor.get("/u/EMIL"), http.StatusOK)
		for _, p := range []string{"/u/nobody", "/u/a%20b", "/u/%FF%FE", "/u/x"} {
			mustStatus(t, visitor.get(p), http.StatusNotFound)
		}
		mustStatus(t, visitor.get("/u/emil?q_before=garbage"), http.StatusBadRequest)
		mustStatus(t, visitor.get("/u/emil?a_before=MTc6MQ%3D"), http.StatusBadRequest)

		// Authors' names link to their profiles.
		mustContain(t, "question page", visitor.get(fmt.Sprintf("/q/%d", publicQ)).Body, `href="/u/asha"`, `href="/u/emil"`)
		mustContain(t, "latest list", visitor.get("/").Body, `href="/u/asha"`)

		// More questions than a page: the next page holds the rest.
		for i := 0; i < models.ProfilePageSize; i++ {
			if _, err := models.Ask(ctx, db, &models.User{ID: mustTestUser(t, ts, "asha").ID, Handle: "asha"}, models.AskInput{Board: "printers",
				Title: fmt.Sprintf("Paging question number %02d", i), Body: "b", CreatedAt: time.Now().Add(time.Duration(i-100) * time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		r := visitor.get("/u/asha")
		mustContain(t, "asha's first page", r.Body, "Printer prints blank pages", "21 questions", "Paging question number 19", "q_before=")
		mustNotContain(t, "asha's first page", r.Body, "Paging question number 00")
		next := regexpFind(t, r.Body, `href="(/u/asha\?q_before=[^"#]+)`)
		r = visitor.get(strings.ReplaceAll(next, "&amp;", "&"))
		mustStatus(t, r, http.StatusOK)
		mustContain(t, "asha's second page", r.Body, "Paging question number 00")
		mustNotContain(t, "asha's second page", r.Body, "Paging question number 01", `href="/u/asha?q_before=`)
	})
}

// TestProfileShowsSuspensionToModeratorsOnly: whether someone is suspended
// is for the people who moderate, not for everyone.
func TestProfileShowsSuspensionToModeratorsOnly(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		mona := ts.client()
		mod := mona.signInAs("mona", models.RoleModerator)
		sam := mustTestUser(t, ts, "sam")
		if err := models.Suspend(context.Background(), ts.App.DB, mod, sam.ID, time.Now().Add(time.Hour), "spam"); err != nil {
			t.Fatal(err)
		}
		member := ts.client()
		member.signInAs("mina")
		for _, c := range []*client{ts.client(), member} {
			r := c.get("/u/sam")
			mustStatus(t, r, http.StatusOK)
			mustNotContain(t, "sam's profile for a non-moderator", r.Body, "Suspended", "/admin/users/")
		}
		mustContain(t, "sam's profile for a moderator", mona.get("/u/sam").Body, "Suspended", fmt.Sprintf("/admin/users/%d", sam.ID))
	})
}

// TestSettingsHandleChange: the handle is validated and unique in any
// case; a refused change (422) changes nothing, not even the other fields.
func TestSettingsHandleChange(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		mustTestUser(t, ts, "ada")
		tina := ts.client()
		u := tina.signInAs("tina")
		mustContain(t, "settings", tina.get("/settings").Body, `name="handle"`, `value="tina"`, "Linked accounts", "No accounts linked yet.", `href="/u/tina"`)
		for _, c := range []struct{ handle, message string }{
			{"ada", "That name is taken."},
			{"ADA", "That name is taken."},
			{"t", "Use 3 to 40 letters"},
			{"tina smith", "Use 3 to 40 letters"},
			{"<b>x</b>", "Use 3 to 40 letters"},
			{"", "Use 3 to 40 letters"},
		} {
			r := tina.post("/settings", url.Values{"handle": {c.handle}, "display_name": {"Tina T"}, "time_zone": {"Asia/Kolkata"}})
			mustStatus(t, r, http.StatusUnprocessableEntity)
			mustContain(t, "refused settings", r.Body, c.message, `aria-invalid="true"`)
			stored, _ := models.UserByID(context.Background(), ts.App.DB, u.ID)
			if stored.Handle != "tina" || stored.DisplayName != "tina" || stored.TimeZone != "" {
				t.Errorf("handle %q refused but stored %+v", c.handle, stored)
			}
		}
		mustStatus(t, tina.post("/settings", url.Values{"handle": {"Tina_2"}, "display_name": {"Tina T"}}), http.StatusSeeOther)
		mustStatus(t, ts.client().get("/u/tina_2"), http.StatusOK)
		mustStatus(t, ts.client().get("/u/tina"), http.StatusNotFound)
		log, _ := models.AuditLog(context.Background(), ts.App.DB, u.ID, 0, 10)
		if len(log) != 1 || log[0].Action != "user.handle" || log[0].Detail != "tina → Tina_2" {
			t.Errorf("audit: %+v", log)
		}
	})
}

// TestSettingsLinkedAccounts: the settings page lists the user's linked
// accounts and offers to link each configured provider not linked yet.
func TestSettingsLinkedAccounts(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		// The same app served again with three providers configured.
		ts.App.Cfg.Providers = []ProviderConfig{
			{Name: "github", Label: "GitHub", ClientID: "id", ClientSecret: "secret"},
			{Name: "google", Label: "Google", ClientID: "id", ClientSecret: "secret"},
			{Name: "oidc", Label: "Company SSO", ClientID: "id", ClientSecret: "secret", Issuer: "https://sso.example.com"},
		}
		srv := httptest.NewServer(ts.App.Handler())
		t.Cleanup(srv.Close)
		pts := &testServer{t: t, URL: srv.URL, App: ts.App}
		c := pts.client()
		u := c.signInAs("tina")
		id := models.Identity{UserID: u.ID, Provider: "github", ProviderUserID: "98765", Email: "tina@example.com", EmailVerified: true,
			CreatedAt: time.Now(), LastLoginAt: time.Now()}
		if err := ts.App.DB.Create(&id).Error; err != nil {
			t.Fatal(err)
		}
		r := c.get("/settings")
		mustStatus(t, r, http.StatusOK)
		mustContain(t, "settings", r.Body, "GitHub", "tina@example.com", `action="/settings/link/google"`, "Link Google",
			`action="/settings/link/oidc"`, "Link Company SSO")
		mustNotContain(t, "settings", r.Body, `action="/settings/link/github"`, "Link GitHub", "98765", "No accounts linked yet.")
		// Without providers configured there is nothing to link.
		plain := ts.client()
		plain.signInAs("tina")
		mustNotContain(t, "settings without providers", plain.get("/settings").Body, "/settings/link/")
	})
}
