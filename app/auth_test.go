package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/apple"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// oidcUser is a person at the test's OpenID Connect provider. mockoidc's
// own MockUser leaves "sub" out of its userinfo answer, which the spec
// requires and goth checks, so the tests bring their own.
type oidcUser struct {
	Sub, Email, Username, Name string
	Verified                   bool
}

func (u *oidcUser) ID() string { return u.Sub }

func (u *oidcUser) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{"sub": u.Sub, "email": u.Email, "email_verified": u.Verified,
		"preferred_username": u.Username, "name": u.Name})
}

// idClaims is the ID token mockoidc signs for an oidcUser.
type idClaims struct {
	*mockoidc.IDTokenClaims
	Email             string `json:"email,omitempty"`
	EmailVerified     bool   `json:"email_verified"`
	PreferredUsername string `json:"preferred_username,omitempty"`
	Name              string `json:"name,omitempty"`
}

func (u *oidcUser) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &idClaims{IDTokenClaims: base, Email: u.Email, EmailVerified: u.Verified, PreferredUsername: u.Username, Name: u.Name}, nil
}

// startIDP starts a real OpenID Connect provider on 127.0.0.1.
func startIDP(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return m
}

// idpEnv configures the generic OpenID Connect sign-in against m.
func idpEnv(m *mockoidc.MockOIDC, extra map[string]string) map[string]string {
	env := map[string]string{"CROWDCARE_OIDC_ISSUER": m.Issuer(), "CROWDCARE_OIDC_CLIENT_ID": m.ClientID,
		"CROWDCARE_OIDC_CLIENT_SECRET": m.ClientSecret, "CROWDCARE_OIDC_NAME": "Acme SSO"}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// forEachOIDCServer runs f against a server on every backend, each with its
// own OpenID Connect provider configured, plus extra settings.
func forEachOIDCServer(t *testing.T, extra map[string]string, f func(t *testing.T, ts *testServer, m *mockoidc.MockOIDC)) {
	for _, b := range testenv.Backends() {
		t.Run(string(b), func(t *testing.T) {
			m := startIDP(t)
			f(t, startServerWith(t, b, idpEnv(m, extra)), m)
		})
	}
}

// getURL fetches an absolute URL, or a path on the server.
func (c *client) getURL(u string) response {
	c.ts.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = c.ts.URL + u
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return c.do(req)
}

// viaProvider follows the redirect of a begin response (a sign-in or a link)
// to the provider, where user is signed in, and returns the response of our
// callback.
func (c *client) viaProvider(m *mockoidc.MockOIDC, user *oidcUser, begin response) response {
	c.ts.t.Helper()
	if begin.Status != http.StatusSeeOther || !strings.HasPrefix(begin.Location, m.Issuer()) {
		c.ts.t.Fatalf("begin: status %d to %q, want 303 to the provider\n%.1000s", begin.Status, begin.Location, begin.Body)
	}
	m.QueueUser(user)
	at := c.getURL(begin.Location)
	if at.Status != http.StatusFound || !strings.HasPrefix(at.Location, c.ts.URL+"/auth/oidc/callback?") {
		c.ts.t.Fatalf("provider: status %d to %q\n%.500s", at.Status, at.Location, at.Body)
	}
	return c.getURL(at.Location)
}

var inputValue = regexp.MustCompile(`name="(handle|display_name)"[^>]*value="([^"]*)"`)

// formValues reads the handle and display name a page's form holds.
func formValues(body string) map[string]string {
	out := map[string]string{}
	for _, m := range inputValue.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// signUp signs in as a new person and confirms the suggested account,
// returning the handle it got.
func (c *client) signUp(m *mockoidc.MockOIDC, user *oidcUser) string {
	c.ts.t.Helper()
	cb := c.viaProvider(m, user, c.get("/auth/oidc"))
	if cb.Status != http.StatusSeeOther || cb.Location != "/signup" {
		c.ts.t.Fatalf("callback of a new person: status %d to %q, want 303 to /signup\n%.1000s", cb.Status, cb.Location, cb.Body)
	}
	page := c.get("/signup")
	mustStatus(c.ts.t, page, http.StatusOK)
	v := formValues(page.Body)
	r := c.post("/signup", url.Values{"handle": {v["handle"]}, "display_name": {v["display_name"]}, "guidelines": {"yes"}})
	mustStatus(c.ts.t, r, http.StatusSeeOther)
	return v["handle"]
}

// authCounts counts the rows sign-in may write.
func authCounts(t *testing.T, ts *testServer) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"users", "identities", "pending_signups", "sessions", "user_roles", "audit_log"} {
		var n int64
		if err := ts.App.DB.Table(table).Count(&n).Error; err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// sessionCookieOf returns the client's session cookie value, or "".
func (c *client) sessionCookieOf() string {
	u, _ := url.Parse(c.ts.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			return ck.Value
		}
	}
	return ""
}

// TestOIDCSignInJourney: the sign-in page lists exactly the configured
// provider; a first sign-in through a real OpenID Connect flow ends on the
// sign-up page, which refuses to go on without the guidelines accepted; the
// account it creates is signed in; signing out and in again reaches the same
// account without a second sign-up. The development sign-in is gone.
func TestOIDCSignInJourney(t *testing.T) {
	forEachOIDCServer(t, nil, func(t *testing.T, ts *testServer, m *mockoidc.MockOIDC) {
		c := ts.client()
		page := c.get("/signin?next=/boards")
		mustStatus(t, page, http.StatusOK)
		if got := regexp.MustCompile(`href="/auth/[^"]*"`).FindAllString(page.Body, -1); len(got) != 1 || got[0] != `href="/auth/oidc?next=%2fboards"` {
			t.Errorf("sign-in buttons %q, want only the OpenID Connect one", got)
		}
		if !strings.Contains(page.Body, "Continue with Acme SSO") || strings.Contains(page.Body, "/dev/signin") || strings.Contains(page.Body, "No sign-in provider") {
			t.Errorf("sign-in page does not show exactly the configured provider:\n%s", page.Body)
		}
		if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+m.Addr()+";") {
			t.Errorf("CSP %q: form-action must allow the provider, and only it", csp)
		}
		mustStatus(t, c.get("/dev/signin"), http.StatusNotFound)
		mustStatus(t, c.post("/dev/signin", url.Values{"handle": {"sneaky"}}), http.StatusNotFound)

		asha := &oidcUser{Sub: "asha-1", Email: "asha@example.org", Verified: true, Username: "asha.rao", Name: "Asha Rao"}
		begin := c.get("/auth/oidc?next=/boards")
		st := cookieFrom(begin, flowCookie)
		if st == nil || !st.HttpOnly || st.SameSite != http.SameSiteLaxMode || st.Secure || st.Path != "/auth" || st.MaxAge != 600 {
			t.Errorf("state cookie %+v: want HttpOnly, Lax, Path=/auth, MaxAge=600", st)
		}
		auth, _ := url.Parse(begin.Location)
		if q := auth.Query(); q.Get("state") == "" || q.Get("code_challenge_method") != "S256" || q.Get("redirect_uri") != ts.URL+"/auth/oidc/callback" {
			t.Errorf("authorization request %s: want a state, a PKCE challenge and our callback", begin.Location)
		}
		cb := c.viaProvider(m, asha, begin)
		if cb.Status != http.StatusSeeOther || cb.Location != "/signup" || c.sessionCookieOf() != "" {
			t.Fatalf("first callback: status %d to %q; want 303 to /signup and no session", cb.Status, cb.Location)
		}
		if sc := cookieFrom(cb, signupName); sc == nil || !sc.HttpOnly || sc.Path != "/signup" || strings.Contains(cb.Location, "token") {
			t.Errorf("the pending sign-up must travel in an HttpOnly cookie for /signup, not the URL: %+v", sc)
		}
		if n := authCounts(t, ts); n["users"] != 0 || n["pending_signups"] != 1 {
			t.Fatalf("after the first callback: %v; want no user and one pending sign-up", n)
		}
		form := c.get("/signup")
		mustStatus(t, form, http.StatusOK)
		if v := formValues(form.Body); v["handle"] != "asha-rao" || v["display_name"] != "Asha Rao" {
			t.Errorf("sign-up suggests %v, want handle asha-rao and name Asha Rao", v)
		}
		for _, want := range []string{`href="/guidelines"`, `name="guidelines"`, "asha@example.org", "Acme SSO"} {
			if !strings.Contains(form.Body, want) {
				t.Errorf("sign-up page lacks %q", want)
			}
		}
		mustStatus(t, c.get("/guidelines"), http.StatusOK)

		// Every POST is CSRF-protected, the sign-up too.
		csrfRefusals(t, ts, c, http.MethodPost, "/signup", url.Values{"handle": {"asha"}, "display_name": {"Asha"}, "guidelines": {"yes"}}, ts.client().token())
		// Without the guidelines accepted, nothing is created.
		r := c.post("/signup", url.Values{"handle": {"asha"}, "display_name": {"Asha R"}})
		mustStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.Body, "Please accept the community guidelines") || !strings.Contains(r.Body, `value="Asha R"`) {
			t.Errorf("the refused sign-up does not explain itself or lost the input:\n%.2000s", r.Body)
		}
		if n := authCounts(t, ts); n["users"] != 0 {
			t.Fatalf("a refused sign-up created a user: %v", n)
		}
		r = c.post("/signup", url.Values{"handle": {"asha"}, "display_name": {"Asha R"}, "guidelines": {"yes"}})
		if r.Status != http.StatusSeeOther || r.Location != "/boards" {
			t.Fatalf("sign-up: status %d to %q, want 303 to /boards\n%.2000s", r.Status, r.Location, r.Body)
		}
		settings := c.get("/settings")
		mustStatus(t, settings, http.StatusOK)
		if !strings.Contains(settings.Body, `value="asha"`) || !strings.Contains(settings.Body, "Asha R") {
			t.Errorf("settings do not show the new account")
		}
		mustStatus(t, c.get("/signup"), http.StatusBadRequest) // the sign-up is spent
		u, err := models.UserByHandle(context.Background(), ts.App.DB, "asha")
		if err != nil || u.Email != "asha@example.org" || !u.EmailVerified || u.GuidelinesAcceptedAt == nil {
			t.Fatalf("user %+v, %v", u, err)
		}

		mustStatus(t, c.post("/signout", nil), http.StatusSeeOther)
		if c.signedIn() {
			t.Fatal("still signed in after signing out")
		}
		again := c.viaProvider(m, asha, c.get("/auth/oidc?next=/unanswered"))
		if again.Status != http.StatusSeeOther || again.Location != "/unanswered" {
			t.Fatalf("second sign-in: status %d to %q, want 303 to /unanswered", again.Status, again.Location)
		}
		if !c.signedIn() || !strings.Contains(c.get("/settings").Body, `value="asha"`) {
			t.Fatal("the second sign-in did not reach the same account")
		}
		if n := authCounts(t, ts); n["users"] != 1 || n["identities"] != 1 || n["pending_signups"] != 0 {
			t.Errorf("after signing in twice: %v; want one user, one identity", n)
		}
	})
}

