package app

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/crowdcare/crowdcare/models"
)

// leaderboardData is the leaderboard page: one board and the choices that
// lead to the others.
type leaderboardData struct {
	LB          *models.Leaderboard
	Period      string
	Audience    string
	Board       string // slug; "" for overall
	IncludeMods bool
	Boards      []models.Board // the boards the viewer may see
	Depth       int            // models.PrevRankDepth, for "up from below N"
}

// URL links to this page with one setting changed and the others kept.
func (d *leaderboardData) URL(key, value string) string {
	v := url.Values{}
	set := func(k, val, def string) {
		if k == key {
			val = value
		}
		if val != def {
			v.Set(k, val)
		}
	}
	set("period", d.Period, models.PeriodWeek)
	set("audience", d.Audience, models.AudienceMember)
	set("board", d.Board, "")
	mods := ""
	if d.IncludeMods {
		mods = "1"
	}
	set("mods", mods, "")
	if len(v) == 0 {
		return "/leaderboard"
	}
	return "/leaderboard?" + v.Encode()
}

// leaderboardPage shows the top 100 of a period, board and audience:
// ?period=week|month|all, ?board=SLUG (a board the viewer may see; none for
// overall), ?audience=member|staff, ?mods=1 to include moderators and admins.
func (s *server) leaderboardPage(c *gin.Context) {
	d := &leaderboardData{Period: c.DefaultQuery("period", models.PeriodWeek), Audience: c.DefaultQuery("audience", models.AudienceMember),
		Board: c.Query("board"), IncludeMods: c.Query("mods") == "1", Depth: models.PrevRankDepth}
	if !models.ValidPeriod(d.Period) || !models.ValidAudience(d.Audience) {
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	ctx := c.Request.Context()
	viewer := currentUser(c)
	lb, err := models.Top(ctx, s.db, models.LeaderboardOptions{Period: d.Period, Board: d.Board, Audience: d.Audience,
		ExcludeStaffRoles: !d.IncludeMods, Limit: models.LeaderboardMaxLimit, Viewer: viewer})
	if err != nil {
		s.handleErr(c, err)
		return
	}
	d.LB = lb
	if d.Boards, err = models.BoardsFor(ctx, s.db, viewer); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "leaderboard", &Page{Title: "leaderboard.title", Data: d})
}
