package app

import (
	"encoding/csv"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/crowdcare/crowdcare/models"
)

// healthRoutes registers community health: the dashboard and its CSV
// (admins, moderators, product team), the compliance archive exports
// (admins) and saved replies (admins manage them, staff and moderators use
// them).
func (s *server) healthRoutes(r *gin.Engine, auth *gin.RouterGroup) {
	auth.GET("/admin/health", s.requireHealth, s.healthPage)
	auth.GET("/admin/health/export.csv", s.requireHealth, s.healthCSV)
	admin := r.Group("/admin", s.requireRole(models.RoleAdmin))
	admin.GET("/exports", s.archiveExportsPage)
	admin.POST("/exports", s.archiveExportStart)
	admin.GET("/exports/:id", s.archiveExportPage)
	admin.GET("/exports/:id/download", s.archiveExportDownload)
	admin.GET("/saved-replies", s.adminSavedReplies)
	admin.POST("/saved-replies", s.adminSavedReplyCreate)
	admin.GET("/saved-replies/:id/edit", s.adminSavedReplyEdit)
	admin.POST("/saved-replies/:id", s.adminSavedReplyUpdate)
	admin.POST("/saved-replies/:id/delete", s.adminSavedReplyDelete)
	auth.GET("/saved-replies", s.savedRepliesPicker)
}

// requireHealth lets admins, moderators and the product team through.
func (s *server) requireHealth(c *gin.Context) {
	if !models.CanViewHealth(currentUser(c)) {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return
	}
	c.Next()
}

// healthPresets are the periods offered besides a custom one, in days.
var healthPresets = []string{"7", "30", "90"}

type healthData struct {
	Period   string // 7, 30, 90 or custom
	From, To string // YYYY-MM-DD, both days included
	Board    string // slug; "" for every board the viewer reads
	Boards   []models.Board
	Presets  []string
	H        *models.HealthFigures
	Days     BarChart
	Delays   BarChart
	Buckets  []string // message ids of the delay buckets
}

// ResponseRate and the other rates are percentages of the questions asked.
func (d *healthData) ResponseRate() string   { return percent(d.H.Answered, d.H.Asked) }
func (d *healthData) ResolutionRate() string { return percent(d.H.Resolved, d.H.Asked) }
func (d *healthData) BreachRate() string     { return percent(d.H.Breaches, d.H.WithTarget) }

// Share is n as a percentage of the answered questions.
func (d *healthData) Share(n int64) string { return percent(n, d.H.Answered) }

func percent(part, whole int64) string {
	return strconv.FormatFloat(models.Rate(part, whole), 'f', 1, 64) + "%"
}

// CSVURL links to the CSV of the same figures.
func (d *healthData) CSVURL() template.URL {
	v := url.Values{"period": {d.Period}}
	if d.Period == "custom" {
		v.Set("from", d.From)
		v.Set("to", d.To)
	}
	if d.Board != "" {
		v.Set("board", d.Board)
	}
	return template.URL("/admin/health/export.csv?" + v.Encode())
}

// Duration renders a time to first response compactly.
func (d *healthData) Duration(l *Localizer, seconds float64) string {
	m := int64(seconds+30) / 60
	switch {
	case m < 60:
		return l.T("health.dur_minutes", "Minutes", m)
	case m < 48*60:
		return l.T("health.dur_hours", "Hours", m/60, "Minutes", m%60)
	}
	return l.T("health.dur_days", "Days", m/(24*60), "Hours", m/60%24)
}

// healthQuery reads and validates the dashboard's parameters. Dates are
// UTC days and both ends are included. A problem goes into the returned
// validation error; an unknown board (or one the viewer cannot read) is
// models.ErrNotFound.
func (s *server) healthQuery(c *gin.Context, d *healthData, now time.Time) (models.HealthQuery, error) {
	d.Period, d.From, d.To, d.Board = c.Query("period"), strings.TrimSpace(c.Query("from")), strings.TrimSpace(c.Query("to")), c.Query("board")
	if d.Period == "" {
		d.Period = "30"
		if d.From != "" || d.To != "" {
			d.Period = "custom"
		}
	}
	v := &models.ValidationError{}
	q := models.HealthQuery{Now: now}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch d.Period {
	case "7", "30", "90":
		n, _ := strconv.Atoi(d.Period)
		q.To = today.AddDate(0, 0, 1)
		q.From = q.To.AddDate(0, 0, -n)
		d.From, d.To = q.From.Format(time.DateOnly), today.Format(time.DateOnly)
	case "custom":
		q.From, q.To = dayPeriod(v, d.From, d.To, models.HealthMaxDays)
	default:
		v.Add("period", "error.invalid", nil)
	}
	if d.Board != "" {
		b, err := models.BoardBySlug(c.Request.Context(), s.db, currentUser(c), d.Board)
		if err != nil {
			return q, err
		}
		q.BoardID = b.ID
	}
	return q, v.Err()
}

