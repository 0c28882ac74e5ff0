package app

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/crowdcare/crowdcare/models"
)

// kudosCasesData is the moderators' list of kudos cases of one status.
type kudosCasesData struct {
	Status   string
	Statuses []string
	Cases    []models.KudosCaseView
	Next     int64
}

// kudosCasesPage lists kudos cases, open ones first by default, newest
// first, keyset-paginated on id (?before=ID).
func (s *server) kudosCasesPage(c *gin.Context) {
	status := c.DefaultQuery("status", models.CaseOpen)
	before, ok := queryID(c, "before")
	if !ok || !models.ValidCaseStatus(status) {
		s.errorPage(c, http.StatusBadRequest, "error.bad_cursor")
		return
	}
	cases, err := models.KudosCases(c.Request.Context(), s.db, status, before, models.KudosCasePageSize+1)
	if err != nil {
		s.fail(c, err)
		return
	}
	d := &kudosCasesData{Status: status, Statuses: []string{models.CaseOpen, models.CaseConfirmed, models.CaseDismissed}, Cases: cases}
	if len(cases) > models.KudosCasePageSize {
		d.Cases = cases[:models.KudosCasePageSize]
		d.Next = d.Cases[len(d.Cases)-1].ID
	}
	s.render(c, http.StatusOK, "admin_kudos_cases", &Page{Title: "kudoscases.title", Data: d})
}

// kudosCaseDecide confirms or dismisses one open case (action=confirm or
// action=dismiss).
func (s *server) kudosCaseDecide(c *gin.Context) {
	id, form, ok := s.idAndForm(c)
	if !ok {
		return
	}
	var status string
	switch form.Get("action") {
	case "confirm":
		status = models.CaseConfirmed
	case "dismiss":
		status = models.CaseDismissed
	default:
		s.errorPage(c, http.StatusUnprocessableEntity, "error.invalid")
		return
	}
	err := models.DecideKudosCase(c.Request.Context(), s.db, currentUser(c), id, status)
	if errors.Is(err, models.ErrConflict) {
		s.errorPage(c, http.StatusConflict, "kudoscases.already_decided")
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/kudos-cases?saved=1")
}
