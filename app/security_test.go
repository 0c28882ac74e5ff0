package app

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

const csrfMessage = "Your form expired or came from another site."

// routeParam returns the value a test uses for a path parameter of route,
// one that makes the request valid for a signed-in admin.
func routeParam(f *qaFixture, boardID, userID int64, route, param string) (string, bool) {
	switch {
	case param == "id" && strings.HasPrefix(route, "/q/"):
		return fmt.Sprint(f.qID), true
	case param == "id" && strings.HasPrefix(route, "/posts/"):
		return fmt.Sprint(f.answerID), true
	case param == "id" && strings.HasPrefix(route, "/admin/boards/"):
		return fmt.Sprint(boardID), true
	case param == "id" && strings.HasPrefix(route, "/admin/users/"):
		return fmt.Sprint(userID), true
	case param == "id" && strings.HasPrefix(route, "/admin/kudos-cases/"):
		return "1", true // seedKudosCase's case
	case param == "id" && strings.HasPrefix(route, "/admin/points/ranks/"):
		return "5", true // Guru, a seeded rank that may be deleted
	case param == "slug" && strings.HasPrefix(route, "/badges/"):
		return "summit-guest", true
	case param == "id" && strings.HasPrefix(route, "/experts/applications/"):
		return "2", true // the admin's own, filed by POST /experts/apply after seedExpertApplication's
	case param == "id" && strings.HasPrefix(route, "/admin/experts/applications/"):
		return "1", true // seedExpertApplication's
	case param == "id" && strings.HasPrefix(route, "/admin/experts/members/"):
		return fmt.Sprint(userID), true // the applicant of seedExpertApplication, approved before
	case param == "id" && strings.HasPrefix(route, "/product/issues/"):
		return "1", true // seedEmergingIssue's
	case param == "id" && strings.HasPrefix(route, "/admin/experts/tiers/"):
		return "1", true // the seeded Expert tier
	}
	for _, more := range moreRouteParams {
		if v, ok := more(f, boardID, userID, route, param); ok {
			return v, true
		}
	}
	return "", false
}

// moreRouteParams, moreValidForms and moreDestructive let a feature's own
// test file teach the CSRF walk about its routes (appended from init).
var (
	moreRouteParams []func(f *qaFixture, boardID, userID int64, route, param string) (string, bool)
	moreValidForms  []func(f *qaFixture) map[string]url.Values
	moreDestructive []func(route string) (int, bool)
)

var paramPattern = regexp.MustCompile(`[:*]([A-Za-z_]+)`)

// validForms are forms that succeed for an admin with a valid token, so a
// refusal without one is the CSRF check and nothing else.
func validForms(f *qaFixture) map[string]url.Values {
	forms := map[string]url.Values{
		"/locale":                        {"lang": {"hi"}, "next": {"/"}},
		"/ask":                           {"board": {f.board}, "title": {"Token test question"}, "body": {"Body."}, "tags": {"csrf"}},
		"/q/:id/answers":                 {"body": {"An answer with a token."}},
		"/q/:id/accept":                  {"answer_id": {fmt.Sprint(f.answerID)}},
		"/posts/:id/edit":                {"body": {"Edited with a token."}},
		"/posts/:id/delete":              {},
		"/settings":                      {"display_name": {"Ada L"}},
		"/signout":                       {},
		"/signout/everywhere":            {},
		"/dev/signin":                    {"handle": {"newcomer"}},
		"/admin/boards":                  {"name": {"Scanners"}, "slug": {"scanners"}, "visibility": {"public"}},
		"/admin/boards/:id":              {"name": {"Printers 2"}, "slug": {"printers"}, "visibility": {"public"}},
		"/admin/users/:id/roles":         {"role": {"expert"}, "action": {"grant"}},
		"/admin/users/:id/suspend":       {"action": {"lift"}},
		"/admin/kudos-cases/:id":         {"action": {"confirm"}},
		"/posts/:id/kudos":               {"give": {"1"}},
		"/admin/points/rules":            pointRulesForm(),
		"/admin/points/ranks":            {"name": {"Legend"}, "threshold": {"20000"}},
		"/admin/points/ranks/:id":        {"name": {"Guru"}, "threshold": {"5000"}},
		"/admin/points/ranks/:id/delete": {},
		"/badges/:slug/grant":            {"handle": {"asha"}, "reason": {"Summit 2026 guest"}},
		// The expert program. Printers is the fixture's first board (id 1).
		"/experts/apply":                     {"statement": {"I answer printer questions every day."}, "board": {"1"}, "accept": {"1"}},
		"/experts/applications/:id/accept":   {},
		"/experts/applications/:id/withdraw": {},
		"/experts/nominate":                  {"handle": {"omar"}, "statement": {"Omar helps every weekend."}, "board": {"1"}},
		"/posts/:id/verify":                  {},
		"/posts/:id/unverify":                {},
		"/admin/experts/applications/:id":    {"action": {"approve"}, "tier": {"1"}},
		"/admin/experts/members/:id":         {"action": {"pause"}, "reason": {"Token test"}},
		"/admin/experts/members/:id/tier":    {"tier": {"2"}},
		"/admin/experts/members/:id/boards":  {"board": {"1"}},
		"/admin/experts/settings":            programForm("0"),
		"/admin/experts/tiers":               {"tier_name": {"Legend"}},
		"/admin/experts/tiers/:id":           {"tier_name": {"Expert"}},
		"/notifications/read":                {},
		"/product/issues/:id":                {"status": {"acknowledged"}, "notes": {"Looking"}},
		"/product/alerts":                    {"board": {"0"}, "email": {"1"}},
		"/admin/badges":                      {"name": {"CSRF test badge"}, "description": {"Made with a token."}, "tier": {"bronze"}},
	}
	for _, more := range moreValidForms {
		for route, form := range more(f) {
			if _, dup := forms[route]; dup {
				panic("two valid forms for " + route)
			}
			forms[route] = form
		}
	}
	return forms
}

