package app

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/securecookie"
	"github.com/markbates/goth"
	"golang.org/x/oauth2"

	"github.com/crowdcare/crowdcare/models"
)

// Social sign-in: the provider's authorization redirect, its callback, the
// first sign-in's confirmation page and linking another provider. goth's
// providers are driven directly; gothic is not used, because it keeps its
// providers and its session store in globals. Between the redirect and the
// callback the browser carries our own short-lived, encrypted state cookie;
// the signed-in session stays our cc_session cookie.

const (
	flowCookie = "cc_oauth"  // one sign-in in progress
	flowPath   = "/auth"     // sent only to the callback
	flowMaxAge = 10 * 60     // seconds to come back from the provider
	signupName = "cc_signup" // a first sign-in waiting for confirmation
	signupPath = "/signup"
)

// authKit is what the sign-in handlers share: the configured providers
// and the codecs of their cookies.
type authKit struct {
	providers map[string]goth.Provider
	flows     *securecookie.SecureCookie
	signups   *securecookie.SecureCookie
	policy    models.AccessPolicy
}

func newAuthKit(a *App) *authKit {
	k := &authKit{providers: a.providers,
		flows:   newCodec(a.secret, "oauth-flow", flowMaxAge),
		signups: newCodec(a.secret, "signup", int(models.PendingSignupTTL.Seconds())),
		policy:  models.AccessPolicy{EmployeeDomains: a.Cfg.EmployeeDomains, AdminEmails: a.Cfg.AdminEmails}}
	if k.providers == nil {
		k.providers = map[string]goth.Provider{}
	}
	return k
}

// newCodec returns an authenticated, encrypted cookie codec whose keys are
// derived from the app secret and purpose, so no two uses share a key.
func newCodec(secret []byte, purpose string, maxAge int) *securecookie.SecureCookie {
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("crowdcare/" + purpose + "/" + label))
		return m.Sum(nil)
	}
	return securecookie.New(derive("mac"), derive("aes")).MaxAge(maxAge).SetSerializer(securecookie.JSONEncoder{})
}

// oauthFlow is one sign-in between the redirect and the callback.
type oauthFlow struct {
	State    string `json:"s"`
	Provider string `json:"p"`
	Session  string `json:"g"` // the goth session, marshalled
	Verifier string `json:"v,omitempty"`
	Next     string `json:"n,omitempty"`
	// LinkUser, when set, makes this a request by that signed-in user to
	// link another account rather than a sign-in.
	LinkUser int64 `json:"l,omitempty"`
}

// pendingCookie points at a first sign-in waiting for confirmation.
type pendingCookie struct {
	Token string `json:"t"`
	Next  string `json:"n,omitempty"`
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails on supported platforms (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *server) setCookie(c *gin.Context, name, value, path string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: s.cfg.SecureCookies(), SameSite: http.SameSiteLaxMode})
}

// provider returns the configured provider the URL names, or shows a 404.
func (s *server) provider(c *gin.Context) (goth.Provider, bool) {
	p, ok := s.auth.providers[c.Param("provider")]
	if !ok {
		s.errorPage(c, http.StatusNotFound, "error.provider_unknown")
	}
	return p, ok
}

// authBegin sends the browser to the provider to sign in.
func (s *server) authBegin(c *gin.Context) {
	p, ok := s.provider(c)
	if !ok {
		return
	}
	s.beginFlow(c, p, oauthFlow{Next: safeNext(c.Query("next"))})
}

// linkBegin starts linking another provider to the signed-in user.
func (s *server) linkBegin(c *gin.Context) {
	p, ok := s.provider(c)
	if !ok {
		return
	}
	s.beginFlow(c, p, oauthFlow{Next: "/settings", LinkUser: currentUser(c).ID})
}

// beginFlow remembers the flow in the state cookie and redirects to the
// provider's authorization URL.
func (s *server) beginFlow(c *gin.Context, p goth.Provider, f oauthFlow) {
	f.State, f.Provider = randomToken(), p.Name()
	sess, err := p.BeginAuth(f.State)
	if err != nil {
		s.fail(c, err)
		return
	}
	authURL, err := sess.GetAuthURL()
	if err != nil {
		s.fail(c, err)
		return
	}
	if usesPKCE[f.Provider] {
		f.Verifier = oauth2.GenerateVerifier()
		authURL = withParams(authURL, url.Values{"code_challenge": {oauth2.S256ChallengeFromVerifier(f.Verifier)}, "code_challenge_method": {"S256"}})
	}
	f.Session = sess.Marshal()
	v, err := s.auth.flows.Encode(flowCookie, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.setCookie(c, flowCookie, v, flowPath, flowMaxAge)
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusSeeOther, authURL)
}

