package app

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/csrf"

	"github.com/crowdcare/crowdcare/models"
	"github.com/crowdcare/crowdcare/templates"
)

// views holds every page template, parsed once at start.
type views struct {
	pages map[string]*template.Template
}

var templateFuncs = template.FuncMap{
	"html":       func(s string) template.HTML { return template.HTML(s) }, // stored post HTML, sanitised on write
	"add":        func(a, b int) int { return a + b },
	"eq64":       func(a *int64, b int64) bool { return a != nil && *a == b },
	"join":       strings.Join,
	"pathEscape": url.PathEscape,
	"roleOf":     func(u *models.User, r string) bool { return u.HasRole(models.Role(r)) },
	"postCtx":    newPostCtx,
	"fields":     func(names ...string) []string { return names },
	"guidelines": func(p *Page, prog *models.Program) guidelinesCtx { return guidelinesCtx{P: p, Program: prog} },
	"record":     func(p *Page, r models.MemberRecord) recordCtx { return recordCtx{P: p, R: r} },
}

// guidelinesCtx is what the "expert_guidelines" partial receives.
type guidelinesCtx struct {
	P       *Page
	Program *models.Program
}

// recordCtx is what the "member_record" partial receives.
type recordCtx struct {
	P *Page
	R models.MemberRecord
}

// postCtx is what the "post" partial receives: the page, one post and what
// the reader may do with it.
type postCtx struct {
	Page        *Page
	Post        *models.PostView
	CanEdit     bool
	CanAccept   bool
	CanVerify   bool
	CanUnverify bool
}

func newPostCtx(p *Page, v any) postCtx {
	var pv *models.PostView
	switch x := v.(type) {
	case models.PostView:
		pv = &x
	case *models.PostView:
		pv = x
	}
	c := postCtx{Page: p, Post: pv}
	if pv != nil {
		c.CanEdit = models.CanEdit(p.User, &pv.Post)
		if d, ok := p.Data.(*questionData); ok {
			c.CanAccept = d.CanAccept
			// The buttons follow models.VerifyAnswer's rule; the model
			// decides again on submit.
			isAnswer := pv.Kind == models.KindAnswer && p.User != nil && pv.Author != nil
			c.CanVerify = isAnswer && pv.VerifiedBy == nil && pv.Author.ID != p.User.ID && p.User.CanVerifyIn(d.Q.BoardID)
			c.CanUnverify = isAnswer && pv.VerifiedBy != nil && (*pv.VerifiedBy == p.User.ID || p.User.CanModerate())
		}
	}
	return c
}