// TestCSRFOnEveryStateChange walks every registered route and proves that
// each one that is not GET or HEAD refuses, for a signed-in admin, a request
// without a token, with another session's token, with a forged token and
// from another origin, writing nothing; and that the same request with a
// valid token is not refused.
func TestCSRFOnEveryStateChange(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		seedKudosCase(t, ts)
		seedExpertApplication(t, ts)
		seedEmergingIssue(t, ts, f.board)
		var boardID int64
		ts.App.DB.Raw("SELECT id FROM boards WHERE slug = ?", f.board).Scan(&boardID)
		var askerID int64
		ts.App.DB.Raw("SELECT id FROM users WHERE handle = ?", "asha").Scan(&askerID)
		forms := validForms(f)
		otherToken := f.visitor.token()
		type target struct{ method, route, path string }
		var targets []target
		for _, rt := range ts.App.routeList() {
			if rt.Method == http.MethodGet || rt.Method == http.MethodHead || rt.Method == http.MethodOptions {
				continue
			}
			path := paramPattern.ReplaceAllStringFunc(rt.Path, func(p string) string {
				v, ok := routeParam(f, boardID, askerID, rt.Path, p[1:])
				if !ok {
					t.Fatalf("no test value for %s in %s %s: teach routeParam about it", p, rt.Method, rt.Path)
				}
				return v
			})
			if _, ok := forms[rt.Path]; !ok {
				t.Fatalf("no valid form for %s %s: add one to validForms", rt.Method, rt.Path)
			}
			targets = append(targets, target{rt.Method, rt.Path, path})
		}
		if len(targets) < len(forms) {
			t.Errorf("only %d state-changing routes found, %d expected", len(targets), len(forms))
		}
		for _, tg := range targets {
			t.Run(tg.method+" "+tg.route, func(t *testing.T) {
				csrfRefusals(t, ts, f.admin, tg.method, tg.path, forms[tg.route], otherToken)
			})
		}
		// Methods no route has are refused before routing.
		for _, m := range []string{http.MethodPut, http.MethodPatch, http.MethodDelete} {
			for _, path := range []string{"/ask", fmt.Sprintf("/posts/%d/delete", f.answerID), "/admin/boards"} {
				noWrite(t, ts, func() {
					if r := f.admin.sendForm(m, path, url.Values{}, "", ""); r.Status != http.StatusForbidden {
						t.Errorf("%s %s without a token: status %d", m, path, r.Status)
					}
				})
			}
		}
		if !f.admin.signedIn() {
			t.Error("a refused sign-out signed the admin out")
		}
		// With a valid token each request gets through, so the refusals
		// above were the CSRF check. Deleting and signing out go last.
		sort.SliceStable(targets, func(i, j int) bool { return destructive(targets[i].route) < destructive(targets[j].route) })
		for _, tg := range targets {
			control := ts.client()
			control.signIn("ada")
			r := control.sendForm(tg.method, tg.path, forms[tg.route], control.token(), "")
			if r.Status >= 400 || strings.Contains(r.Body, csrfMessage) {
				t.Errorf("%s %s with a valid token: status %d", tg.method, tg.route, r.Status)
			}
		}
	})
}

