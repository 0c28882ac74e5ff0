package app

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/crowdcare/crowdcare/models"
)

// auditPageSize is how many audit entries a page shows.
const auditPageSize = 50

// requireModerator lets only moderators and admins through.
func (s *server) requireModerator(c *gin.Context) {
	u := currentUser(c)
	if u == nil {
		s.errorPage(c, http.StatusUnauthorized, "error.signin_required")
		return
	}
	if !u.CanModerate() {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return
	}
	c.Next()
}

// queryID reads an optional positive id from the query string; absent is
// 0, anything else that is not a positive number is refused.
func queryID(c *gin.Context, name string) (int64, bool) {
	v := c.Query(name)
	if v == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n > 0
}

type adminUsersData struct {
	Query string
	Users []*models.User
	Next  int64
}

// IsSuspended reports whether u is suspended now, for the list's status column.
func (d *adminUsersData) IsSuspended(u *models.User) bool { return u.Suspended(time.Now()) }

// adminUsers lists users by handle prefix, newest first.
func (s *server) adminUsers(c *gin.Context) {
	before, ok := queryID(c, "before")
	if !ok {
		s.errorPage(c, http.StatusBadRequest, "error.bad_cursor")
		return
	}
	q := strings.TrimSpace(c.Query("q"))
	users, next, err := models.SearchUsers(c.Request.Context(), s.db, q, before, models.UserPageSize)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin_users", &Page{Title: "adminusers.title", Data: &adminUsersData{Query: q, Users: users, Next: next}})
}

// identityView is a linked account as staff see it: never the provider's
// user id in full.
type identityView struct {
	Label    string
	Email    string
	Verified bool
	IDHint   string
}

// suspendChoice is one duration on the suspension form.
type suspendChoice struct {
	Value string
	Label string
	d     time.Duration
}

// suspendChoices are the durations a suspension may take, besides a date.
var suspendChoices = []suspendChoice{
	{"1d", "adminusers.for_1d", 24 * time.Hour},
	{"7d", "adminusers.for_7d", 7 * 24 * time.Hour},
	{"30d", "adminusers.for_30d", 30 * 24 * time.Hour},
	{"1y", "adminusers.for_1y", 365 * 24 * time.Hour},
}

type adminUserData struct {
	Target         *models.User
	Suspended      bool
	SuspendedUntil time.Time
	IsAdmin        bool // the viewer: admins see roles, identities and history
	CanSuspend     bool
	Roles          []models.Role
	Identities     []identityView
	Audit          []models.AuditView
	MoreAudit      bool
	Choices        []suspendChoice
}

// adminUser shows one user: roles, suspension, linked accounts and audit
// history to admins; to moderators only what the suspend action needs.
func (s *server) adminUser(c *gin.Context) {
	s.showAdminUser(c, http.StatusOK, nil, url.Values{"duration": {"7d"}})
}

func (s *server) showAdminUser(c *gin.Context, status int, verr *models.ValidationError, form url.Values) {
	id, ok := paramID(c)
	if !ok {
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return
	}
	ctx := c.Request.Context()
	viewer := currentUser(c)
	target, err := models.UserByID(ctx, s.db, id)
	if err != nil {
		s.handleErr(c, err)
		return
	}
	d := &adminUserData{Target: target, Suspended: target.Suspended(time.Now()), IsAdmin: viewer.HasRole(models.RoleAdmin),
		CanSuspend: models.CanSuspend(viewer, target), Roles: models.AllRoles, Choices: suspendChoices}
	if d.IsAdmin {
		if d.Identities, err = s.identityViews(c, target.ID); err != nil {
			s.fail(c, err)
			return
		}
		if d.Audit, err = models.AuditLog(ctx, s.db, target.ID, 0, auditPageSize+1); err != nil {
			s.fail(c, err)
			return
		}
		if len(d.Audit) > auditPageSize {
			d.Audit, d.MoreAudit = d.Audit[:auditPageSize], true
		}
	}
	if d.Suspended {
		d.SuspendedUntil = *target.SuspendedUntil
	}
	s.render(c, status, "admin_user", &Page{Title: "adminusers.user", Data: d, Errors: verr, Form: form})
}

// identityViews lists a user's linked accounts with provider labels.
func (s *server) identityViews(c *gin.Context, userID int64) ([]identityView, error) {
	ids, err := models.IdentitiesOf(c.Request.Context(), s.db, userID)
	if err != nil {
		return nil, err
	}
	out := make([]identityView, len(ids))
	for i, id := range ids {
		hint := id.ProviderUserID
		if len(hint) > 4 {
			hint = "…" + hint[len(hint)-4:]
		}
		out[i] = identityView{Label: s.providerLabel(id.Provider), Email: id.Email, Verified: id.EmailVerified, IDHint: hint}
	}
	return out, nil
}