func loadViews() (*views, error) {
	base, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templates.FS, "layout.html", "partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	names, err := fs.Glob(templates.FS, "pages/*.html")
	if err != nil {
		return nil, err
	}
	v := &views{pages: map[string]*template.Template{}}
	for _, n := range names {
		t, err := template.Must(base.Clone()).ParseFS(templates.FS, n)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", n, err)
		}
		v.pages[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return v, nil
}

// PageNames lists the pages, for the test that renders every one.
func (v *views) PageNames() []string {
	out := make([]string, 0, len(v.pages))
	for n := range v.pages {
		out = append(out, n)
	}
	return out
}

// Page is what every template receives. Data holds the page's own values.
type Page struct {
	L         *Localizer
	User      *models.User
	CSRFField template.HTML
	Path      string
	Query     string
	DevLogin  bool
	Title     string
	Data      any
	Errors    *models.ValidationError
	Form      url.Values
	Status    int
	Locales   []Locale
	RequestID string
	loc       *time.Location
	now       time.Time
}

// Ago renders t relative to now in the reader's language ("3 hours ago").
func (p *Page) Ago(t time.Time) string {
	d := p.now.Sub(t)
	switch {
	case d < time.Minute:
		return p.L.T("time.just_now")
	case d < time.Hour:
		return p.L.T("time.minutes_ago", "Count", int(d/time.Minute))
	case d < 24*time.Hour:
		return p.L.T("time.hours_ago", "Count", int(d/time.Hour))
	case d < 30*24*time.Hour:
		return p.L.T("time.days_ago", "Count", int(d/(24*time.Hour)))
	case d < 365*24*time.Hour:
		return p.L.T("time.months_ago", "Count", int(d/(30*24*time.Hour)))
	default:
		return p.L.T("time.years_ago", "Count", int(d/(365*24*time.Hour)))
	}
}

// Waited renders how long something has waited ("waiting 3 hours").
func (p *Page) Waited(t time.Time) string {
	d := p.now.Sub(t)
	switch {
	case d < time.Hour:
		return p.L.T("time.waiting_minutes", "Count", int(d/time.Minute))
	case d < 48*time.Hour:
		return p.L.T("time.waiting_hours", "Count", int(d/time.Hour))
	default:
		return p.L.T("time.waiting_days", "Count", int(d/(24*time.Hour)))
	}
}

// Exact renders t in the reader's time zone, for hover titles.
func (p *Page) Exact(t time.Time) string {
	return t.In(p.loc).Format("2 Jan 2006 15:04 MST")
}

// ISO renders t for a <time datetime> attribute.
func (p *Page) ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// FieldError returns the translated error for a form field, or "".
func (p *Page) FieldError(field string) string {
	f := p.Errors.Field(field)
	if f == nil {
		return ""
	}
	return p.L.TArgs(f.Message, f.Args)
}

// FormValue returns a submitted value to refill a form.
func (p *Page) FormValue(name string) string {
	if p.Form == nil {
		return ""
	}
	return p.Form.Get(name)
}

// FormHas reports whether the submitted form holds id among the values of
// a repeated field (checkboxes, multiple selects).
func (p *Page) FormHas(name string, id int64) bool {
	if p.Form == nil {
		return false
	}
	want := strconv.FormatInt(id, 10)
	for _, v := range p.Form[name] {
		if v == want {
			return true
		}
	}
	return false
}

// render executes a page template into the response. Rendering into a
// buffer first means a template error yields a clean 500, not half a page.
func (s *server) render(c *gin.Context, status int, name string, p *Page) {
	t, ok := s.views.pages[name]
	if !ok {
		s.fail(c, fmt.Errorf("no template %q", name))
		return
	}
	s.fillPage(c, p)
	p.Status = status
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		s.fail(c, fmt.Errorf("render %s: %w", name, err))
		return
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Status(status)
	_, _ = c.Writer.Write(buf.Bytes())
}

// fillPage sets the parts of a Page every request shares.
func (s *server) fillPage(c *gin.Context, p *Page) {
	p.User = currentUser(c)
	p.L = s.localizer(c)
	p.CSRFField = csrf.TemplateField(c.Request)
	p.Path = c.Request.URL.Path
	p.Query = c.Request.URL.RawQuery
	p.DevLogin = s.cfg.DevLoginEnabled()
	p.Locales = Locales
	p.RequestID = requestID(c.Request.Context())
	p.now = time.Now()
	p.loc = time.UTC
	if p.User != nil && p.User.TimeZone != "" {
		if l, err := time.LoadLocation(p.User.TimeZone); err == nil {
			p.loc = l
		}
	} else if ck, err := c.Cookie("tz"); err == nil && ck != "" && len(ck) < 64 {
		if l, err := time.LoadLocation(ck); err == nil {
			p.loc = l
		}
	}
}

// errorPage shows a clear error page with the given status.
func (s *server) errorPage(c *gin.Context, status int, messageID string) {
	s.render(c, status, "error", &Page{Data: map[string]string{"Message": messageID}})
	c.Abort()
}

// fail logs an internal error and shows a 500 page without details.
func (s *server) fail(c *gin.Context, err error) {
	s.logger.ErrorContext(c.Request.Context(), "request failed", "err", err, "path", c.Request.URL.Path, "request_id", requestID(c.Request.Context()))
	if c.Writer.Written() {
		return
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.String(http.StatusInternalServerError, "<!doctype html><title>Error</title><h1>Something went wrong</h1><p>Request id %s</p>", template.HTMLEscapeString(requestID(c.Request.Context())))
	c.Abort()
}
