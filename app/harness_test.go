package app

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crowdcare/crowdcare/internal/testenv"
)

// testServer is the real Crowdcare web server and worker, listening on a
// random loopback port, backed by a fresh database of one backend.
type testServer struct {
	t   *testing.T
	URL string
	App *App
}

// startServer starts the app the way `crowdcare serve` does, on port 0.
func startServer(t *testing.T, backend testenv.Backend) *testServer {
	t.Helper()
	return startServerWith(t, backend, nil)
}

// startServerWith is startServer with more settings (extra wins over the
// defaults). The base URL is the real listening address, which sign-in
// callback URLs are built from.
func startServerWith(t *testing.T, backend testenv.Backend, extra map[string]string) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dsn := testenv.DSN(t, backend)
	env := map[string]string{
		"CROWDCARE_ADDR":            "127.0.0.1:0",
		"CROWDCARE_DATA_DIR":        t.TempDir(),
		"CROWDCARE_QUEUE":           testenv.QueueName(),
		"CROWDCARE_OUTBOX_INTERVAL": "50ms",
		"CROWDCARE_POSTING_LIMITS":  "off", // safety_test.go turns them on
		"CROWDCARE_LOG_LEVEL":       "warn",
		"REDIS_URL":                 testenv.RedisURL(t),
		"CROWDCARE_BASE_URL":        "http://" + ln.Addr().String(),
	}
	if backend == testenv.Postgres {
		env["DATABASE_URL"] = dsn
	} else {
		env["CROWDCARE_DATA_DIR"] = strings.TrimSuffix(dsn, "/test.db")
	}
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	if backend == testenv.SQLite {
		// LoadConfig derives the SQLite path from the data directory.
		cfg.DataDir = strings.TrimSuffix(dsn, "/test.db")
	}
	a, err := New(context.Background(), cfg, NewLogger(io.Discard, "warn"), true)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = a.ServeWeb(ctx, ln) }()
	go func() { defer wg.Done(); _ = a.RunWorker(ctx) }()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		a.Close()
	})
	ts := &testServer{t: t, URL: "http://" + ln.Addr().String(), App: a}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(ts.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not become healthy: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ts
}

// forEachServer runs f against a server on every backend under test.
func forEachServer(t *testing.T, f func(t *testing.T, ts *testServer)) {
	for _, b := range testenv.Backends() {
		t.Run(string(b), func(t *testing.T) { f(t, startServer(t, b)) })
	}
}

// client is one browser: its own cookies and CSRF token.
type client struct {
	ts   *testServer
	http *http.Client
}

func (ts *testServer) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{ts: ts, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// response is a finished request.
type response struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

func (c *client) do(req *http.Request) response {
	c.ts.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.ts.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: string(b), Location: resp.Header.Get("Location"), Header: resp.Header}
}

func (c *client) get(path string) response {
	c.ts.t.Helper()
	req, _ := http.NewRequest("GET", c.ts.URL+path, nil)
	return c.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// token returns a CSRF token valid for this client's cookie.
func (c *client) token() string {
	c.ts.t.Helper()
	r := c.get("/search")
	m := csrfField.FindStringSubmatch(r.Body)
	if m == nil {
		c.ts.t.Fatalf("no CSRF token on /search (status %d)", r.Status)
	}
	return m[1]
}

// post submits a form with a valid CSRF token.
func (c *client) post(path string, form url.Values) response {
	c.ts.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", c.token())
	return c.postRaw(path, form)
}

// postRaw submits a form as it is, without adding a token.
func (c *client) postRaw(path string, form url.Values) response {
	c.ts.t.Helper()
	req, _ := http.NewRequest("POST", c.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// signIn signs this client in through the development sign-in, creating the
// user (with roles) on first use.
func (c *client) signIn(handle string, roles ...string) {
	c.ts.t.Helper()
	form := url.Values{"handle": {handle}, "role": roles}
	r := c.post("/dev/signin", form)
	if r.Status != http.StatusSeeOther {
		c.ts.t.Fatalf("sign in %s: status %d\n%s", handle, r.Status, r.Body)
	}
}

// mustStatus fails the test unless r has the wanted status.
func mustStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.Status != want {
		body := r.Body
		if len(body) > 2000 {
			body = body[:2000]
		}
		t.Fatalf("status %d, want %d\n%s", r.Status, want, body)
	}
}
