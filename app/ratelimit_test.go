package app

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/go-redis/redis_rate/v10"
	"github.com/oauth2-proxy/mockoidc"
	"github.com/redis/go-redis/v9"

	"github.com/crowdcare/crowdcare/internal/testenv"
)

// clientFrom is a browser whose requests come from another loopback
// address, as another visitor's would.
func (ts *testServer) clientFrom(ip string) *client {
	c := ts.client()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c.http.Transport = &http.Transport{DialContext: d.DialContext}
	return c
}

// mustBeLimited checks a 429 answer: the page, and a Retry-After within
// the limit's period.
func mustBeLimited(t *testing.T, what string, r response, l redis_rate.Limit) {
	t.Helper()
	if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "Too many attempts") {
		t.Fatalf("%s: status %d, want 429 with an explanation\n%.1000s", what, r.Status, r.Body)
	}
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > l.Period {
		t.Errorf("%s: Retry-After %q, want 1 to %v seconds", what, r.Header.Get("Retry-After"), l.Period.Seconds())
	}
}

// TestSignInRateLimit: each sign-in route group allows its burst per client
// IP, then answers 429 with Retry-After; another IP and another group are
// counted apart.
func TestSignInRateLimit(t *testing.T) {
	forEachOIDCServer(t, nil, func(t *testing.T, ts *testServer, m *mockoidc.MockOIDC) {
		c := ts.client()
		for i := 0; i < signInLimit.Burst; i++ {
			mustStatus(t, c.get("/auth/oidc"), http.StatusSeeOther)
		}
		r := c.get("/auth/oidc")
		mustBeLimited(t, "begin", r, signInLimit)
		if cookieFrom(r, flowCookie) != nil {
			t.Error("a refused begin still set a state cookie")
		}
		// The whole group is closed for this IP, whichever provider it names.
		mustBeLimited(t, "begin of another provider", c.get("/auth/nope"), signInLimit)
		// Another visitor is not affected.
		mustStatus(t, ts.clientFrom("127.0.0.2").get("/auth/oidc"), http.StatusSeeOther)

		// The callback and the sign-up are limited on their own.
		for i := 0; i < signInLimit.Burst; i++ {
			mustStatus(t, c.get("/auth/oidc/callback?state=x&code=y"), http.StatusBadRequest)
		}
		mustBeLimited(t, "callback", c.get("/auth/oidc/callback?state=x&code=y"), signInLimit)
		tok := c.token()
		for i := 0; i < signInLimit.Burst; i++ {
			mustStatus(t, c.sendForm(http.MethodPost, "/signup", url.Values{"handle": {"x"}}, tok, ""), http.StatusBadRequest)
		}
		mustBeLimited(t, "sign-up", c.sendForm(http.MethodPost, "/signup", url.Values{"handle": {"x"}}, tok, ""), signInLimit)
		// A real sign-in from another address goes through.
		ts.clientFrom("127.0.0.3").signUp(m, &oidcUser{Sub: "r1", Username: "rita"})
	})
}

// TestDevSignInRateLimit: the development sign-in is limited too.
func TestDevSignInRateLimit(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		c := ts.client()
		tok := c.token()
		for i := 0; i < devSignInLimit.Burst; i++ {
			mustStatus(t, c.sendForm(http.MethodPost, "/dev/signin", url.Values{"handle": {"asha"}}, tok, ""), http.StatusSeeOther)
		}
		// The allowance refills at 2 a second: on a loaded machine the
		// burst takes long enough that a few more get through. A handful
		// more must then hit the limit.
		r := c.sendForm(http.MethodPost, "/dev/signin", url.Values{"handle": {"asha"}}, tok, "")
		for i := 0; i < 20 && r.Status == http.StatusSeeOther; i++ {
			r = c.sendForm(http.MethodPost, "/dev/signin", url.Values{"handle": {"asha"}}, tok, "")
		}
		mustBeLimited(t, "dev sign-in", r, devSignInLimit)
	})
}

// TestRateLimitFailsOpen: with Redis gone, signing in still works, end to
// end through the provider.
func TestRateLimitFailsOpen(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(string(b), func(t *testing.T) {
			rd := miniredis.RunT(t)
			m := startIDP(t)
			ts := startServerWith(t, b, idpEnv(m, map[string]string{"REDIS_URL": "redis://" + rd.Addr() + "/0"}))
			c := ts.client()
			rd.Close()
			// Back before the server stops, which waits for the queue's Redis.
			t.Cleanup(func() { _ = rd.Restart() })
			start := time.Now()
			c.signUp(m, &oidcUser{Sub: "d1", Username: "dora"})
			if !c.signedIn() {
				t.Fatal("not signed in")
			}
			// The first check waits rateCheckTimeout at most; the next ones
			// skip Redis while it is known to be down.
			if d := time.Since(start); d > rateCheckTimeout+time.Second {
				t.Errorf("signing in with Redis down took %v", d)
			}
		})
	}
}

// TestRateLimiterUnavailable: a Redis that refuses connections, or accepts
// and never answers, lets the request through within the check's timeout
// and logs a warning.
func TestRateLimiterUnavailable(t *testing.T) {
	hung, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hung.Close() })
	go func() {
		for {
			conn, err := hung.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
		}
	}()
	for name, addr := range map[string]string{"refused": "127.0.0.1:1", "hung": hung.Addr().String()} {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			rdb := redis.NewClient(&redis.Options{Addr: addr})
			t.Cleanup(func() { rdb.Close() })
			l := newRateLimiter(rdb, "t", NewLogger(&logs, "warn"))
			start := time.Now()
			ok, _ := l.allow(context.Background(), "signin", "192.0.2.1", signInLimit)
			if d := time.Since(start); !ok || d > rateCheckTimeout+time.Second {
				t.Errorf("allowed %v after %v; want allowed within %v", ok, d, rateCheckTimeout)
			}
			if !strings.Contains(logs.String(), "rate limiter unavailable") {
				t.Errorf("no warning logged: %s", logs.String())
			}
			// Until the back-off ends, Redis is not asked again.
			start = time.Now()
			ok, _ = l.allow(context.Background(), "signin", "192.0.2.1", signInLimit)
			if d := time.Since(start); !ok || d > 50*time.Millisecond || strings.Count(logs.String(), "\n") != 1 {
				t.Errorf("during the back-off: allowed %v after %v, logs:\n%s", ok, d, logs.String())
			}
		})
	}
}

func TestRateKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":                 "192.0.2.7",
		"::ffff:192.0.2.7":          "::ffff:192.0.2.7",
		"2001:db8:1:2:aaaa::1":      "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff::9": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":           "2001:db8:1:3::/64",
		"not an address":            "not an address",
	} {
		if got := rateKey(in); got != want {
			t.Errorf("rateKey(%q) = %q, want %q", in, got, want)
		}
	}
	r := &http.Request{RemoteAddr: "[2001:db8::1]:5555"}
	if got := clientIP(r); got != "2001:db8::1" {
		t.Errorf("clientIP = %q", got)
	}
	r.Header = http.Header{"X-Forwarded-For": {"203.0.113.9"}}
	r.RemoteAddr = "192.0.2.1:1234"
	if got := clientIP(r); got != "192.0.2.1" {
		t.Errorf("clientIP trusted X-Forwarded-For: %q", got)
	}
}
