package app

import (
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/crowdcare/crowdcare/models"
)

// recognitionRoutes registers the routes of this feature: manual badges
// created by admins, the export of a period's top contributors and the
// figures of employee volunteers (time-limited grants live on the badge
// page's grant form, handlers_badges.go).
func (s *server) recognitionRoutes(r *gin.Engine, auth *gin.RouterGroup) {
	admin := r.Group("/admin", s.requireRole(models.RoleAdmin))
	admin.GET("/badges", s.adminBadges)
	admin.POST("/badges", s.adminBadgeCreate)
	admin.GET("/contributors", s.adminContributors)
	admin.GET("/contributors/export.csv", s.adminContributorsCSV)
	admin.GET("/employees", s.adminEmployees)
	admin.GET("/employees/:id", s.adminEmployee)
	auth.GET("/me/volunteering", s.requireRole(models.RoleEmployee), s.myVolunteering)
}

// -- manual badges --

type adminBadgesData struct {
	Badges  []badgeView
	Tiers   []string
	Created *badgeView // the badge just created, from ?created=slug
}

// TierLabel names a tier for the form's choices.
func (d *adminBadgesData) TierLabel(tier string) string { return tierLabel(tier) }

// adminBadges lists every badge with the form that creates a manual one.
func (s *server) adminBadges(c *gin.Context) {
	s.showAdminBadges(c, http.StatusOK, nil, url.Values{"tier": {models.TierBronze}})
}

func (s *server) showAdminBadges(c *gin.Context, status int, verr *models.ValidationError, form url.Values) {
	all, err := models.AllBadges(c.Request.Context(), s.db)
	if err != nil {
		s.fail(c, err)
		return
	}
	d := &adminBadgesData{Tiers: models.BadgeTiers}
	created := c.Query("created")
	for _, b := range all {
		v := badgeView{Badge: b.Badge, Holders: b.Holders}
		d.Badges = append(d.Badges, v)
		if created != "" && b.Slug == created {
			d.Created = &v
		}
	}
	s.render(c, status, "admin_badges", &Page{Title: "recognition.badges_title", Data: d, Errors: verr, Form: form})
}

// adminBadgeCreate creates a manual badge; invalid input shows the form
// again with 422 and writes nothing.
func (s *server) adminBadgeCreate(c *gin.Context) {
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	b, err := models.CreateManualBadge(c.Request.Context(), s.db, currentUser(c), models.NewBadge{
		Name: form.Get("name"), Description: form.Get("description"), Tier: form.Get("tier"), Reserved: s.catalogueHasBadge})
	if verr, bad := validationErr(err); bad {
		s.showAdminBadges(c, http.StatusUnprocessableEntity, verr, form)
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/badges?created="+url.QueryEscape(b.Slug))
}

// catalogueHasBadge reports whether the catalogue translates a badge with
// this slug: such a slug belongs to a seeded badge, and a new badge using
// it would be shown under that badge's translated name.
func (s *server) catalogueHasBadge(slug string) bool {
	_, err := i18n.NewLocalizer(s.bundle, Locales[0].Code).Localize(&i18n.LocalizeConfig{MessageID: "badge." + slug + ".name"})
	return err == nil
}

// -- top contributors export --

type contributorsData struct {
	From, To string // YYYY-MM-DD
	Audience string
	Board    string // slug; "" for every board
	Limit    int
	Mods     bool
	MaxLimit int
	Boards   []models.Board
	// Preview is set when the form was submitted to this page: Rows are
	// the rows the export holds.
	Preview bool
	Rows    []models.Contributor
}

// ExportURL links to the CSV of the form's values. It is built from
// validated values and encoded here, so the template takes it as a URL.
func (d *contributorsData) ExportURL() template.URL {
	v := url.Values{"from": {d.From}, "to": {d.To}, "audience": {d.Audience}, "limit": {strconv.Itoa(d.Limit)}}
	if d.Board != "" {
		v.Set("board", d.Board)
	}
	if d.Mods {
		v.Set("mods", "1")
	}
	return template.URL("/admin/contributors/export.csv?" + v.Encode())
}

func roleList(roles []models.Role) string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return strings.Join(out, " ")
}

// contributorsQuery reads the export's parameters: from and to (UTC days,
// the period [from, to)), audience (member or staff), an optional board
// the viewer may see, limit (1 to 1000, 100 by default) and mods=1 to keep
// moderators and admins. It returns the message id of the problem, or "".
func (s *server) contributorsQuery(c *gin.Context, d *contributorsData) (models.ContributorQuery, string) {
	d.From, d.To = strings.TrimSpace(c.Query("from")), strings.TrimSpace(c.Query("to"))
	d.Audience, d.Board = c.DefaultQuery("audience", models.AudienceMember), c.Query("board")
	d.Mods = c.Query("mods") == "1"
	q := models.ContributorQuery{Audience: d.Audience, IncludeStaffRoles: d.Mods, Limit: models.ContributorDefaultLimit}
	var err1, err2 error
	q.From, err1 = time.Parse(time.DateOnly, d.From)
	q.To, err2 = time.Parse(time.DateOnly, d.To)
	switch {
	case err1 != nil || err2 != nil:
		return q, "error.export_dates"
	case !q.From.Before(q.To):
		return q, "error.export_range"
	case !models.ValidAudience(d.Audience) || (c.Query("mods") != "" && !d.Mods):
		return q, "error.export_params"
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > models.ContributorMaxLimit {
			return q, "error.export_limit"
		}
		q.Limit = n
	}
	d.Limit = q.Limit
	if d.Board != "" {
		b, err := models.BoardBySlug(c.Request.Context(), s.db, currentUser(c), d.Board)
		if errors.Is(err, models.ErrNotFound) {
			return q, "error.export_params"
		}
		if err != nil {
			s.fail(c, err)
			return q, ""
		}
		q.BoardID = b.ID
	}
	return q, ""
}

