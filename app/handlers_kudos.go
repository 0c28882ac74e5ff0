package app

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/crowdcare/crowdcare/models"
)

// wantsJSON reports whether the request came from the page's script, which
// asks for JSON; plain forms get a redirect instead.
func wantsJSON(c *gin.Context) bool {
	return strings.Contains(c.GetHeader("Accept"), "application/json")
}

// kudosSubmit gives or withdraws the signed-in user's kudos on a post. The
// form says which ("give" is 1 or 0), so a double click repeats the same
// request instead of undoing it; without the field it toggles.
func (s *server) kudosSubmit(c *gin.Context) {
	id, ok := paramID(c)
	if !ok {
		s.kudosError(c, models.ErrNotFound)
		return
	}
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	u := currentUser(c)
	give := form.Get("give") == "1"
	if form.Get("give") == "" {
		given, err := models.KudosGivenBy(ctx, s.db, u, []int64{id})
		if err != nil {
			s.kudosError(c, err)
			return
		}
		give = !given[id]
	}
	var st models.KudosState
	var err error
	if give {
		st, err = models.GiveKudos(ctx, s.db, u, id)
	} else {
		st, err = models.WithdrawKudos(ctx, s.db, u, id)
	}
	if err != nil {
		s.kudosError(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, gin.H{"count": st.Count, "given": st.Given,
			"label": s.localizer(c).T("kudos.count", "Count", st.Count)})
		return
	}
	p, err := models.PostByID(ctx, s.db, id)
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/q/"+strconv.FormatInt(p.QuestionID, 10)+"#post-"+strconv.FormatInt(id, 10))
}

// kudosError answers a failed kudos as JSON for the script or as a page.
func (s *server) kudosError(c *gin.Context, err error) {
	status, msg := 0, ""
	switch {
	case errors.Is(err, models.ErrKudosLimit):
		status, msg = http.StatusTooManyRequests, "kudos.limit"
	case errors.Is(err, models.ErrNotFound):
		status, msg = http.StatusNotFound, "error.not_found"
	case errors.Is(err, models.ErrSuspended):
		status, msg = http.StatusForbidden, "error.suspended"
	case errors.Is(err, models.ErrForbidden):
		status, msg = http.StatusForbidden, "kudos.own_post"
	}
	if status == 0 {
		s.handleErr(c, err)
		return
	}
	if wantsJSON(c) {
		c.AbortWithStatusJSON(status, gin.H{"error": s.localizer(c).T(msg)})
		return
	}
	s.errorPage(c, status, msg)
}

type userPointsData struct {
	User   *models.User
	Points int
	Rank   string
	Rows   []models.LedgerRow
	Next   int64
}

// userPointsPage lists a user's ledger: why they have their points. Rows
// about posts on boards the viewer may not see show their points only.
func (s *server) userPointsPage(c *gin.Context) {
	before, ok := queryID(c, "before")
	if !ok {
		s.errorPage(c, http.StatusBadRequest, "error.bad_cursor")
		return
	}
	ctx := c.Request.Context()
	u, err := models.UserByHandle(ctx, s.db, c.Param("handle"))
	if err != nil {
		s.handleErr(c, err)
		return
	}
	d := &userPointsData{User: u}
	if d.Points, d.Rank, err = models.UserPoints(ctx, s.db, u.ID); err != nil {
		s.fail(c, err)
		return
	}
	rows, err := models.Ledger(ctx, s.db, currentUser(c), u.ID, before, models.LedgerPageSize+1)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(rows) > models.LedgerPageSize {
		rows = rows[:models.LedgerPageSize]
		d.Next = rows[len(rows)-1].ID
	}
	d.Rows = rows
	s.render(c, http.StatusOK, "user_points", &Page{Title: "points.title", Data: d})
}