// providerLabel names a provider as its sign-in button does; a provider no
// longer configured keeps its id as name.
func (s *server) providerLabel(name string) string {
	for _, p := range s.cfg.Providers {
		if p.Name == name && p.Label != "" {
			return p.Label
		}
	}
	return name
}

// adminUserRole grants or revokes one role: one POST per change.
func (s *server) adminUserRole(c *gin.Context) {
	id, form, ok := s.idAndForm(c)
	if !ok {
		return
	}
	var on bool
	switch form.Get("action") {
	case "grant":
		on = true
	case "revoke":
	default:
		s.errorPage(c, http.StatusUnprocessableEntity, "error.invalid")
		return
	}
	err := models.SetRole(c.Request.Context(), s.db, currentUser(c), id, models.Role(form.Get("role")), on)
	if _, bad := validationErr(err); bad {
		s.errorPage(c, http.StatusUnprocessableEntity, "error.invalid")
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/users/"+strconv.FormatInt(id, 10)+"?saved=1")
}

// maxSuspension bounds an "until" date: far enough for any ban, near
// enough for every database's timestamps.
const maxSuspension = 10 * 365 * 24 * time.Hour

// suspendUntil reads the end of a suspension from the form: a duration
// choice, or a date (the start of that day in the moderator's time zone).
func suspendUntil(form url.Values, loc *time.Location, now time.Time, v *models.ValidationError) time.Time {
	choice := form.Get("duration")
	for _, ch := range suspendChoices {
		if ch.Value == choice {
			return now.Add(ch.d)
		}
	}
	if choice != "until" {
		v.Add("duration", "error.invalid", nil)
		return time.Time{}
	}
	t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(form.Get("until")), loc)
	switch {
	case err != nil:
		v.Add("until", "error.invalid", nil)
	case !t.After(now):
		v.Add("until", "error.date_past", nil)
	case t.After(now.Add(maxSuspension)):
		v.Add("until", "error.invalid", nil)
	}
	return t
}

// userLocation is the time zone pages show times in: the one the user
// chose, else their browser's (the tz cookie), else UTC.
func userLocation(c *gin.Context) *time.Location {
	if u := currentUser(c); u != nil && u.TimeZone != "" {
		if l, err := time.LoadLocation(u.TimeZone); err == nil {
			return l
		}
	}
	if ck, err := c.Cookie("tz"); err == nil && ck != "" && len(ck) < 64 {
		if l, err := time.LoadLocation(ck); err == nil {
			return l
		}
	}
	return time.UTC
}

// adminUserSuspend suspends a user or lifts their suspension.
func (s *server) adminUserSuspend(c *gin.Context) {
	id, form, ok := s.idAndForm(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	actor := currentUser(c)
	target, err := models.UserByID(ctx, s.db, id)
	if err != nil {
		s.handleErr(c, err)
		return
	}
	if !models.CanSuspend(actor, target) {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return
	}
	var until time.Time
	switch form.Get("action") {
	case "lift":
	case "suspend":
		v := &models.ValidationError{}
		until = suspendUntil(form, userLocation(c), time.Now(), v)
		switch reason := strings.TrimSpace(form.Get("reason")); {
		case reason == "":
			v.Add("reason", "error.required", nil)
		case utf8.RuneCountInString(reason) > 500:
			v.Add("reason", "error.too_long", map[string]any{"Max": 500})
		}
		if v.Err() != nil {
			s.showAdminUser(c, http.StatusUnprocessableEntity, v, form)
			return
		}
	default:
		s.errorPage(c, http.StatusUnprocessableEntity, "error.invalid")
		return
	}
	err = models.Suspend(ctx, s.db, actor, id, until, form.Get("reason"))
	if v, bad := validationErr(err); bad {
		s.showAdminUser(c, http.StatusUnprocessableEntity, v, form)
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/users/"+strconv.FormatInt(id, 10)+"?saved=1")
}

type auditData struct {
	Audit  []models.AuditView
	Next   int64
	Target *models.User // set when the log is filtered to one user
}

// adminAudit shows the audit log newest first, keyset-paginated on id.
func (s *server) adminAudit(c *gin.Context) {
	before, ok1 := queryID(c, "before")
	userID, ok2 := queryID(c, "user")
	if !ok1 || !ok2 {
		s.errorPage(c, http.StatusBadRequest, "error.bad_cursor")
		return
	}
	ctx := c.Request.Context()
	d := &auditData{}
	if userID != 0 {
		u, err := models.UserByID(ctx, s.db, userID)
		if errors.Is(err, models.ErrNotFound) {
			s.errorPage(c, http.StatusNotFound, "error.not_found")
			return
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		d.Target = u
	}
	entries, err := models.AuditLog(ctx, s.db, userID, before, auditPageSize+1)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(entries) > auditPageSize {
		entries = entries[:auditPageSize]
		d.Next = entries[len(entries)-1].ID
	}
	d.Audit = entries
	s.render(c, http.StatusOK, "admin_audit", &Page{Title: "audit.title", Data: d})
}