// adminContributors shows the export form, and with its values a preview
// of the rows the CSV holds. Without values the form proposes last month.
func (s *server) adminContributors(c *gin.Context) {
	ctx := c.Request.Context()
	d := &contributorsData{MaxLimit: models.ContributorMaxLimit}
	if c.Query("from") == "" && c.Query("to") == "" {
		this := models.PeriodStart(models.PeriodMonth, time.Now())
		d.From, d.To = this.AddDate(0, -1, 0).Format(time.DateOnly), this.Format(time.DateOnly)
		d.Audience, d.Limit = models.AudienceMember, models.ContributorDefaultLimit
	} else {
		q, msg := s.contributorsQuery(c, d)
		if c.IsAborted() {
			return
		}
		if msg != "" {
			s.errorPage(c, http.StatusBadRequest, msg)
			return
		}
		rows, err := models.TopContributors(ctx, s.db, q)
		if err != nil {
			s.fail(c, err)
			return
		}
		d.Preview, d.Rows = true, rows
	}
	var err error
	if d.Boards, err = models.BoardsFor(ctx, s.db, currentUser(c)); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin_contributors", &Page{Title: "recognition.contributors_title", Data: d})
}

// contributorsHeader names the CSV's columns. They are field names for
// the programs that read the file (mail merge, spreadsheets), not prose,
// so they stay the same in every language.
var contributorsHeader = []string{"place", "handle", "display_name", "email", "roles", "points", "answers", "accepted_answers"}

// adminContributorsCSV sends the top contributors of a period as CSV.
func (s *server) adminContributorsCSV(c *gin.Context) {
	d := &contributorsData{}
	q, msg := s.contributorsQuery(c, d)
	if c.IsAborted() {
		return
	}
	if msg != "" {
		s.errorPage(c, http.StatusBadRequest, msg)
		return
	}
	rows, err := models.TopContributors(c.Request.Context(), s.db, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	name := fmt.Sprintf("contributors-%s-%s-to-%s", d.Audience, d.From, d.To)
	if d.Board != "" {
		name += "-" + d.Board // a slug: safe in a header
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	_ = w.Write(contributorsHeader)
	for _, r := range rows {
		_ = w.Write([]string{strconv.Itoa(r.Place), models.CSVSafe(r.Handle), models.CSVSafe(r.DisplayName), models.CSVSafe(r.Email),
			models.CSVSafe(roleList(r.Roles)), strconv.FormatInt(r.Points, 10), strconv.FormatInt(r.Answers, 10), strconv.FormatInt(r.Accepted, 10)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		s.logger.WarnContext(c.Request.Context(), "contributors export cut short", "err", err)
	}
}

// -- employee volunteers --

// volunteerRules are the numbers behind the time-given estimate, for the
// explanation pages show.
type volunteerRules struct{}

// GapMinutes is models.SessionGap in minutes.
func (volunteerRules) GapMinutes() int { return int(models.SessionGap / time.Minute) }

// CreditMinutes is models.SessionCredit in minutes.
func (volunteerRules) CreditMinutes() int { return int(models.SessionCredit / time.Minute) }

// Duration renders an estimate of time given ("3 hours 25 minutes").
func (volunteerRules) Duration(l *Localizer, d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	if m < 60 {
		return l.T("recognition.minutes", "Count", m)
	}
	out := l.T("recognition.hours", "Count", m/60)
	if m%60 != 0 {
		out += " " + l.T("recognition.minutes", "Count", m%60)
	}
	return out
}

type employeesData struct {
	volunteerRules
	Period string
	After  string
	Next   string
	Rows   []models.VolunteerStats
}

// adminEmployees lists every employee with what they gave this week, this
// month or in all (?period=week|month|all), by handle, a page at a time
// (?after=HANDLE).
func (s *server) adminEmployees(c *gin.Context) {
	d := &employeesData{Period: c.DefaultQuery("period", models.PeriodWeek), After: c.Query("after")}
	if !models.ValidPeriod(d.Period) {
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	var err error
	d.Rows, d.Next, err = models.EmployeeVolunteers(c.Request.Context(), s.db, d.Period, time.Now(), d.After, models.EmployeePageSize)
	if err != nil {
		s.handleErr(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin_employees", &Page{Title: "recognition.employees_title", Data: d})
}

type employeeData struct {
	volunteerRules
	Employee *models.User
	// Periods are this week, this month and all time.
	Periods []models.VolunteerStats
	Self    bool // the employee's own page, /me/volunteering
}

// PeriodLabels are the message ids of Periods' columns.
func (d *employeeData) PeriodLabels() []string {
	return []string{"leaderboard.week", "leaderboard.month", "leaderboard.all"}
}

// adminEmployee shows one employee's figures to admins; a user who is not
// an employee has none.
func (s *server) adminEmployee(c *gin.Context) {
	id, ok := paramID(c)
	if !ok {
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return
	}
	u, err := models.UserByID(c.Request.Context(), s.db, id)
	if err != nil {
		s.handleErr(c, err)
		return
	}
	if !u.HasRole(models.RoleEmployee) {
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return
	}
	s.showEmployee(c, u, false)
}

// myVolunteering shows an employee their own figures (the route checks the
// role).
func (s *server) myVolunteering(c *gin.Context) { s.showEmployee(c, currentUser(c), true) }

func (s *server) showEmployee(c *gin.Context, u *models.User, self bool) {
	periods, err := models.VolunteerPeriods(c.Request.Context(), s.db, u, time.Now())
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin_employee", &Page{Title: "recognition.employee_title",
		Data: &employeeData{Employee: u, Periods: periods, Self: self}})
}