// destructive orders routes that end what later requests need after the
// rest, and routes that make what others need before them (an application
// before its acceptance, an approval before the expert's settings).
func destructive(route string) int {
	for _, more := range moreDestructive {
		if n, ok := more(route); ok {
			return n
		}
	}
	switch route {
	case "/experts/apply", "/admin/experts/applications/:id":
		return -2
	case "/experts/applications/:id/accept", "/admin/experts/members/:id/tier", "/admin/experts/members/:id/boards":
		return -1
	}
	if strings.Contains(route, "delete") || strings.HasPrefix(route, "/signout") || strings.HasSuffix(route, "/withdraw") {
		return 1
	}
	return 0
}

// csrfRefusals sends method path with every kind of bad token.
func csrfRefusals(t *testing.T, ts *testServer, c *client, method, path string, form url.Values, otherToken string) {
	t.Helper()
	cases := []struct {
		name, token, origin string
		header              bool
	}{
		{name: "no token"},
		{name: "another session's token", token: otherToken},
		{name: "another session's token in the header", token: otherToken, header: true},
		{name: "forged token", token: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="},
		{name: "valid token from another origin", token: "own", origin: "http://evil.example"},
	}
	for _, tc := range cases {
		tok := tc.token
		if tok == "own" {
			tok = c.token()
		}
		noWrite(t, ts, func() {
			var r response
			if tc.header {
				r = c.sendHeaderToken(method, path, form, tok)
			} else {
				r = c.sendForm(method, path, form, tok, tc.origin)
			}
			if r.Status != http.StatusForbidden || !strings.Contains(r.Body, csrfMessage) {
				t.Errorf("%s: status %d, want 403 with the CSRF message", tc.name, r.Status)
			}
		})
	}
}

// sendForm submits form with method, the given token (none when empty)
// and Origin header (none when empty).
func (c *client) sendForm(method, path string, form url.Values, token, origin string) response {
	c.ts.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if token != "" {
		f.Set("csrf_token", token)
	}
	req, _ := http.NewRequest(method, c.ts.URL+path, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return c.do(req)
}

// sendHeaderToken submits form with the token in the X-CSRF-Token header.
func (c *client) sendHeaderToken(method, path string, form url.Values, token string) response {
	c.ts.t.Helper()
	req, _ := http.NewRequest(method, c.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", token)
	return c.do(req)
}

// TestSecurityHeaders: every kind of page carries a strict CSP and the
// other protective headers, and no page has inline script.
func TestSecurityHeaders(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		pages := map[string]response{
			"home":         f.visitor.get("/"),
			"question":     f.asker.get(fmt.Sprintf("/q/%d", f.qID)),
			"search":       f.visitor.get("/search?q=printer"),
			"ask":          f.asker.get("/ask"),
			"admin":        f.admin.get("/admin/boards"),
			"not found":    f.visitor.get("/q/999999"),
			"csrf refusal": f.asker.postRaw("/ask", url.Values{}),
			"form error":   f.asker.post("/ask", url.Values{"title": {"x"}}),
			"healthz":      f.visitor.get("/healthz"),
			"static":       f.visitor.get("/static/app.css"),
		}
		for name, r := range pages {
			checkSecurityHeaders(t, name, r.Header)
			if strings.Contains(r.Header.Get("Content-Type"), "text/html") {
				checkNoActiveContent(t, r.Body)
			}
		}
		if cc := pages["question"].Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("signed-in page Cache-Control %q", cc)
		}
	})
}

func checkSecurityHeaders(t *testing.T, page string, h http.Header) {
	t.Helper()
	csp := map[string]string{}
	for _, d := range strings.Split(h.Get("Content-Security-Policy"), ";") {
		if name, value, _ := strings.Cut(strings.TrimSpace(d), " "); name != "" {
			csp[name] = value
		}
	}
	script, ok := csp["script-src"]
	if !ok {
		script, ok = csp["default-src"]
	}
	if !ok || strings.Contains(script, "'unsafe-inline'") || strings.Contains(script, "'unsafe-eval'") || strings.Contains(script, "*") {
		t.Errorf("%s: script-src %q", page, script)
	}
	if csp["frame-ancestors"] != "'none'" {
		t.Errorf("%s: frame-ancestors %q", page, csp["frame-ancestors"])
	}
	if csp["object-src"] != "'none'" {
		t.Errorf("%s: object-src %q", page, csp["object-src"])
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", page, got)
	}
	switch rp := h.Get("Referrer-Policy"); rp {
	case "no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin":
	default:
		t.Errorf("%s: Referrer-Policy %q", page, rp)
	}
}

