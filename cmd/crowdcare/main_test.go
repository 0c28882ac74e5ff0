package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/app"
	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
	"github.com/crowdcare/crowdcare/models/migrations"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "help"} {
		var out bytes.Buffer
		// Help needs no configuration, not even a valid one.
		if err := run(context.Background(), []string{arg}, envOf(map[string]string{"CROWDCARE_ADDR": "bad"}), &out); err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		for _, v := range app.ConfigVars {
			if !strings.Contains(out.String(), v.Name) {
				t.Errorf("%s: usage does not list %s", arg, v.Name)
			}
		}
		for _, cmd := range []string{"serve", "web", "worker", "migrate", "admin grant"} {
			if !strings.Contains(out.String(), cmd) {
				t.Errorf("%s: usage does not list the %s command", arg, cmd)
			}
		}
	}
}

func TestUnknownCommandAndFlag(t *testing.T) {
	env := envOf(map[string]string{"CROWDCARE_DATA_DIR": filepath.Join(t.TempDir(), "data")})
	var out bytes.Buffer
	err := run(context.Background(), []string{"frobnicate"}, env, &out)
	if err == nil || !strings.Contains(err.Error(), "frobnicate") {
		t.Fatalf("unknown command: %v", err)
	}
	if !strings.Contains(out.String(), "Usage:") {
		t.Error("unknown command does not print the usage")
	}
	for _, args := range [][]string{{"serve", "--frobnicate"}, {"admin"}, {"admin", "grant"}, {"admin", "revoke", "alice"}, {"admin", "demote", "alice", "admin"}, {"admin", "grant", "alice", "admin", "x"}} {
		if err := run(context.Background(), args, env, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// TestBadConfigFailsFast checks that a bad environment is refused before
// anything starts: no data directory, no listener, no database.
func TestBadConfigFailsFast(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	for _, cmd := range [][]string{nil, {"web"}, {"worker"}, {"migrate"}, {"admin", "grant", "alice", "admin"}} {
		start := time.Now()
		err := run(context.Background(), cmd, envOf(map[string]string{
			"CROWDCARE_DATA_DIR": dataDir, "CROWDCARE_ADDR": "127.0.0.1", "CROWDCARE_LOG_LEVEL": "chatty",
		}), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "CROWDCARE_ADDR") || !strings.Contains(err.Error(), "CROWDCARE_LOG_LEVEL") {
			t.Fatalf("%v: %v", cmd, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%v: refusing a bad config took %v", cmd, d)
		}
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("data directory created for a refused config: %v", err)
	}
}

// TestServeListenFailure checks that serve returns (and does not hang) when
// its port is taken.
func TestServeListenFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	errc := make(chan error, 1)
	go func() {
		errc <- run(context.Background(), nil, envOf(map[string]string{
			"CROWDCARE_ADDR": ln.Addr().String(), "CROWDCARE_DATA_DIR": t.TempDir(),
		}), io.Discard)
	}()
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "listen") {
			t.Fatalf("serve on a taken port: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve on a taken port did not return")
	}
}

// backendEnv returns the environment for running crowdcare against backend
// b: the embedded SQLite and Redis in dataDir, or a fresh PostgreSQL
// database and the test Redis.
func backendEnv(t *testing.T, b testenv.Backend, dataDir string) map[string]string {
	t.Helper()
	env := map[string]string{
		"CROWDCARE_ADDR":             "127.0.0.1:0",
		"CROWDCARE_DATA_DIR":         dataDir,
		"CROWDCARE_LOG_LEVEL":        "info",
		"CROWDCARE_QUEUE":            testenv.QueueName(),
		"CROWDCARE_OUTBOX_INTERVAL":  "50ms",
		"CROWDCARE_SHUTDOWN_TIMEOUT": "10s",
	}
	if b == testenv.Postgres {
		env["DATABASE_URL"] = testenv.DSN(t, testenv.Postgres)
		env["REDIS_URL"] = testenv.RedisURL(t)
	}
	return env
}

// openDB opens the database the program under env uses.
func openDB(t *testing.T, env map[string]string) *gorm.DB {
	t.Helper()
	dsn := env["DATABASE_URL"]
	if dsn == "" {
		dsn = filepath.Join(env["CROWDCARE_DATA_DIR"], "crowdcare.db")
		if _, err := os.Stat(dsn); err != nil {
			t.Fatalf("embedded database: %v", err)
		}
	}
	db, err := models.Open(dsn, models.OpenOptions{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { models.Close(db) })
	return db
}

func latestVersion(t *testing.T, d models.Dialect) int {
	t.Helper()
	ms, err := models.LoadMigrations(migrations.FS, d)
	if err != nil {
		t.Fatal(err)
	}
	return ms[len(ms)-1].Version
}

// TestServeEndToEnd starts the whole program as `crowdcare serve` does, on
// port 0, checks health, readiness and the JSON request log, then cancels it
// while a question is still being uploaded: the upload completes, the
// question is stored and run returns nil within the shutdown timeout.
func TestServeEndToEnd(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(string(b), func(t *testing.T) {
			env := backendEnv(t, b, t.TempDir())
			p := startProgram(t, env)

			health := mustGet(t, p.URL+"/healthz", nil)
			if health.StatusCode != http.StatusOK {
				t.Fatalf("/healthz: %d", health.StatusCode)
			}
			ready := mustGet(t, p.URL+"/readyz", nil)
			var checks map[string]string
			if err := json.Unmarshal(ready.body, &checks); err != nil || ready.StatusCode != http.StatusOK ||
				checks["database"] != "ok" || checks["redis"] != "ok" {
				t.Fatalf("/readyz: %d %s", ready.StatusCode, ready.body)
			}
			checkRequestLog(t, p)

			db := openDB(t, env)
			if _, err := models.CreateBoard(context.Background(), db, models.BoardInput{Slug: "printers", Name: "Printers", Visibility: models.VisibilityPublic}); err != nil {
				t.Fatal(err)
			}
			c := newBrowser(t, p.URL)
			c.signIn("asker")
			slow := c.startSlowAsk("Printer stuck during shutdown")

			cancelled := time.Now()
			p.cancel()
			p.waitLog(t, "web server stopping")
			status, location := slow.finish()
			if status != http.StatusSeeOther || !strings.HasPrefix(location, "/q/") {
				t.Fatalf("in-flight ask during shutdown: status %d, location %q", status, location)
			}
			if err := p.wait(t, 15*time.Second); err != nil {
				t.Fatalf("run returned %v", err)
			}
			if d := time.Since(cancelled); d > 10*time.Second {
				t.Errorf("shutdown took %v, longer than CROWDCARE_SHUTDOWN_TIMEOUT", d)
			} else {
				t.Logf("shutdown with a request in flight took %v", d.Round(time.Millisecond))
			}
			p.checkAllJSON(t)

			var n int64
			db.Model(&models.Question{}).Where("title = ?", "Printer stuck during shutdown").Count(&n)
			if n != 1 {
				t.Fatalf("question uploaded during shutdown stored %d times", n)
			}
			if b == testenv.SQLite {
				checkEmbeddedDatabase(t, env)
			}

			// The job for that question was left behind by the stopped
			// worker (and, embedded, by the in-memory queue): a restart
			// finishes it.
			startProgram(t, env)
			deadline := time.Now().Add(15 * time.Second)
			for {
				var tag models.Tag
				db.Where("name = ?", "printer").First(&tag)
				var undone int64
				db.Model(&models.OutboxMessage{}).Where("done_at IS NULL").Count(&undone)
				if tag.QuestionCount == 1 && undone == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after restart: tag count %d, %d outbox rows not done", tag.QuestionCount, undone)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// checkEmbeddedDatabase reopens the SQLite file the program left behind.
func checkEmbeddedDatabase(t *testing.T, env map[string]string) {
	t.Helper()
	path := filepath.Join(env["CROWDCARE_DATA_DIR"], "crowdcare.db")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("embedded database missing after exit: %v", err)
	}
	db, err := models.Open(path, models.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(db)
	v, err := models.SchemaVersion(context.Background(), db)
	if err != nil || v != latestVersion(t, models.SQLite) {
		t.Fatalf("schema version after exit: %d %v", v, err)
	}
}

// checkRequestLog sends a request with and without an X-Request-Id and
// finds both in the JSON log.
func checkRequestLog(t *testing.T, p *program) {
	t.Helper()
	r := mustGet(t, p.URL+"/boards", map[string]string{"X-Request-Id": "e2e-request-0001"})
	if r.StatusCode != http.StatusOK || r.Header.Get("X-Request-Id") != "e2e-request-0001" {
		t.Fatalf("/boards: %d, X-Request-Id %q", r.StatusCode, r.Header.Get("X-Request-Id"))
	}
	line := p.waitLog(t, "request", func(m map[string]any) bool { return m["request_id"] == "e2e-request-0001" })
	if line["path"] != "/boards" || line["method"] != "GET" || line["status"] != float64(200) || line["level"] != "INFO" {
		t.Errorf("request log line: %v", line)
	}
	r = mustGet(t, p.URL+"/search?q=nothing", nil)
	id := r.Header.Get("X-Request-Id")
	if len(id) < 8 {
		t.Fatalf("generated request id %q", id)
	}
	p.waitLog(t, "request", func(m map[string]any) bool { return m["request_id"] == id && m["path"] == "/search" })
}

// program is crowdcare running in this process.
type program struct {
	URL    string
	cancel context.CancelFunc
	done   chan error

	mu    sync.Mutex
	lines []string
	logs  []map[string]any
	seen  chan struct{} // closed and replaced whenever a line arrives
}

// startProgram runs `crowdcare serve` with env until the test ends and
// returns once it is listening.
func startProgram(t *testing.T, env map[string]string) *program {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	p := &program{cancel: cancel, done: make(chan error, 1), seen: make(chan struct{})}
	go p.readLogs(pr)
	go func() {
		err := run(ctx, nil, envOf(env), pw)
		pw.Close()
		p.done <- err
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			t.Error("program did not stop")
		}
	})
	line := p.waitLog(t, "web server listening")
	addr, _ := line["addr"].(string)
	if addr == "" || strings.HasSuffix(addr, ":0") {
		t.Fatalf("listening line without a real address: %v", line)
	}
	p.URL = "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(p.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz never answered 200: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readLogs keeps the pipe drained (a full pipe would block the logger) and
// records every line.
func (p *program) readLogs(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		_ = json.Unmarshal(sc.Bytes(), &m)
		p.mu.Lock()
		p.lines = append(p.lines, sc.Text())
		p.logs = append(p.logs, m)
		close(p.seen)
		p.seen = make(chan struct{})
		p.mu.Unlock()
	}
	_, _ = io.Copy(io.Discard, r)
}

// waitLog returns the first log line with message msg that matches every
// filter, waiting up to ten seconds for it.
func (p *program) waitLog(t *testing.T, msg string, filters ...func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		p.mu.Lock()
		seen := p.seen
		for _, m := range p.logs {
			if m == nil || m["msg"] != msg {
				continue
			}
			ok := true
			for _, f := range filters {
				ok = ok && f(m)
			}
			if ok {
				p.mu.Unlock()
				return m
			}
		}
		p.mu.Unlock()
		select {
		case <-seen:
		case <-deadline:
			p.mu.Lock()
			defer p.mu.Unlock()
			t.Fatalf("no log line %q after 10s; log:\n%s", msg, strings.Join(p.lines, "\n"))
		}
	}
}

// checkAllJSON checks that every line the program wrote is a JSON object
// with a time, a level and a message.
func (p *program) checkAllJSON(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, m := range p.logs {
		if m == nil || m["time"] == nil || m["level"] == nil || m["msg"] == nil {
			t.Errorf("log line %d is not structured JSON: %s", i, p.lines[i])
		}
	}
}

// wait returns run's result.
func (p *program) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		return err
	case <-time.After(timeout):
		t.Fatalf("run did not return within %v of cancel", timeout)
		return nil
	}
}

type fetched struct {
	*http.Response
	body []byte
}

func mustGet(t *testing.T, u string, header map[string]string) fetched {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fetched{resp, b}
}

// browser is one signed-in visitor with its cookies.
type browser struct {
	t    *testing.T
	base *url.URL
	http *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(base)
	return &browser{t: t, base: u, http: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (c *browser) token(path string) string {
	c.t.Helper()
	resp, err := c.http.Get(c.base.String() + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := csrfField.FindSubmatch(b)
	if m == nil {
		c.t.Fatalf("no CSRF token on %s (status %d)", path, resp.StatusCode)
	}
	return string(m[1])
}

func (c *browser) signIn(handle string) {
	c.t.Helper()
	form := url.Values{"handle": {handle}, "csrf_token": {c.token("/search")}}
	resp, err := c.http.PostForm(c.base.String()+"/dev/signin", form)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("dev sign-in: status %d", resp.StatusCode)
	}
}

// slowAsk is a POST /ask whose body has been half sent on a raw connection.
type slowAsk struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
	rest []byte
}

// startSlowAsk sends the headers and the first half of a question form,
// leaving the request in flight.
func (c *browser) startSlowAsk(title string) *slowAsk {
	c.t.Helper()
	form := url.Values{"csrf_token": {c.token("/ask")}, "board": {"printers"}, "title": {title},
		"body": {"It stopped mid-page. " + strings.Repeat("More detail. ", 50)}, "tags": {"printer"}}
	body := []byte(form.Encode())
	var cookies []string
	for _, ck := range c.http.Jar.Cookies(c.base) {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	conn, err := net.Dial("tcp", c.base.Host)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { conn.Close() })
	// Expect: 100-continue makes the server answer once a handler starts
	// reading the body, so the request is known to be in flight (not still
	// in the listen backlog, which a shutdown would reset) before the test
	// cancels the program.
	head := fmt.Sprintf("POST /ask HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: %d\r\nCookie: %s\r\nExpect: 100-continue\r\n\r\n", c.base.Host, len(body), strings.Join(cookies, "; "))
	if _, err := conn.Write([]byte(head)); err != nil {
		c.t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := br.ReadString('\n')
	if err != nil || !strings.Contains(line, "100") {
		c.t.Fatalf("want 100 Continue, got %q: %v", line, err)
	}
	if blank, err := br.ReadString('\n'); err != nil || strings.TrimSpace(blank) != "" {
		c.t.Fatalf("after 100 Continue: %q: %v", blank, err)
	}
	half := len(body) / 2
	if _, err := conn.Write(body[:half]); err != nil {
		c.t.Fatal(err)
	}
	return &slowAsk{t: c.t, conn: conn, br: br, rest: body[half:]}
}

// finish waits a moment (the server is shutting down meanwhile), sends the
// rest of the body and returns the response's status and Location.
func (s *slowAsk) finish() (int, string) {
	s.t.Helper()
	time.Sleep(300 * time.Millisecond)
	if _, err := s.conn.Write(s.rest); err != nil {
		s.t.Fatalf("finish the upload: %v", err)
	}
	_ = s.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(s.br, nil)
	if err != nil {
		s.t.Fatalf("read the response to the in-flight request: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// TestMigrateAndAdminCommands runs `crowdcare migrate` and `crowdcare admin
// grant` against each backend.
func TestMigrateAndAdminCommands(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(string(b), func(t *testing.T) {
			ctx := context.Background()
			env := backendEnv(t, b, t.TempDir())
			dialect := models.SQLite
			if b == testenv.Postgres {
				dialect = models.Postgres
			}
			for i := 0; i < 2; i++ { // a second run finds nothing to do
				var out bytes.Buffer
				if err := run(ctx, []string{"migrate"}, envOf(env), &out); err != nil {
					t.Fatalf("migrate: %v", err)
				}
				want := fmt.Sprintf("database is at schema version %d", latestVersion(t, dialect))
				if !strings.Contains(out.String(), want) {
					t.Fatalf("migrate printed %q, want %q", out.String(), want)
				}
			}
			db := openDB(t, env)
			if err := models.CreateUser(ctx, db, &models.User{Handle: "Alice"}); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := run(ctx, []string{"admin", "grant", "alice", "admin"}, envOf(env), &out); err != nil {
				t.Fatalf("grant: %v", err)
			}
			if !strings.Contains(out.String(), "Alice is now admin") {
				t.Errorf("grant printed %q", out.String())
			}
			if err := run(ctx, []string{"admin", "grant", "alice", "admin"}, envOf(env), io.Discard); err != nil {
				t.Fatalf("granting twice: %v", err)
			}
			u, err := models.UserByHandle(ctx, db, "alice")
			if err != nil || len(u.Roles) != 1 || u.Roles[0] != models.RoleAdmin {
				t.Fatalf("alice after grant: %+v %v", u, err)
			}

			err = run(ctx, []string{"admin", "grant", "nobody", "admin"}, envOf(env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), `"nobody"`) || !strings.Contains(err.Error(), "not found") {
				t.Errorf("grant to an unknown user: %v", err)
			}
			err = run(ctx, []string{"admin", "grant", "alice", "overlord"}, envOf(env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), `unknown role "overlord"`) {
				t.Errorf("grant of an unknown role: %v", err)
			}
			if err := run(ctx, []string{"admin", "grant", "alice", "member"}, envOf(env), io.Discard); err == nil {
				t.Error("granted member, which every user is and no one is granted")
			}
			u, _ = models.UserByHandle(ctx, db, "alice")
			if len(u.Roles) != 1 {
				t.Errorf("roles after refused grants: %v", u.Roles)
			}

			// ROLE defaults to admin; revoke takes a role away; each change
			// is audited with no actor (the operator, not a user).
			if err := models.CreateUser(ctx, db, &models.User{Handle: "bob"}); err != nil {
				t.Fatal(err)
			}
			if err := run(ctx, []string{"admin", "grant", "bob"}, envOf(env), io.Discard); err != nil {
				t.Fatalf("grant without a role: %v", err)
			}
			if u, _ := models.UserByHandle(ctx, db, "bob"); !u.HasRole(models.RoleAdmin) {
				t.Errorf("bob after grant without a role: %v", u.Roles)
			}
			out.Reset()
			if err := run(ctx, []string{"admin", "revoke", "alice", "admin"}, envOf(env), &out); err != nil || !strings.Contains(out.String(), "Alice is no longer admin") {
				t.Fatalf("revoke: %v %q", err, out.String())
			}
			if u, _ := models.UserByHandle(ctx, db, "alice"); len(u.Roles) != 0 {
				t.Errorf("alice after revoke: %v", u.Roles)
			}
			log, err := models.AuditLog(ctx, db, 0, 0, 10)
			if err != nil || len(log) != 3 {
				t.Fatalf("audit log: %+v %v", log, err)
			}
			for i, want := range []string{"role.revoke Alice", "role.grant bob", "role.grant Alice"} {
				if got := log[i].Action + " " + log[i].TargetHandle; got != want || log[i].ActorID != nil {
					t.Errorf("audit entry %d: %s (actor %v), want %s by the system", i, got, log[i].ActorID, want)
				}
			}
		})
	}
}