func (s *server) healthPage(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	d := &healthData{Presets: healthPresets, Buckets: make([]string, len(models.HealthDelayBucketNames))}
	for i, n := range models.HealthDelayBucketNames {
		d.Buckets[i] = "health.bucket." + n
	}
	var err error
	if d.Boards, err = models.BoardsFor(ctx, s.db, u); err != nil {
		s.fail(c, err)
		return
	}
	q, err := s.healthQuery(c, d, time.Now().UTC())
	if verr, bad := validationErr(err); bad {
		s.render(c, http.StatusUnprocessableEntity, "admin_health", &Page{Title: "health.title", Data: d, Errors: verr, Form: c.Request.URL.Query()})
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	if d.H, err = models.CommunityHealth(ctx, s.db, u, q); err != nil {
		s.fail(c, err)
		return
	}
	l := s.localizer(c)
	d.Days = BarChart{ID: "health-days", Title: l.T("health.chart_days"),
		Desc: l.T("health.chart_days_desc", "Count", int(d.H.Asked), "Days", len(d.H.Days))}
	for _, day := range d.H.Days {
		d.Days.Labels = append(d.Days.Labels, day.Day.Format("2 Jan"))
		d.Days.Values = append(d.Days.Values, int(day.Count))
	}
	d.Delays = BarChart{ID: "health-delays", Title: l.T("health.chart_delays"),
		Desc: l.T("health.chart_delays_desc", "Count", int(d.H.Answered))}
	for i, n := range d.H.Delays {
		d.Delays.Labels = append(d.Delays.Labels, l.T(d.Buckets[i]))
		d.Delays.Values = append(d.Delays.Values, int(n))
	}
	s.render(c, http.StatusOK, "admin_health", &Page{Title: "health.title", Data: d, Form: c.Request.URL.Query()})
}

// healthHeader names the CSV's columns: field names for programs, the
// same in every language. Each row is one figure: its section, what it
// counts and the count; contributor rows add their first responses and
// accepted answers.
var healthHeader = []string{"section", "item", "value", "first_responses", "accepted"}

// healthCSV sends the dashboard's figures as CSV.
func (s *server) healthCSV(c *gin.Context) {
	d := &healthData{}
	q, err := s.healthQuery(c, d, time.Now().UTC())
	if _, bad := validationErr(err); bad {
		s.errorPage(c, http.StatusUnprocessableEntity, "health.error.csv")
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	h, err := models.CommunityHealth(c.Request.Context(), s.db, currentUser(c), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	name := "health-" + d.From + "-to-" + d.To
	board := "all"
	if d.Board != "" {
		name += "-" + d.Board // a slug: safe in a header
		board = d.Board
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	row := func(section, item string, value string) {
		_ = w.Write([]string{section, models.CSVSafe(item), value, "", ""})
	}
	num := func(n int64) string { return strconv.FormatInt(n, 10) }
	rate := func(part, whole int64) string { return strconv.FormatFloat(models.Rate(part, whole), 'f', 1, 64) }
	secs := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	_ = w.Write(healthHeader)
	row("period", "from", d.From)
	row("period", "to", d.To)
	row("period", "board", board)
	row("summary", "questions_asked", num(h.Asked))
	row("summary", "answered", num(h.Answered))
	row("summary", "response_rate_percent", rate(h.Answered, h.Asked))
	row("summary", "resolved", num(h.Resolved))
	row("summary", "resolution_rate_percent", rate(h.Resolved, h.Asked))
	row("summary", "median_first_response_seconds", secs(h.MedianSeconds))
	row("summary", "p90_first_response_seconds", secs(h.P90Seconds))
	row("summary", "questions_with_target", num(h.WithTarget))
	row("summary", "target_breaches", num(h.Breaches))
	row("first_responder", "employee", num(h.ByEmployee))
	row("first_responder", "expert", num(h.ByExpert))
	row("first_responder", "member", num(h.ByMember))
	for i, n := range h.Delays {
		row("response_time", models.HealthDelayBucketNames[i], num(n))
	}
	for _, day := range h.Days {
		row("day", day.Day.Format(time.DateOnly), num(day.Count))
	}
	for _, l := range h.Languages {
		lang := l.Lang
		if lang == "" {
			lang = "unknown"
		}
		row("language", lang, num(l.Count))
	}
	for _, t := range h.Top {
		_ = w.Write([]string{"contributor", models.CSVSafe(t.Handle), num(t.Answers), num(t.FirstResponses), num(t.Accepted)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		s.logger.WarnContext(c.Request.Context(), "health export cut short", "err", err)
	}
}