// TestOIDCRolesFromVerifiedEmail: a verified address at an employee domain
// makes an employee (with an audit entry), an admin address an admin; an
// unverified one earns nothing. And an external account is never merged
// into an existing user with the same email, verified or not.
func TestOIDCRolesFromVerifiedEmail(t *testing.T) {
	env := map[string]string{"CROWDCARE_EMPLOYEE_DOMAINS": "example.com", "CROWDCARE_ADMIN_EMAILS": "boss@example.com"}
	forEachOIDCServer(t, env, func(t *testing.T, ts *testServer, m *mockoidc.MockOIDC) {
		ctx := context.Background()
		roles := func(handle string) []models.Role {
			u, err := models.UserByHandle(ctx, ts.App.DB, handle)
			if err != nil {
				t.Fatal(err)
			}
			return u.Roles
		}
		emp := ts.client().signUp(m, &oidcUser{Sub: "e1", Email: "Emil@Example.com", Verified: true, Username: "emil"})
		if r := roles(emp); len(r) != 1 || r[0] != models.RoleEmployee {
			t.Errorf("verified employee address: roles %v, want [employee]", r)
		}
		var audit []models.AuditEntry
		ts.App.DB.Where("action = ?", "role.grant").Find(&audit)
		if len(audit) != 1 || !strings.Contains(audit[0].Detail, "employee") || audit[0].ActorID != nil {
			t.Errorf("audit entries %+v, want one system grant of employee", audit)
		}
		unv := ts.client().signUp(m, &oidcUser{Sub: "u1", Email: "mallory@example.com", Verified: false, Username: "mallory"})
		if r := roles(unv); len(r) != 0 {
			t.Errorf("unverified employee-domain address: roles %v, want none", r)
		}
		adm := ts.client().signUp(m, &oidcUser{Sub: "b1", Email: "boss@example.com", Verified: true, Username: "boss"})
		if r := roles(adm); len(r) != 2 {
			t.Errorf("verified admin address at the employee domain: roles %v, want admin and employee", r)
		}
		if n := authCounts(t, ts); n["audit_log"] != 3 {
			t.Errorf("%d audit entries, want 3 (one per role granted)", n["audit_log"])
		}

		// An existing member with a verified address is not taken over by
		// an external account claiming it.
		owner := &models.User{Handle: "owner", Email: "owner@example.org", EmailVerified: true}
		if err := models.CreateUser(ctx, ts.App.DB, owner); err != nil {
			t.Fatal(err)
		}
		c := ts.client()
		cb := c.viaProvider(m, &oidcUser{Sub: "x9", Email: "owner@example.org", Verified: true, Username: "owner"}, c.get("/auth/oidc"))
		if cb.Location != "/signup" || c.sessionCookieOf() != "" {
			t.Fatalf("an external account with a member's email: status %d to %q; want the sign-up page and no session", cb.Status, cb.Location)
		}
		if v := formValues(c.get("/signup").Body); v["handle"] != "owner-2" {
			t.Errorf("suggested handle %q, want owner-2 (owner is taken)", v["handle"])
		}
		ids, _ := models.IdentitiesOf(ctx, ts.App.DB, owner.ID)
		if len(ids) != 0 {
			t.Errorf("the existing member got the external identity: %+v", ids)
		}
	})
}

