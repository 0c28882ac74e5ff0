package app

import (
	"context"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Rate limits per client IP and route group. A person signing in makes one
// request of each group; twenty a minute leaves room for retries and a
// shared office network while stopping a script. The development sign-in
// only ever answers on a loopback address, where every browser and test
// client of the developer shares one IP, so it allows more.
var (
	signInLimit    = redis_rate.PerMinute(20)
	devSignInLimit = redis_rate.PerMinute(120)
)

// rateCheckTimeout bounds one check, so a Redis that hangs delays a sign-in
// by at most this much before the limiter gives up and lets it through.
const rateCheckTimeout = 500 * time.Millisecond

// rateBackoff is how long the limiter leaves Redis alone after a failure,
// so an outage costs one slow request and one warning, not one per request.
const rateBackoff = 5 * time.Second

// rateLimiter counts requests in Redis, so every web process behind a load
// balancer shares the same counts.
type rateLimiter struct {
	limiter *redis_rate.Limiter
	// prefix keeps the keys of deployments sharing a Redis apart; it is
	// the queue name, which already namespaces this deployment's jobs.
	prefix string
	logger *slog.Logger
	// downUntil (Unix nanoseconds) is when to try Redis again after a failure.
	downUntil atomic.Int64
}

func newRateLimiter(rdb redis.UniversalClient, prefix string, logger *slog.Logger) *rateLimiter {
	if rdb == nil {
		return nil
	}
	return &rateLimiter{limiter: redis_rate.NewLimiter(rdb), prefix: prefix, logger: logger}
}

// allow reports whether one more request of group from ip is allowed and,
// when it is not, how long to wait. A Redis failure allows the request: a
// sign-in that works without a limit beats a forum nobody can enter.
func (l *rateLimiter) allow(ctx context.Context, group, ip string, limit redis_rate.Limit) (bool, time.Duration) {
	if l == nil || time.Now().UnixNano() < l.downUntil.Load() {
		return true, 0
	}
	ctx, cancel := context.WithTimeout(ctx, rateCheckTimeout)
	defer cancel()
	type answer struct {
		res *redis_rate.Result
		err error
	}
	// The queue's Redis client is built without ContextTimeoutEnabled, so
	// it ignores ctx's deadline on a connection that hangs; waiting here
	// bounds the request, and the abandoned call ends at the client's own
	// read timeout.
	done := make(chan answer, 1)
	go func() {
		res, err := l.limiter.Allow(ctx, l.prefix+":"+group+":"+ip, limit)
		done <- answer{res, err}
	}()
	var a answer
	select {
	case a = <-done:
	case <-ctx.Done():
		a.err = ctx.Err()
	}
	if a.err != nil {
		l.downUntil.Store(time.Now().Add(rateBackoff).UnixNano())
		l.logger.WarnContext(ctx, "rate limiter unavailable, allowing requests", "group", group, "err", a.err, "retry_in", rateBackoff.String())
		return true, 0
	}
	return a.res.Allowed > 0, a.res.RetryAfter
}

// clientIP is the address the request came from. X-Forwarded-For is not
// trusted: anyone can send it. Behind a reverse proxy every visitor shares
// the proxy's address; trusting the header from known proxies needs a
// setting such as CROWDCARE_TRUSTED_PROXIES, which does not exist yet.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// rateKey is the part of a client address a limit counts: the address for
// IPv4, the /64 network for IPv6, since one subscriber commonly holds a
// whole /64 and could otherwise change address at every request.
func rateKey(ip string) string {
	a := net.ParseIP(ip)
	if a == nil || a.To4() != nil {
		return ip
	}
	return a.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// rateLimit refuses more than limit requests of group per client IP with
// 429 and a Retry-After header.
func (s *server) rateLimit(group string, limit redis_rate.Limit) gin.HandlerFunc {
	return func(c *gin.Context) {
		ok, wait := s.limiter.allow(c.Request.Context(), group, rateKey(clientIP(c.Request)), limit)
		if ok {
			c.Next()
			return
		}
		secs := int(math.Ceil(wait.Seconds()))
		if secs < 1 {
			secs = 1
		}
		s.logger.WarnContext(c.Request.Context(), "rate limited", "group", group, "ip", clientIP(c.Request),
			"retry_after_s", secs, "request_id", requestID(c.Request.Context()))
		c.Header("Retry-After", strconv.Itoa(secs))
		s.errorPage(c, http.StatusTooManyRequests, "error.rate_limited")
	}
}
