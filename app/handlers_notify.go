package app

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/crowdcare/crowdcare/jobs"
	"github.com/crowdcare/crowdcare/models"
)

// notifyRoutes registers following, email preferences and the unsubscribe
// links of mails (which work without signing in).
func (s *server) notifyRoutes(r *gin.Engine, auth *gin.RouterGroup) {
	auth.POST("/follow", s.followSubmit)
	auth.GET("/settings/notifications", s.notifySettingsForm)
	auth.POST("/settings/notifications", s.notifySettingsSubmit)
	r.GET("/unsubscribe", s.unsubscribePage)
	r.POST("/unsubscribe", s.unsubscribeSubmit)
}

// jobDeps are the worker's dependencies: mails are written in the
// reader's language with the web's catalogues and carry links signed with
// the app's secret.
func (a *App) jobDeps(mailer jobs.Mailer) jobs.Deps {
	return jobs.Deps{DB: a.DB, Logger: a.Logger, Mailer: mailer, BaseURL: a.Cfg.BaseURL, Secret: a.secret, Text: a.mailText, ExportDir: a.Cfg.ExportDir()}
}

// mailText translates a mail's message.
func (a *App) mailText(lang, id string, args map[string]any) string {
	return newLocalizer(a.bundle, pickLocale(lang, "", ""), a.Logger).TArgs(id, args)
}

// followCtx is what the follow button partial needs.
type followCtx struct {
	P         *Page
	Type, Key string
	On        bool
}

// FollowButton is the follow/unfollow form of a board, tag or question.
func (p *Page) FollowButton(typ, key string, on bool) followCtx {
	return followCtx{P: p, Type: typ, Key: key, On: on}
}

// ShowDetail reports whether a notification's detail is shown below it.
func (p *Page) ShowDetail(n *models.NotificationView) bool {
	return n.Detail != "" && models.NotificationDetailShown(n.Kind)
}

// following reports whether the signed-in user follows the target; false
// for visitors (one query, for signed-in readers only).
func (s *server) following(c *gin.Context, typ string, id int64) bool {
	u := currentUser(c)
	if u == nil {
		return false
	}
	ok, err := models.IsFollowing(c.Request.Context(), s.db, u.ID, typ, id)
	if err != nil {
		s.logger.WarnContext(c.Request.Context(), "follow state", "err", err)
	}
	return ok
}