// TestOIDCLinking: a signed-in member links a second external account from
// the settings page and can then sign in with it; an account already
// linked to someone else is refused with 409 and nothing changes.
func TestOIDCLinking(t *testing.T) {
	forEachOIDCServer(t, nil, func(t *testing.T, ts *testServer, m *mockoidc.MockOIDC) {
		ctx := context.Background()
		asha, other := ts.client(), ts.client()
		asha.signUp(m, &oidcUser{Sub: "a1", Username: "asha"})
		other.signUp(m, &oidcUser{Sub: "o1", Username: "omar"})
		csrfRefusals(t, ts, asha, http.MethodPost, "/settings/link/oidc", url.Values{}, other.token())

		r := asha.viaProvider(m, &oidcUser{Sub: "a2", Email: "asha@work.example", Username: "asha-work"}, asha.post("/settings/link/oidc", nil))
		if r.Status != http.StatusSeeOther || r.Location != "/settings" {
			t.Fatalf("link: status %d to %q, want 303 to /settings\n%.1000s", r.Status, r.Location, r.Body)
		}
		u, _ := models.UserByHandle(ctx, ts.App.DB, "asha")
		ids, _ := models.IdentitiesOf(ctx, ts.App.DB, u.ID)
		if len(ids) != 2 {
			t.Fatalf("asha has %d identities after linking, want 2", len(ids))
		}
		// The linked account signs in to the same member.
		c := ts.client()
		if cb := c.viaProvider(m, &oidcUser{Sub: "a2"}, c.get("/auth/oidc")); cb.Location != "/" || !strings.Contains(c.get("/settings").Body, `value="asha"`) {
			t.Errorf("signing in with the linked account: status %d to %q", cb.Status, cb.Location)
		}

		// omar tries to link asha's first account: refused, nothing moves.
		before := authCounts(t, ts)
		r = other.viaProvider(m, &oidcUser{Sub: "a1"}, other.post("/settings/link/oidc", nil))
		mustStatus(t, r, http.StatusConflict)
		if !strings.Contains(r.Body, "already linked to another Crowdcare member") {
			t.Errorf("409 page does not explain:\n%.2000s", r.Body)
		}
		if after := authCounts(t, ts); after["identities"] != before["identities"] || after["audit_log"] != before["audit_log"] {
			t.Errorf("a refused link changed something: %v → %v", before, after)
		}
		ids, _ = models.IdentitiesOf(ctx, ts.App.DB, u.ID)
		if len(ids) != 2 || !other.signedIn() {
			t.Errorf("after the refused link asha has %d identities (want 2), omar signed in %v", len(ids), other.signedIn())
		}
		// Linking needs a signed-in member.
		mustStatus(t, ts.client().post("/settings/link/oidc", nil), http.StatusUnauthorized)
		mustStatus(t, asha.post("/settings/link/nope", nil), http.StatusNotFound)
	})
}

