package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/crowdcare/crowdcare/models"
)

// issueRoutes registers the product team's emerging-issue dashboard.
func (s *server) issueRoutes(auth *gin.RouterGroup) {
	auth.GET("/product/issues", s.requireProduct, s.issuesPage)
	auth.GET("/product/issues/:id", s.requireProduct, s.issuePage)
	auth.POST("/product/issues/:id", s.requireProduct, s.issueSave)
}

// requireProduct lets the product team and admins through.
func (s *server) requireProduct(c *gin.Context) {
	if !models.CanUseProductDashboard(currentUser(c)) {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return
	}
	c.Next()
}

type issuesData struct {
	Issues   []models.IssueSummary
	Next     int64
	Status   string
	Board    int64
	Boards   []models.Board
	Statuses []string
}

// URL links to this list with one filter changed.
func (d *issuesData) URL(status string, board int64) string {
	v := url.Values{}
	if status != "" {
		v.Set("status", status)
	}
	if board != 0 {
		v.Set("board", strconv.FormatInt(board, 10))
	}
	if len(v) == 0 {
		return "/product/issues"
	}
	return "/product/issues?" + v.Encode()
}

// NextURL links to the next page of this list.
func (d *issuesData) NextURL() string {
	u := d.URL(d.Status, d.Board)
	sep := "?"
	if u != "/product/issues" {
		sep = "&"
	}
	return u + sep + "before=" + strconv.FormatInt(d.Next, 10)
}

func (s *server) issuesPage(c *gin.Context) {
	board, ok1 := queryID(c, "board")
	before, ok2 := queryID(c, "before")
	if !ok1 || !ok2 {
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	ctx := c.Request.Context()
	u := currentUser(c)
	d := &issuesData{Status: c.Query("status"), Board: board, Statuses: []string{models.IssueNew, models.IssueAcknowledged,
		models.IssueInvestigating, models.IssueFixed, models.IssueDismissed}}
	var err error
	d.Issues, d.Next, err = models.ListIssues(ctx, s.db, u, models.IssueListOptions{Status: d.Status, BoardID: board, Before: before})
	if err != nil {
		s.handleErr(c, err)
		return
	}
	if d.Boards, err = models.BoardsFor(ctx, s.db, u); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "product_issues", &Page{Title: "issues.title", Data: d})
}

type issueData struct {
	Issue    *models.IssueDetail
	Chart    BarChart
	Statuses []string
	Saved    bool
}

func (s *server) issuePage(c *gin.Context) {
	s.showIssue(c, http.StatusOK, nil, nil)
}

func (s *server) showIssue(c *gin.Context, status int, verr *models.ValidationError, form url.Values) {
	id, ok := paramID(c)
	if !ok {
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return
	}
	is, err := models.LoadIssue(c.Request.Context(), s.db, currentUser(c), id)
	if err != nil {
		s.handleErr(c, err)
		return
	}
	l := s.localizer(c)
	chart := BarChart{ID: fmt.Sprintf("issue-%d", is.ID), Title: l.T("issues.chart_title"),
		Desc: l.T("issues.chart_desc", "Count", is.Live, "Hours", len(is.Hourly))}
	for _, h := range is.Hourly {
		chart.Labels = append(chart.Labels, h.Hour.Format("2 Jan 15:00"))
		chart.Values = append(chart.Values, h.Count)
	}
	if form == nil {
		form = url.Values{"title": {is.Title}, "status": {is.Status}, "notes": {is.Notes}, "external_url": {is.ExternalURL}}
	}
	s.render(c, status, "product_issue", &Page{Title: "issues.issue_title", Data: &issueData{Issue: is, Chart: chart,
		Saved: c.Query("saved") == "1", Statuses: []string{models.IssueNew, models.IssueAcknowledged, models.IssueInvestigating,
			models.IssueFixed, models.IssueDismissed}}, Errors: verr, Form: form})
}

func (s *server) issueSave(c *gin.Context) {
	id, form, ok := s.idAndForm(c)
	if !ok {
		return
	}
	err := models.UpdateIssue(c.Request.Context(), s.db, currentUser(c), id, models.IssueUpdate{Title: form.Get("title"), Status: form.Get("status"),
		Notes: form.Get("notes"), ExternalURL: form.Get("external_url"), FixMessage: form.Get("fix_message")})
	if v, ok := validationErr(err); ok {
		s.showIssue(c, http.StatusUnprocessableEntity, v, form)
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/product/issues/"+strconv.FormatInt(id, 10)+"?saved=1")
}