// cookieFrom finds the cookie name set by r.
func cookieFrom(r response, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestCookieFlags: session, CSRF and language cookies are HttpOnly and
// SameSite=Lax, and Secure when the public URL is https.
func TestCookieFlags(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		t.Run("http", func(t *testing.T) { checkCookieFlags(t, ts.client(), false) })
		t.Run("https", func(t *testing.T) {
			tls := ts.variant(t, true, func(c *Config) { c.BaseURL = "https://localhost" })
			checkCookieFlags(t, tls.tlsClient, true)
		})
	})
}

func checkCookieFlags(t *testing.T, c *client, secure bool) {
	t.Helper()
	first := c.get("/signin")
	r := c.sendForm("POST", "/dev/signin", url.Values{"handle": {"asha"}}, c.token(), c.ts.URL)
	mustStatus(t, r, http.StatusSeeOther)
	lang := c.sendForm("POST", "/locale", url.Values{"lang": {"hi"}}, c.token(), c.ts.URL)
	mustStatus(t, lang, http.StatusSeeOther)
	out := c.sendForm("POST", "/signout", url.Values{}, c.token(), c.ts.URL)
	mustStatus(t, out, http.StatusSeeOther)
	for _, ck := range []struct {
		what string
		r    response
		name string
	}{{"CSRF cookie", first, "cc_csrf"}, {"session cookie", r, sessionCookie}, {"language cookie", lang, "lang"}, {"session cookie cleared", out, sessionCookie}} {
		got := cookieFrom(ck.r, ck.name)
		if got == nil {
			t.Errorf("%s %s not set", ck.what, ck.name)
			continue
		}
		if !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Secure != secure || got.Path != "/" {
			t.Errorf("%s: HttpOnly=%v SameSite=%v Secure=%v Path=%q; want HttpOnly, Lax, Secure=%v, /",
				ck.what, got.HttpOnly, got.SameSite, got.Secure, got.Path, secure)
		}
	}
	if s := cookieFrom(r, sessionCookie); s != nil && len(s.Value) < 40 {
		t.Errorf("session token of %d characters", len(s.Value))
	}
}

// variantServer is ts's app served under a changed configuration.
type variantServer struct {
	*testServer
	tlsClient *client
}

// variant serves ts's app (same database and Redis) with a changed
// configuration on a new loopback server, over TLS when tls is true.
func (ts *testServer) variant(t *testing.T, tls bool, change func(*Config)) *variantServer {
	t.Helper()
	a := *ts.App
	change(&a.Cfg)
	srv := httptest.NewUnstartedServer(a.Handler())
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	v := &variantServer{testServer: &testServer{t: t, URL: srv.URL, App: &a}}
	if tls {
		hc := srv.Client()
		hc.Jar, _ = cookiejar.New(nil)
		hc.Timeout = 30 * time.Second
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		v.tlsClient = &client{ts: v.testServer, http: hc}
	}
	return v
}

// cookie returns the value of c's cookie name ("" when unset).
func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.ts.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// withSession returns a new browser that holds only the session cookie.
func (ts *testServer) withSession(token string) *client {
	c := ts.client()
	u, _ := url.Parse(ts.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: token, Path: "/"}})
	return c
}

// signedIn reports whether c's session is live.
func (c *client) signedIn() bool {
	c.ts.t.Helper()
	switch r := c.get("/settings"); r.Status {
	case http.StatusOK:
		return true
	case http.StatusUnauthorized:
		return false
	default:
		c.ts.t.Fatalf("/settings: status %d", r.Status)
		return false
	}
}