// TestOIDCFailures: every way a callback can go wrong ends on a clear error
// page with no account, no pending sign-up beyond the one under test, and
// no session.
func TestOIDCFailures(t *testing.T) {
	forEachOIDCServer(t, nil, func(t *testing.T, ts *testServer, m *mockoidc.MockOIDC) {
		user := &oidcUser{Sub: "f1", Email: "f@example.org", Verified: true, Username: "fay"}
		// authorized takes a fresh browser through the provider and stops
		// before our callback, returning the browser and the callback URL.
		authorized := func() (*client, *url.URL) {
			c := ts.client()
			begin := c.get("/auth/oidc")
			m.QueueUser(user)
			at := c.getURL(begin.Location)
			cb, err := url.Parse(at.Location)
			if err != nil || at.Status != http.StatusFound {
				t.Fatalf("provider: status %d to %q", at.Status, at.Location)
			}
			return c, cb
		}
		refused := func(name string, c *client, path string, status int, msg string) {
			t.Helper()
			before := authCounts(t, ts)
			r := c.getURL(path)
			if r.Status != status || !strings.Contains(r.Body, msg) {
				t.Errorf("%s: status %d, want %d with %q\n%.1500s", name, r.Status, status, msg, r.Body)
			}
			if after := authCounts(t, ts); after["users"] != before["users"] || after["pending_signups"] != before["pending_signups"] ||
				after["sessions"] != before["sessions"] || after["identities"] != before["identities"] {
				t.Errorf("%s wrote: %v → %v", name, before, after)
			}
			if c.sessionCookieOf() != "" || cookieFrom(r, sessionCookie) != nil {
				t.Errorf("%s set a session cookie", name)
			}
		}
		const (
			stateMsg    = "This sign-in has expired, was already used"
			deniedMsg   = "You did not give permission"
			providerMsg = "The sign-in provider reported a problem"
			exchangeMsg = "We could not confirm your sign-in"
		)
		c, cb := authorized()
		q := cb.Query()
		q.Set("state", "forged"+q.Get("state"))
		refused("state mismatch", c, cb.Path+"?"+q.Encode(), http.StatusBadRequest, stateMsg)
		// The mismatch spent the state cookie: the genuine callback now fails too.
		refused("callback after a mismatch", c, cb.String(), http.StatusBadRequest, stateMsg)

		_, cb = authorized()
		refused("missing state cookie (another browser)", ts.client(), cb.String(), http.StatusBadRequest, stateMsg)

		c, cb = authorized()
		if r := c.getURL(cb.String()); r.Status != http.StatusSeeOther || r.Location != "/signup" {
			t.Fatalf("genuine callback: status %d to %q", r.Status, r.Location)
		}
		refused("replayed callback", c, cb.String(), http.StatusBadRequest, stateMsg)
		// Replayed with the state cookie captured too: the provider has
		// already spent the code.
		c2, cb2 := authorized()
		u, _ := url.Parse(ts.URL)
		captured := c2.http.Jar.Cookies(&url.URL{Scheme: "http", Host: u.Host, Path: "/auth/oidc/callback"})
		if r := c2.getURL(cb2.String()); r.Status != http.StatusSeeOther {
			t.Fatalf("genuine callback: status %d", r.Status)
		}
		thief := ts.client()
		thief.http.Jar.SetCookies(&url.URL{Scheme: "http", Host: u.Host, Path: "/auth"}, captured)
		refused("callback replayed with its state cookie", thief, cb2.String(), http.StatusBadRequest, exchangeMsg)

		refused("unknown provider", ts.client(), "/auth/nope", http.StatusNotFound, "There is no sign-in with that provider here")
		refused("unknown provider callback", ts.client(), "/auth/nope/callback?code=x&state=y", http.StatusNotFound, "There is no sign-in with that provider here")

		c, cb = authorized()
		refused("denied consent", c, "/auth/oidc/callback?error=access_denied&state="+url.QueryEscape(cb.Query().Get("state")), http.StatusForbidden, deniedMsg)
		c, cb = authorized()
		refused("provider error", c, "/auth/oidc/callback?error=temporarily_unavailable&error_description=down&state="+url.QueryEscape(cb.Query().Get("state")), http.StatusBadRequest, providerMsg)
		c, cb = authorized()
		refused("callback without a code", c, "/auth/oidc/callback?state="+url.QueryEscape(cb.Query().Get("state")), http.StatusBadRequest, exchangeMsg)

		c, cb = authorized()
		m.QueueError(&mockoidc.ServerError{Code: http.StatusBadRequest, Error: mockoidc.InvalidGrant, Description: "code expired"})
		refused("token exchange failure", c, cb.String(), http.StatusBadRequest, exchangeMsg)

		// A suspended member cannot sign in.
		ctx := context.Background()
		mod := &models.User{Handle: "mona", Roles: []models.Role{models.RoleModerator}}
		if err := models.CreateUser(ctx, ts.App.DB, mod); err != nil {
			t.Fatal(err)
		}
		sam := &oidcUser{Sub: "s1", Username: "sam"}
		ts.client().signUp(m, sam)
		su, _ := models.UserByHandle(ctx, ts.App.DB, "sam")
		if err := models.Suspend(ctx, ts.App.DB, mod, su.ID, time.Now().Add(time.Hour), "spam"); err != nil {
			t.Fatal(err)
		}
		c = ts.client()
		begin := c.get("/auth/oidc")
		m.QueueUser(sam)
		at := c.getURL(begin.Location)
		refused("suspended member", c, at.Location, http.StatusForbidden, "This account is suspended")
	})
}

