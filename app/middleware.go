package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/csrf"

	"github.com/crowdcare/crowdcare/models"
)

type ctxKey int

const requestIDKey ctxKey = iota

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

func requestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// statusWriter remembers the status code for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withRequestLog gives every request an id (kept from X-Request-Id when it
// looks sane), echoes it, recovers panics and writes one JSON log line.
func withRequestLog(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !requestIDPattern.MatchString(id) {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.Error("panic", "panic", p, "request_id", id, "path", r.URL.Path)
				if sw.status == 0 {
					http.Error(sw, "internal error", http.StatusInternalServerError)
				}
			}
			if r.URL.Path == "/healthz" || r.URL.Path == "/metrics" {
				return
			}
			logger.Info("request", "request_id", id, "method", r.Method, "path", r.URL.Path,
				"status", sw.status, "bytes", sw.bytes, "duration_ms", float64(time.Since(start).Microseconds())/1000,
				"remote", r.RemoteAddr)
		}()
		next.ServeHTTP(sw, r)
	})
}

// MaxBodyBytes bounds every request body; a larger one gets 413.
const MaxBodyBytes = 1 << 20

// withSecurity sets the security headers and bounds request bodies.
// formTargets are the origins besides ours that a form submission may be
// redirected to (the sign-in providers, when linking an account): browsers
// apply form-action to every redirect after a submission.
func withSecurity(formTargets []string, next http.Handler) http.Handler {
	csp := "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; object-src 'none'; base-uri 'self'; form-action " +
		strings.Join(append([]string{"'self'"}, formTargets...), " ") + "; frame-ancestors 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if r.ContentLength > MaxBodyBytes {
			tooLarge(w)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		if r.ContentLength < 0 {
			// A chunked body's size is only known once read. Read it here,
			// or the CSRF check, the first to parse the form, would report
			// an oversized form as a missing token (403, not 413).
			b, err := io.ReadAll(r.Body)
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				tooLarge(w)
				return
			}
			if err != nil {
				http.Error(w, "could not read the request", http.StatusBadRequest)
				return
			}
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		}
		next.ServeHTTP(w, r)
	})
}

func tooLarge(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Connection", "close")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	_, _ = w.Write([]byte("<!doctype html><title>Request too large</title><h1>Request too large</h1><p>The most a form may send is 1 MB.</p>"))
}

// withCSRF protects every state-changing request with gorilla/csrf. Plain
// HTTP (development) is marked as such so the origin check uses http.
func (s *server) withCSRF(next http.Handler) http.Handler {
	protect := csrf.Protect(s.secret[:32],
		csrf.Secure(s.cfg.SecureCookies()),
		csrf.HttpOnly(true),
		csrf.SameSite(csrf.SameSiteLaxMode),
		csrf.Path("/"),
		csrf.CookieName("cc_csrf"),
		csrf.FieldName("csrf_token"),
		csrf.ErrorHandler(http.HandlerFunc(s.csrfFailed)),
	)(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil && !s.cfg.SecureCookies() {
			r = csrf.PlaintextHTTPRequest(r)
		}
		protect.ServeHTTP(w, r)
	})
}

func (s *server) csrfFailed(w http.ResponseWriter, r *http.Request) {
	s.logger.Warn("csrf rejected", "reason", csrf.FailureReason(r), "path", r.URL.Path, "request_id", requestID(r.Context()))
	s.metrics.requests.WithLabelValues(r.Method, "csrf_rejected", "403").Inc()
	c, _ := gin.CreateTestContext(w)
	c.Request = r
	s.loadUser(c)
	s.errorPage(c, http.StatusForbidden, "error.csrf")
}

const sessionCookie = "cc_session"

// loadUser puts the signed-in user, if any, into the gin context.
func (s *server) loadUser(c *gin.Context) {
	token, err := c.Cookie(sessionCookie)
	if err != nil || token == "" {
		return
	}
	u, err := models.UserBySession(c.Request.Context(), s.db, token)
	if errors.Is(err, models.ErrNotFound) {
		s.clearSessionCookie(c)
		return
	}
	if err != nil {
		s.logger.Error("load session", "err", err)
		return
	}
	c.Set("user", u)
}

func currentUser(c *gin.Context) *models.User {
	if v, ok := c.Get("user"); ok {
		u, _ := v.(*models.User)
		return u
	}
	return nil
}

func (s *server) setSessionCookie(c *gin.Context, token string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", MaxAge: int(models.SessionTTL.Seconds()),
		HttpOnly: true, Secure: s.cfg.SecureCookies(), SameSite: http.SameSiteLaxMode})
}

func (s *server) clearSessionCookie(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.cfg.SecureCookies(), SameSite: http.SameSiteLaxMode})
}

// requireUser sends visitors to sign in.
func (s *server) requireUser(c *gin.Context) {
	if currentUser(c) == nil {
		s.errorPage(c, http.StatusUnauthorized, "error.signin_required")
		return
	}
	c.Next()
}

// requireRole lets only holders of role r through.
func (s *server) requireRole(r models.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := currentUser(c)
		if u == nil {
			s.errorPage(c, http.StatusUnauthorized, "error.signin_required")
			return
		}
		if !u.HasRole(r) {
			s.errorPage(c, http.StatusForbidden, "error.forbidden")
			return
		}
		c.Next()
	}
}

func (s *server) localizer(c *gin.Context) *Localizer {
	if v, ok := c.Get("l10n"); ok {
		return v.(*Localizer)
	}
	saved := ""
	if u := currentUser(c); u != nil {
		saved = u.Locale
	}
	ck, _ := c.Cookie("lang")
	l := newLocalizer(s.bundle, pickLocale(saved, ck, c.GetHeader("Accept-Language")), s.logger)
	c.Set("l10n", l)
	return l
}