// followSubmit follows or unfollows (action) a board (slug), tag (name) or
// question (id), then goes back to next (a local path) or the target.
func (s *server) followSubmit(c *gin.Context) {
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	var on bool
	switch form.Get("action") {
	case "follow":
		on = true
	case "unfollow":
	default:
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	t, err := models.SetFollow(c.Request.Context(), s.db, currentUser(c), form.Get("type"), form.Get("target"), on)
	if err != nil {
		s.handleErr(c, err)
		return
	}
	next := form.Get("next")
	if !isLocalPath(next) {
		next = t.URL
	}
	c.Redirect(http.StatusSeeOther, next)
}

// notifySettingsData is the email preferences page.
type notifySettingsData struct {
	Modes    []string
	Follows  []models.FollowTarget
	Saved    bool
	Email    string
	Verified bool
}

func (s *server) notifySettingsForm(c *gin.Context) {
	u := currentUser(c)
	mode, _, err := models.EmailModeOf(c.Request.Context(), s.db, u.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.showNotifySettings(c, http.StatusOK, url.Values{"email_mode": {mode}, "time_zone": {u.TimeZone}}, nil)
}

func (s *server) showNotifySettings(c *gin.Context, status int, form url.Values, v *models.ValidationError) {
	u := currentUser(c)
	fs, err := models.FollowsOf(c.Request.Context(), s.db, u)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, status, "notify_settings", &Page{Title: "notify.settings.title", Form: form, Errors: v,
		Data: &notifySettingsData{Modes: models.EmailModes, Follows: fs, Saved: c.Query("saved") == "1", Email: u.Email, Verified: u.EmailVerified}})
}

func (s *server) notifySettingsSubmit(c *gin.Context) {
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	err := models.SaveNotificationSettings(c.Request.Context(), s.db, currentUser(c), form.Get("email_mode"), form.Get("time_zone"))
	if v, ok := validationErr(err); ok {
		s.showNotifySettings(c, http.StatusUnprocessableEntity, form, v)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/settings/notifications?saved=1")
}

// unsubscribeData is the unsubscribe page: what the link stops, and
// whether it is done.
type unsubscribeData struct {
	Token   string
	Subject string // "" for every mail, else the followed thing
	Follow  bool
	Done    bool
}

// checkUnsubscribe parses the token, showing a clear error page for a bad
// (400) or expired (410) one.
func (s *server) checkUnsubscribe(c *gin.Context, token string) (models.Unsubscribe, bool) {
	u, err := models.ParseUnsubscribe(s.secret, token, time.Now())
	switch {
	case errors.Is(err, models.ErrTokenExpired):
		s.errorPage(c, http.StatusGone, "notify.unsubscribe.expired")
		return u, false
	case err != nil:
		s.errorPage(c, http.StatusBadRequest, "notify.unsubscribe.invalid")
		return u, false
	}
	return u, true
}

// unsubscribePage asks to confirm (a GET changes nothing: mail scanners
// open links).
func (s *server) unsubscribePage(c *gin.Context) {
	tok := c.Query("t")
	u, ok := s.checkUnsubscribe(c, tok)
	if !ok {
		return
	}
	s.render(c, http.StatusOK, "unsubscribe", &Page{Title: "notify.unsubscribe.title", Data: &unsubscribeData{Token: tok,
		Subject: models.UnsubscribeSubject(c.Request.Context(), s.db, u), Follow: u.Action == models.UnsubscribeFollow}})
}

func (s *server) unsubscribeSubmit(c *gin.Context) {
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	tok := form.Get("t")
	u, ok := s.checkUnsubscribe(c, tok)
	if !ok {
		return
	}
	subject := models.UnsubscribeSubject(c.Request.Context(), s.db, u)
	if err := models.ApplyUnsubscribe(c.Request.Context(), s.db, u); err != nil {
		s.handleErr(c, err)
		return
	}
	s.render(c, http.StatusOK, "unsubscribe", &Page{Title: "notify.unsubscribe.title",
		Data: &unsubscribeData{Subject: subject, Follow: u.Action == models.UnsubscribeFollow, Done: true}})
}

// oneClickPath is the List-Unsubscribe URL of mails.
const oneClickPath = "/unsubscribe/one-click"

// withOneClickUnsubscribe serves RFC 8058 one-click unsubscribes: the
// mail provider POSTs "List-Unsubscribe=One-Click" to the link, with no
// cookie and so no CSRF token; the link's own signature is the proof. A
// person opening the link gets the confirmation page.
func (s *server) withOneClickUnsubscribe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != oneClickPath {
			next.ServeHTTP(w, r)
			return
		}
		tok := r.URL.Query().Get("t")
		if r.Method != http.MethodPost {
			http.Redirect(w, r, "/unsubscribe?t="+url.QueryEscape(tok), http.StatusSeeOther)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		u, err := models.ParseUnsubscribe(s.secret, tok, time.Now())
		if errors.Is(err, models.ErrTokenExpired) {
			http.Error(w, "This unsubscribe link has expired.", http.StatusGone)
			return
		}
		if err != nil {
			http.Error(w, "This unsubscribe link is not valid.", http.StatusBadRequest)
			return
		}
		if err := models.ApplyUnsubscribe(r.Context(), s.db, u); errors.Is(err, models.ErrNotFound) {
			http.Error(w, "No such account.", http.StatusNotFound)
			return
		} else if err != nil {
			s.logger.ErrorContext(r.Context(), "one-click unsubscribe", "err", err)
			http.Error(w, "Something went wrong.", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("Unsubscribed.\n"))
	})
}