// TestOIDCDiscoveryFailure: a provider whose issuer cannot be discovered, or
// names another issuer, stops the app at start with an error that says
// which setting to fix.
func TestOIDCDiscoveryFailure(t *testing.T) {
	m := startIDP(t)
	impostor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issuer":"https://evil.example","authorization_endpoint":"https://evil.example/a","token_endpoint":"https://evil.example/t"}`))
	}))
	t.Cleanup(impostor.Close)
	for name, issuer := range map[string]string{
		"unreachable":          "http://127.0.0.1:1/oidc",
		"not found":            m.Addr() + "/nowhere",
		"names another issuer": impostor.URL,
	} {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"CROWDCARE_DATA_DIR": t.TempDir(), "CROWDCARE_ADDR": "127.0.0.1:0",
				"CROWDCARE_OIDC_ISSUER": issuer, "CROWDCARE_OIDC_CLIENT_ID": "id", "CROWDCARE_OIDC_CLIENT_SECRET": "secret"}
			cfg, err := LoadConfig(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			a, err := New(context.Background(), cfg, NewLogger(io.Discard, "warn"), true)
			if err == nil {
				a.Close()
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), "CROWDCARE_OIDC_ISSUER") {
				t.Errorf("error %q does not name CROWDCARE_OIDC_ISSUER", err)
			}
		})
	}
}