// withParams adds query parameters to a URL.
func withParams(raw string, add url.Values) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for k, v := range add {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// takeFlow reads the state cookie and deletes it at once, before anything
// else happens, so a callback can be used once: a replay finds no cookie.
func (s *server) takeFlow(c *gin.Context) (*oauthFlow, error) {
	raw, err := c.Cookie(flowCookie)
	s.setCookie(c, flowCookie, "", flowPath, -1)
	if err != nil || raw == "" {
		return nil, errors.New("no state cookie")
	}
	var f oauthFlow
	if err := s.auth.flows.Decode(flowCookie, raw, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// authCallback finishes a sign-in or a link when the provider sends the
// browser back. Every refusal ends on an error page before any account or
// session is made.
func (s *server) authCallback(c *gin.Context) {
	p, ok := s.provider(c)
	if !ok {
		return
	}
	f, err := s.takeFlow(c)
	state := c.Query("state")
	if err == nil && (f.Provider != p.Name() || subtle.ConstantTimeCompare([]byte(f.State), []byte(state)) != 1 || state == "") {
		err = errors.New("state does not match")
	}
	if err != nil {
		s.authRefused(c, http.StatusBadRequest, "error.oauth_state", "state", err)
		return
	}
	switch e := c.Query("error"); {
	case e == "access_denied":
		s.authRefused(c, http.StatusForbidden, "error.oauth_denied", "denied", errors.New(e))
		return
	case e != "":
		s.authRefused(c, http.StatusBadRequest, "error.oauth_provider", "provider error",
			errors.New(e+": "+c.Query("error_description")))
		return
	}
	prof, err := exchange(p, f, c.Query("code"))
	if err == nil && f.Provider == "oidc" {
		// A subject is unique only within its issuer: scope it, so pointing
		// CROWDCARE_OIDC_ISSUER at another identity provider can never sign
		// someone into the account of a namesake subject there.
		prof.UserID = s.oidcIssuer() + "#" + prof.UserID
	}
	if err != nil {
		s.authRefused(c, http.StatusBadRequest, "error.oauth_exchange", "exchange", err)
		return
	}
	if f.LinkUser != 0 {
		s.finishLink(c, f, prof)
		return
	}
	s.finishSignIn(c, f, prof)
}

// authRefused logs why a sign-in was refused and shows the page.
func (s *server) authRefused(c *gin.Context, status int, msg, reason string, err error) {
	s.logger.WarnContext(c.Request.Context(), "sign-in refused", "provider", c.Param("provider"), "reason", reason,
		"err", err, "request_id", requestID(c.Request.Context()))
	s.errorPage(c, status, msg)
}

// exchange trades the code for a token and reads the profile. Only the
// code and our verifier are passed on: a redirect_uri in the callback's
// query must not reach the token request.
func exchange(p goth.Provider, f *oauthFlow, code string) (models.ExternalProfile, error) {
	if code == "" {
		return models.ExternalProfile{}, errors.New("no code in the callback")
	}
	sess, err := p.UnmarshalSession(f.Session)
	if err != nil {
		return models.ExternalProfile{}, err
	}
	params := url.Values{"code": {code}}
	if f.Verifier != "" {
		params.Set("code_verifier", f.Verifier)
	}
	if _, err := sess.Authorize(p, params); err != nil {
		return models.ExternalProfile{}, err
	}
	gu, err := p.FetchUser(sess)
	if err != nil {
		return models.ExternalProfile{}, err
	}
	prof := externalProfile(f.Provider, gu, sess)
	if prof.UserID == "" {
		return prof, errors.New("the provider gave no user id")
	}
	return prof, nil
}

// finishSignIn signs in a known identity or starts a sign-up.
func (s *server) finishSignIn(c *gin.Context, f *oauthFlow, prof models.ExternalProfile) {
	u, token, err := models.SignInExternal(c.Request.Context(), s.db, prof, s.auth.policy)
	switch {
	case errors.Is(err, models.ErrSuspended):
		s.authRefused(c, http.StatusForbidden, "error.account_suspended", "suspended", err)
		return
	case err != nil:
		s.fail(c, err)
		return
	case u == nil:
		v, err := s.auth.signups.Encode(signupName, pendingCookie{Token: token, Next: f.Next})
		if err != nil {
			s.fail(c, err)
			return
		}
		s.setCookie(c, signupName, v, signupPath, int(models.PendingSignupTTL.Seconds()))
		c.Redirect(http.StatusSeeOther, signupPath)
		return
	}
	s.startSession(c, u)
	if c.IsAborted() {
		return
	}
	c.Redirect(http.StatusSeeOther, safeNext(f.Next))
}

// finishLink links the account to the user who asked, who must still be
// the one signed in.
func (s *server) finishLink(c *gin.Context, f *oauthFlow, prof models.ExternalProfile) {
	u := currentUser(c)
	if u == nil || u.ID != f.LinkUser {
		s.authRefused(c, http.StatusBadRequest, "error.oauth_state", "link by another session", nil)
		return
	}
	err := models.LinkIdentity(c.Request.Context(), s.db, u, prof, s.auth.policy)
	if errors.Is(err, models.ErrIdentityTaken) {
		s.authRefused(c, http.StatusConflict, "error.identity_taken", "identity taken", err)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/settings")
}

// signupData is what the sign-up page shows of the pending account.
type signupData struct {
	Provider      string // the provider's label
	Email         string
	EmailVerified bool
	AvatarURL     string
}

func (s *server) signupData(p *models.PendingSignup) *signupData {
	d := &signupData{Provider: p.Provider, Email: p.Email, EmailVerified: p.EmailVerified, AvatarURL: p.AvatarURL}
	for _, pc := range s.cfg.Providers {
		if pc.Name == p.Provider {
			d.Provider = pc.Label
		}
	}
	return d
}

// pendingSignup reads the sign-up cookie and its live pending sign-up, or
// shows why there is none.
func (s *server) pendingSignup(c *gin.Context) (*pendingCookie, *models.PendingSignup, bool) {
	var pc pendingCookie
	raw, err := c.Cookie(signupName)
	if err == nil {
		err = s.auth.signups.Decode(signupName, raw, &pc)
	}
	var p *models.PendingSignup
	if err == nil {
		p, err = models.PendingSignupByToken(c.Request.Context(), s.db, pc.Token)
		if err != nil && !errors.Is(err, models.ErrSignupExpired) {
			s.fail(c, err)
			return nil, nil, false
		}
	}
	if err != nil {
		s.setCookie(c, signupName, "", signupPath, -1)
		s.errorPage(c, http.StatusBadRequest, "error.signup_expired")
		return nil, nil, false
	}
	return &pc, p, true
}

// signupForm shows the first sign-in's confirmation: the suggested
// handle, the display name and the guidelines to accept.
func (s *server) signupForm(c *gin.Context) {
	_, p, ok := s.pendingSignup(c)
	if !ok {
		return
	}
	handle, err := models.SuggestHandle(c.Request.Context(), s.db, p)
	if err != nil {
		s.fail(c, err)
		return
	}
	name := p.DisplayName
	if name == "" {
		name = p.Nickname
	}
	if name == "" {
		name = handle
	}
	form := url.Values{"handle": {handle}, "display_name": {truncateRunes(name, 80)}}
	s.render(c, http.StatusOK, "signup", &Page{Title: "signup.title", Data: s.signupData(p), Form: form})
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// signupSubmit creates the account and signs it in.
func (s *server) signupSubmit(c *gin.Context) {
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	pc, p, ok := s.pendingSignup(c)
	if !ok {
		return
	}
	in := models.SignupInput{Handle: form.Get("handle"), DisplayName: form.Get("display_name"),
		AcceptedGuidelines: form.Get("guidelines") == "yes"}
	u, err := models.CompleteSignup(c.Request.Context(), s.db, pc.Token, in, s.auth.policy)
	if v, ok := validationErr(err); ok {
		s.render(c, http.StatusUnprocessableEntity, "signup", &Page{Title: "signup.title", Data: s.signupData(p), Form: form, Errors: v})
		return
	}
	switch {
	case errors.Is(err, models.ErrSignupExpired):
		s.setCookie(c, signupName, "", signupPath, -1)
		s.errorPage(c, http.StatusBadRequest, "error.signup_expired")
		return
	case errors.Is(err, models.ErrIdentityTaken):
		s.setCookie(c, signupName, "", signupPath, -1)
		s.errorPage(c, http.StatusConflict, "error.identity_taken")
		return
	case err != nil:
		s.fail(c, err)
		return
	}
	s.setCookie(c, signupName, "", signupPath, -1)
	s.startSession(c, u)
	if c.IsAborted() {
		return
	}
	c.Redirect(http.StatusSeeOther, safeNext(pc.Next))
}

// signInOption is one button on the sign-in page.
type signInOption struct{ Name, Label string }

// signInOptions lists the configured providers in configuration order.
func (s *server) signInOptions() []signInOption {
	out := make([]signInOption, 0, len(s.cfg.Providers))
	for _, pc := range s.cfg.Providers {
		if _, ok := s.auth.providers[pc.Name]; ok {
			out = append(out, signInOption{Name: pc.Name, Label: pc.Label})
		}
	}
	return out
}

// guidelinesPage shows the community guidelines every member accepts.
func (s *server) guidelinesPage(c *gin.Context) {
	s.render(c, http.StatusOK, "guidelines", &Page{Title: "guidelines.title"})
}

// hasProviders reports whether any social sign-in is configured; the
// sign-in routes exist only then.
func (s *server) hasProviders() bool { return len(s.auth.providers) > 0 }

// formTargets lists the origins of the providers' authorization pages, in
// configuration order: linking an account is a form POST answered by a
// redirect there, which the Content-Security-Policy's form-action must allow.
func (s *server) formTargets() []string {
	var out []string
	for _, pc := range s.cfg.Providers {
		p, ok := s.auth.providers[pc.Name]
		if !ok {
			continue
		}
		sess, err := p.BeginAuth("origin-probe")
		if err != nil {
			continue
		}
		raw, err := sess.GetAuthURL()
		if u, perr := url.Parse(raw); err == nil && perr == nil && u.Host != "" && !slices.Contains(out, u.Scheme+"://"+u.Host) {
			out = append(out, u.Scheme+"://"+u.Host)
		}
	}
	return out
}

// oidcIssuer is the configured OpenID Connect issuer URL.
func (s *server) oidcIssuer() string {
	for _, p := range s.cfg.Providers {
		if p.Name == "oidc" {
			return p.Issuer
		}
	}
	return ""
}