// TestSessionLifecycle: a session is regenerated at sign-in, and sign-out
// (here or everywhere) ends sessions on the server, not just the cookie.
func TestSessionLifecycle(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		t.Run("regenerated at sign-in", func(t *testing.T) {
			c := ts.client()
			// A session fixed by an attacker before sign-in is not adopted.
			c.http.Jar.SetCookies(mustURL(ts.URL), []*http.Cookie{{Name: sessionCookie, Value: "attacker-chosen-value", Path: "/"}})
			c.signIn("asha")
			first := c.cookie(sessionCookie)
			if first == "" || first == "attacker-chosen-value" {
				t.Fatalf("session cookie after sign-in: %q", first)
			}
			c.signIn("asha")
			second := c.cookie(sessionCookie)
			if second == "" || second == first {
				t.Fatalf("session not regenerated at the second sign-in (%q)", second)
			}
			if ts.withSession(first).signedIn() {
				t.Error("the session from before sign-in still works")
			}
			if !ts.withSession(second).signedIn() {
				t.Error("the new session does not work")
			}
		})
		t.Run("sign out", func(t *testing.T) {
			c := ts.client()
			c.signIn("omar")
			token := c.cookie(sessionCookie)
			mustStatus(t, c.post("/signout", nil), http.StatusSeeOther)
			if c.cookie(sessionCookie) != "" {
				t.Error("sign-out left the cookie")
			}
			if ts.withSession(token).signedIn() {
				t.Error("a replayed cookie is still signed in after sign-out")
			}
		})
		t.Run("sign out everywhere", func(t *testing.T) {
			phone, laptop, other := ts.client(), ts.client(), ts.client()
			phone.signIn("priya")
			laptop.signIn("priya")
			other.signIn("quinn")
			phoneToken := phone.cookie(sessionCookie)
			mustStatus(t, laptop.post("/signout/everywhere", nil), http.StatusSeeOther)
			if phone.signedIn() || laptop.signedIn() || ts.withSession(phoneToken).signedIn() {
				t.Error("a session of the user survived sign-out everywhere")
			}
			if !other.signedIn() {
				t.Error("another user's session ended too")
			}
		})
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestDevSignInGate: the development sign-in exists only in development,
// on a loopback address, unless turned off; its banner shows only then.
func TestDevSignInGate(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		if r := ts.client().get("/"); !strings.Contains(r.Body, "Development mode") {
			t.Error("no development banner while the dev sign-in is on")
		}
		mustStatus(t, ts.client().get("/dev/signin"), http.StatusOK)
		for name, change := range map[string]func(*Config){
			"CROWDCARE_DEV_LOGIN=off": func(c *Config) { c.DevLogin = "off" },
			"production":              func(c *Config) { c.Env = "production" },
			"listening on 0.0.0.0":    func(c *Config) { c.Addr = "0.0.0.0:8080" },
			"public base URL":         func(c *Config) { c.BaseURL = "https://help.example" },
		} {
			t.Run(name, func(t *testing.T) {
				v := ts.variant(t, false, change)
				c := v.client()
				checkErrorPage(t, c.get("/dev/signin"), http.StatusNotFound)
				// Behind an https base URL the CSRF check wants an https origin.
				origin := v.URL
				if v.App.Cfg.SecureCookies() {
					origin = strings.Replace(origin, "http://", "https://", 1)
				}
				noWrite(t, ts, func() {
					r := c.sendForm("POST", "/dev/signin", url.Values{"handle": {"intruder"}, "role": {"admin"}}, c.token(), origin)
					checkErrorPage(t, r, http.StatusNotFound)
				})
				for _, path := range []string{"/", "/signin"} {
					body := c.get(path).Body
					if strings.Contains(body, "Development mode") || strings.Contains(body, "/dev/signin") {
						t.Errorf("%s mentions the development sign-in", path)
					}
				}
			})
		}
	})
}

// TestDevLoginEnabled covers the rule itself for settings a test server
// cannot take (production needs its own database and secret).
func TestDevLoginEnabled(t *testing.T) {
	cases := []struct {
		env, addr, base, dev string
		want                 bool
	}{
		{"development", "localhost:8080", "", "auto", true},
		{"development", "127.0.0.1:8080", "", "auto", true},
		{"development", "127.0.0.2:0", "", "auto", true},
		{"development", "[::1]:8080", "", "auto", true},
		{"development", "localhost:8080", "", "off", false},
		{"production", "localhost:8080", "", "auto", false},
		{"production", "127.0.0.1:8080", "", "auto", false},
		{"development", "0.0.0.0:8080", "", "auto", false},
		{"development", ":8080", "", "auto", false},
		{"development", "[::]:8080", "", "auto", false},
		{"development", "192.168.1.20:8080", "", "auto", false},
		{"development", "crowdcare.example:8080", "", "auto", false},
		{"development", "localhost", "", "auto", false},
		// Behind a proxy: loopback listener, public address.
		{"development", "127.0.0.1:8080", "https://help.example", "auto", false},
	}
	for _, tc := range cases {
		base := tc.base
		if base == "" {
			base = "http://" + tc.addr
		}
		c := Config{Env: tc.env, Addr: tc.addr, BaseURL: base, DevLogin: tc.dev}
		if got := c.DevLoginEnabled(); got != tc.want {
			t.Errorf("env=%s addr=%s base=%s dev=%s: DevLoginEnabled=%v, want %v", tc.env, tc.addr, base, tc.dev, got, tc.want)
		}
	}
	// A complete production configuration, as LoadConfig reads it.
	env := map[string]string{"CROWDCARE_ENV": "production", "CROWDCARE_ADDR": "127.0.0.1:8080",
		"DATABASE_URL": "postgres://u@db/crowdcare", "REDIS_URL": "redis://redis:6379/0",
		"CROWDCARE_SECRET": strings.Repeat("s", 32), "CROWDCARE_BASE_URL": "https://help.example"}
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DevLoginEnabled() {
		t.Error("dev sign-in enabled in production")
	}
	if !cfg.SecureCookies() {
		t.Error("https base URL without Secure cookies")
	}
}