// TestProvidersFromConfig builds every supported provider from its settings
// alone and checks where each sends the browser: the provider's own
// authorization endpoint, with our state and our callback URL.
func TestProvidersFromConfig(t *testing.T) {
	m := startIDP(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pemKey := strings.ReplaceAll(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), "\n", `\n`)
	env := idpEnv(m, map[string]string{"CROWDCARE_BASE_URL": "https://forum.example",
		"CROWDCARE_APPLE_CLIENT_ID": "com.example.forum", "CROWDCARE_APPLE_TEAM_ID": "TEAM", "CROWDCARE_APPLE_KEY_ID": "KEY",
		"CROWDCARE_APPLE_PRIVATE_KEY": pemKey})
	for _, p := range []string{"GOOGLE", "GITHUB", "FACEBOOK", "TWITTER", "MICROSOFT"} {
		env["CROWDCARE_"+p+"_CLIENT_ID"], env["CROWDCARE_"+p+"_CLIENT_SECRET"] = strings.ToLower(p)+"-id", "secret"
	}
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DevLoginEnabled() {
		t.Error("the development sign-in is on with providers configured")
	}
	ps, err := newProviders(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"google": "accounts.google.com", "github": "github.com", "facebook": "www.facebook.com",
		"twitter": "x.com", "microsoft": "login.microsoftonline.com", "apple": "appleid.apple.com", "oidc": strings.TrimPrefix(m.Addr(), "http://")}
	if len(ps) != len(want) {
		t.Errorf("%d providers built, want %d", len(ps), len(want))
	}
	for name, host := range want {
		p := ps[name]
		if p == nil || p.Name() != name {
			t.Errorf("provider %s missing or misnamed", name)
			continue
		}
		sess, err := p.BeginAuth("st4te")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		raw, _ := sess.GetAuthURL()
		u, err := url.Parse(raw)
		if err != nil || u.Host != host || u.Query().Get("state") != "st4te" || u.Query().Get("redirect_uri") != "https://forum.example/auth/"+name+"/callback" {
			t.Errorf("%s sends the browser to %s", name, raw)
		}
	}
	cfg.Providers = []ProviderConfig{{Name: "apple", ClientID: "c", AppleTeamID: "t", AppleKeyID: "k", ApplePrivateKey: "not a key"}}
	if _, err := newProviders(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "CROWDCARE_APPLE_PRIVATE_KEY") {
		t.Errorf("a bad Apple key: %v, want an error naming CROWDCARE_APPLE_PRIVATE_KEY", err)
	}
}

