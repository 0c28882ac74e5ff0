package app

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/crowdcare/crowdcare/models"
)

func (s *server) signInPage(c *gin.Context) {
	s.render(c, http.StatusOK, "signin", &Page{Title: "signin.title", Form: url.Values{"next": {safeNext(c.Query("next"))}},
		Data: s.signInOptions()})
}

// safeNext keeps a post-sign-in redirect on this site: a path, never
// "//host" or "/\\host", which browsers read as another site. Browsers also
// drop tabs and newlines from URLs ("/\t/host" is "//host"), so a next with
// any control or space character is refused whole.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.IndexFunc(next, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0 {
		return "/"
	}
	return next
}

func (s *server) devSignInForm(c *gin.Context) {
	if !s.cfg.DevLoginEnabled() {
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return
	}
	s.render(c, http.StatusOK, "devsignin", &Page{Title: "dev.title", Form: url.Values{"next": {c.Query("next")}},
		Data: models.AllRoles})
}

// devSignInSubmit signs in as any handle, creating the user on first use.
// It exists only for development: it is refused unless DevLoginEnabled.
func (s *server) devSignInSubmit(c *gin.Context) {
	if !s.cfg.DevLoginEnabled() {
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return
	}
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	handle := strings.TrimSpace(form.Get("handle"))
	u, err := models.UserByHandle(ctx, s.db, handle)
	if errors.Is(err, models.ErrNotFound) {
		u = &models.User{Handle: handle}
		for _, r := range form["role"] {
			for _, known := range models.AllRoles {
				if string(known) == r {
					u.Roles = append(u.Roles, known)
				}
			}
		}
		err = models.CreateUser(ctx, s.db, u)
	}
	if v, ok := validationErr(err); ok {
		s.render(c, http.StatusUnprocessableEntity, "devsignin", &Page{Title: "dev.title", Form: form, Errors: v, Data: models.AllRoles})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if u.Suspended(time.Now()) { // as the real sign-in (models.SignInExternal)
		s.errorPage(c, http.StatusForbidden, "error.account_suspended")
		return
	}
	s.startSession(c, u)
	c.Redirect(http.StatusSeeOther, safeNext(form.Get("next")))
}

// startSession signs u in with a fresh session token; any earlier session
// cookie of this browser is ended, so a session is never carried over.
func (s *server) startSession(c *gin.Context, u *models.User) {
	if old, err := c.Cookie(sessionCookie); err == nil && old != "" {
		_ = models.DeleteSession(c.Request.Context(), s.db, old)
	}
	token, err := models.CreateSession(c.Request.Context(), s.db, u.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.setSessionCookie(c, token)
}

func (s *server) signOut(c *gin.Context) {
	if token, err := c.Cookie(sessionCookie); err == nil {
		if err := models.DeleteSession(c.Request.Context(), s.db, token); err != nil {
			s.fail(c, err)
			return
		}
	}
	s.clearSessionCookie(c)
	c.Redirect(http.StatusSeeOther, "/")
}

func (s *server) signOutEverywhere(c *gin.Context) {
	if err := models.DeleteUserSessions(c.Request.Context(), s.db, currentUser(c).ID); err != nil {
		s.fail(c, err)
		return
	}
	s.clearSessionCookie(c)
	c.Redirect(http.StatusSeeOther, "/")
}

// settingsData is the settings page's account section: the external
// accounts linked to the user and the configured providers they may still
// link.
type settingsData struct {
	Identities []identityView
	Linkable   []ProviderConfig
}

func (s *server) settingsForm(c *gin.Context) {
	u := currentUser(c)
	form := url.Values{"handle": {u.Handle}, "display_name": {u.DisplayName}, "locale": {u.Locale}, "time_zone": {u.TimeZone}}
	s.showSettings(c, http.StatusOK, form, nil)
}

// showSettings renders the settings page with the user's linked accounts.
func (s *server) showSettings(c *gin.Context, status int, form url.Values, v *models.ValidationError) {
	d, err := s.accountSection(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, status, "settings", &Page{Title: "settings.title", Form: form, Errors: v, Data: d})
}

// accountSection lists the signed-in user's identities and, for each
// configured provider not linked yet, an offer to link it.
func (s *server) accountSection(c *gin.Context) (*settingsData, error) {
	ids, err := models.IdentitiesOf(c.Request.Context(), s.db, currentUser(c).ID)
	if err != nil {
		return nil, err
	}
	d := &settingsData{}
	linked := map[string]bool{}
	for _, id := range ids {
		linked[id.Provider] = true
		d.Identities = append(d.Identities, identityView{Label: s.providerLabel(id.Provider), Email: id.Email, Verified: id.EmailVerified})
	}
	for _, p := range s.cfg.Providers {
		if !linked[p.Name] {
			d.Linkable = append(d.Linkable, p)
		}
	}
	return d, nil
}

func (s *server) settingsSubmit(c *gin.Context) {
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	u := currentUser(c)
	in := models.AccountInput{Handle: form.Get("handle"), DisplayName: form.Get("display_name"),
		Locale: form.Get("locale"), TimeZone: strings.TrimSpace(form.Get("time_zone"))}
	if _, sent := form["handle"]; !sent {
		// An older form without the field keeps the handle.
		in.Handle = u.Handle
	}
	err := models.UpdateAccount(c.Request.Context(), s.db, u, in)
	if v, ok := validationErr(err); ok {
		s.showSettings(c, http.StatusUnprocessableEntity, form, v)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/settings?saved=1")
}

// setLocale remembers a visitor's language choice in a cookie.
func (s *server) setLocale(c *gin.Context) {
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	lang := form.Get("lang")
	valid := false
	for _, l := range Locales {
		valid = valid || l.Code == lang
	}
	if !valid {
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: "lang", Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: s.cfg.SecureCookies(), SameSite: http.SameSiteLaxMode})
	c.Redirect(http.StatusSeeOther, safeNext(form.Get("next")))
}

type boardForm struct {
	Board       *models.Board
	Visibilites []models.Visibility
}

// MaxTarget is the longest first-response target the form accepts.
func (boardForm) MaxTarget() int { return models.MaxFirstResponseMinutes }

func (s *server) adminBoards(c *gin.Context) {
	bs, err := models.BoardsFor(c.Request.Context(), s.db, currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin_boards", &Page{Title: "admin.boards", Data: bs})
}

func (s *server) adminBoardForm(c *gin.Context) {
	d := &boardForm{Visibilites: models.Visibilities}
	form := url.Values{"visibility": {string(models.VisibilityPublic)}}
	if c.Param("id") != "" {
		id, ok := paramID(c)
		if !ok {
			s.errorPage(c, http.StatusNotFound, "error.not_found")
			return
		}
		b, err := models.BoardByID(c.Request.Context(), s.db, id)
		if err != nil {
			s.handleErr(c, err)
			return
		}
		d.Board = b
		form = url.Values{"slug": {b.Slug}, "name": {b.Name}, "description": {b.Description},
			"visibility": {string(b.Visibility)}, "position": {strconv.Itoa(b.Position)},
			"first_response_minutes": {strconv.Itoa(b.FirstResponseMinutes)}}
	}
	s.render(c, http.StatusOK, "admin_board", &Page{Title: "admin.board_edit", Data: d, Form: form})
}

func boardInput(form url.Values, v *models.ValidationError) models.BoardInput {
	pos := 0
	if p := strings.TrimSpace(form.Get("position")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < -10000 || n > 10000 {
			v.Add("position", "error.invalid", nil)
		}
		pos = n
	}
	// The first-response target: empty is none; its range is the model's
	// rule (models.MaxFirstResponseMinutes).
	target := 0
	if t := strings.TrimSpace(form.Get("first_response_minutes")); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil {
			v.Add("first_response_minutes", "error.invalid", nil)
		}
		target = n
	}
	return models.BoardInput{Slug: form.Get("slug"), Name: form.Get("name"), Description: form.Get("description"),
		Visibility: models.Visibility(form.Get("visibility")), Position: pos, FirstResponseMinutes: target}
}

func (s *server) adminBoardCreate(c *gin.Context) {
	s.saveBoard(c, 0)
}

func (s *server) adminBoardUpdate(c *gin.Context) {
	id, ok := paramID(c)
	if !ok {
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return
	}
	s.saveBoard(c, id)
}

func (s *server) saveBoard(c *gin.Context, id int64) {
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	v := &models.ValidationError{}
	in := boardInput(form, v)
	var b *models.Board
	err := v.Err()
	if err == nil && id == 0 {
		b, err = models.CreateBoard(c.Request.Context(), s.db, in)
	} else if err == nil {
		b, err = models.UpdateBoard(c.Request.Context(), s.db, id, in)
	}
	if verr, ok := validationErr(err); ok {
		d := &boardForm{Visibilites: models.Visibilities}
		if id != 0 {
			d.Board = &models.Board{ID: id}
		}
		s.render(c, http.StatusUnprocessableEntity, "admin_board", &Page{Title: "admin.board_edit", Data: d, Form: form, Errors: verr})
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/b/"+b.Slug)
}