var devSignInLink = regexp.MustCompile(`href="/dev/signin\?next=([^"]*)"`)

func unescape(s string) string {
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// TestNoOpenRedirect: a next parameter can only lead to a path on this site.
func TestNoOpenRedirect(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		hostile := []string{"//evil.example", "https://evil.example", "http://evil.example/x", "/\\evil.example",
			"\\\\evil.example", "/\t/evil.example", "/\n/evil.example", "/ /evil.example", "javascript:alert(1)",
			"evil.example", "///evil.example", "/\\/evil.example", "https:/\\evil.example"}
		for _, next := range hostile {
			c := ts.client()
			r := c.post("/dev/signin", url.Values{"handle": {"asha"}, "next": {next}})
			if r.Status != http.StatusSeeOther || r.Location != "/" {
				t.Errorf("sign-in with next=%q: status %d, Location %q", next, r.Status, r.Location)
			}
			r = c.post("/locale", url.Values{"lang": {"en"}, "next": {next}})
			if r.Status != http.StatusSeeOther || r.Location != "/" {
				t.Errorf("language with next=%q: status %d, Location %q", next, r.Status, r.Location)
			}
			page := c.get("/signin?next=" + url.QueryEscape(next))
			if m := devSignInLink.FindStringSubmatch(page.Body); m == nil || unescape(m[1]) != "/" {
				t.Errorf("sign-in page with next=%q: link %q", next, m)
			}
		}
		// A path on this site is kept.
		r := ts.client().post("/dev/signin", url.Values{"handle": {"asha"}, "next": {"/search?q=e-301"}})
		if r.Location != "/search?q=e-301" {
			t.Errorf("next=/search?q=e-301 led to %q", r.Location)
		}
	})
}

// TestOperationalEndpoints: health, readiness and metrics.
func TestOperationalEndpoints(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		c := ts.client()
		r := c.get("/healthz")
		mustStatus(t, r, http.StatusOK)
		var health map[string]string
		if err := json.Unmarshal([]byte(r.Body), &health); err != nil || health["status"] != "ok" {
			t.Errorf("/healthz body %q: %v", r.Body, err)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("/healthz Content-Type %q", ct)
		}
		r = c.get("/readyz")
		mustStatus(t, r, http.StatusOK)
		var ready map[string]string
		if err := json.Unmarshal([]byte(r.Body), &ready); err != nil || ready["database"] != "ok" || ready["redis"] != "ok" {
			t.Errorf("/readyz body %q: %v", r.Body, err)
		}
		c.get("/q/999999")
		r = c.get("/metrics")
		mustStatus(t, r, http.StatusOK)
		for _, want := range []string{"crowdcare_http_requests_total", `route="/q/:id"`, `status="404"`, "crowdcare_http_request_duration_seconds", "crowdcare_outbox_backlog"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}

// TestReadyzReportsAnOutage: with Redis gone, /readyz says so with 503.
func TestReadyzReportsAnOutage(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := "redis://" + ln.Addr().String() + "/0"
		ln.Close()
		a := *ts.App
		a.Cfg.RedisURL = dead
		if err := a.connectRedis(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.client.Close(); a.redis.Close() })
		srv := httptest.NewServer(a.Handler())
		defer srv.Close()
		resp, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ready map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&ready)
		if resp.StatusCode != http.StatusServiceUnavailable || ready["redis"] == "ok" || ready["database"] != "ok" {
			t.Errorf("/readyz with Redis down: %d %v", resp.StatusCode, ready)
		}
	})
}