// TestXProvider runs our X (OAuth 2.0 with PKCE) provider against a local
// server speaking X's token and profile API.
func TestXProvider(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/token":
			id, secret, ok := r.BasicAuth()
			if !ok || id != "x-id" || secret != "x-secret" || r.FormValue("code") != "c0de" || r.FormValue("code_verifier") != "verif1er" ||
				r.FormValue("grant_type") != "authorization_code" || r.FormValue("redirect_uri") != "https://forum.example/auth/twitter/callback" {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"error":"invalid_request"}`))
				return
			}
			_, _ = w.Write([]byte(`{"access_token":"t0ken","token_type":"bearer","expires_in":7200,"scope":"users.read tweet.read"}`))
		case "/me":
			if r.Header.Get("Authorization") != "Bearer t0ken" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			_, _ = w.Write([]byte(`{"data":{"id":"1234","name":"Asha Rao","username":"asha_r","profile_image_url":"https://pbs.twimg.com/profile_images/1/a_normal.jpg"}}`))
		}
	}))
	t.Cleanup(srv.Close)
	p := newXProvider("x-id", "x-secret", "https://forum.example/auth/twitter/callback", srv.Client())
	p.config.Endpoint.TokenURL, p.meURL = srv.URL+"/token", srv.URL+"/me"
	begin, _ := p.BeginAuth("st")
	raw, _ := begin.GetAuthURL()
	if u, _ := url.Parse(raw); u.Host != "x.com" || u.Query().Get("scope") != "users.read tweet.read" || u.Query().Get("state") != "st" {
		t.Errorf("authorization URL %s", raw)
	}
	// The session survives the round trip through the state cookie.
	sess, err := p.UnmarshalSession(begin.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Authorize(p, url.Values{"code": {"c0de"}}); err == nil {
		t.Error("a token exchange without the PKCE verifier succeeded")
	}
	if _, err := sess.Authorize(p, url.Values{"code": {"c0de"}, "code_verifier": {"verif1er"}}); err != nil {
		t.Fatal(err)
	}
	gu, err := p.FetchUser(sess)
	if err != nil {
		t.Fatal(err)
	}
	prof := externalProfile("twitter", gu, sess)
	if prof.UserID != "1234" || prof.Nickname != "asha_r" || prof.Name != "Asha Rao" || prof.EmailVerified ||
		prof.AvatarURL != "https://pbs.twimg.com/profile_images/1/a_400x400.jpg" {
		t.Errorf("profile %+v", prof)
	}
}

// TestEmailVerified: only a provider's explicit word makes an email
// verified.
func TestEmailVerified(t *testing.T) {
	appleSess := &apple.Session{ID: apple.ID{Sub: "s", Email: "a@privaterelay.appleid.com", EmailVerified: true}}
	cases := []struct {
		name     string
		provider string
		user     goth.User
		sess     goth.Session
		want     bool
	}{
		{"oidc claim true", "oidc", goth.User{Email: "a@x.org", RawData: map[string]any{"email_verified": true}}, nil, true},
		{"oidc claim as a string", "oidc", goth.User{Email: "a@x.org", RawData: map[string]any{"email_verified": "true"}}, nil, true},
		{"oidc claim false", "oidc", goth.User{Email: "a@x.org", RawData: map[string]any{"email_verified": false}}, nil, false},
		{"oidc without the claim", "oidc", goth.User{Email: "a@x.org", RawData: map[string]any{}}, nil, false},
		{"oidc verified but no email", "oidc", goth.User{RawData: map[string]any{"email_verified": true}}, nil, false},
		{"google verified", "google", goth.User{Email: "a@gmail.com", RawData: map[string]any{"verified_email": true}}, nil, true},
		{"google unverified", "google", goth.User{Email: "a@gmail.com", RawData: map[string]any{"verified_email": false}}, nil, false},
		{"github public email", "github", goth.User{Email: "a@x.org", RawData: map[string]any{"email_verified": true}}, nil, false},
		{"microsoft mail", "microsoft", goth.User{Email: "ceo@example.com"}, nil, false},
		{"facebook", "facebook", goth.User{Email: "a@x.org"}, nil, false},
		{"apple verified", "apple", goth.User{Email: "a@privaterelay.appleid.com"}, appleSess, true},
	}
	for _, tc := range cases {
		if got := externalProfile(tc.provider, tc.user, tc.sess).EmailVerified; got != tc.want {
			t.Errorf("%s: verified %v, want %v", tc.name, got, tc.want)
		}
	}
}
