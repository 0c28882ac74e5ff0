package app

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/crowdcare/crowdcare/models"
)

type adminPointsData struct {
	Config *models.PointsConfig
	Boards []models.Board
	// RankID is the rank whose form failed (-1 for none, 0 for the new one),
	// so its row shows the submitted values and errors.
	RankID int64
	Saved  bool
}

// SettingValue is the value a settings field shows: the refilled form
// value after a failed save, else the stored one.
func (d *adminPointsData) SettingValue(p *Page, name string) string {
	if d.RankID == -1 && p.Form != nil {
		return p.Form.Get("setting_" + name)
	}
	return strconv.Itoa(d.Config.Settings[name])
}

// RulePoints is the points field of a rule, refilled like SettingValue.
func (d *adminPointsData) RulePoints(p *Page, r models.PointRule) string {
	if d.RankID == -1 && p.Form != nil {
		return p.Form.Get("points_" + r.Reason)
	}
	return strconv.Itoa(r.Points)
}

func (s *server) adminPoints(c *gin.Context) {
	s.showAdminPoints(c, http.StatusOK, nil, nil, -2)
}

func (s *server) showAdminPoints(c *gin.Context, status int, verr *models.ValidationError, form url.Values, rankID int64) {
	ctx := c.Request.Context()
	cfg, err := models.LoadPointsConfig(ctx, s.db)
	if err != nil {
		s.fail(c, err)
		return
	}
	// Admins see every board, so any board may be a perk.
	boards, err := models.BoardsFor(ctx, s.db, &models.User{Roles: []models.Role{models.RoleAdmin}})
	if err != nil {
		s.fail(c, err)
		return
	}
	d := &adminPointsData{Config: cfg, Boards: boards, RankID: rankID, Saved: c.Query("saved") == "1"}
	s.render(c, status, "admin_points", &Page{Title: "points.admin_title", Data: d, Errors: verr, Form: form})
}

// adminPointsRules saves the point rules, the daily cap and the kudos
// settings: all of them or, when one is invalid, none.
func (s *server) adminPointsRules(c *gin.Context) {
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	in := models.RulesInput{Points: map[string]string{}, Capped: map[string]bool{}, Settings: map[string]string{}}
	for k, v := range form {
		switch {
		case len(k) > 7 && k[:7] == "points_":
			in.Points[k[7:]] = v[0]
		case len(k) > 7 && k[:7] == "capped_":
			in.Capped[k[7:]] = v[0] == "1"
		case len(k) > 8 && k[:8] == "setting_":
			in.Settings[k[8:]] = v[0]
		}
	}
	err := models.UpdatePointRules(c.Request.Context(), s.db, currentUser(c), in)
	if v, ok := validationErr(err); ok {
		s.showAdminPoints(c, http.StatusUnprocessableEntity, v, form, -1)
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/points?saved=1")
}

// adminRankSave creates a rank (no :id) or updates one.
func (s *server) adminRankSave(c *gin.Context) {
	var id int64
	if c.Param("id") != "" {
		var ok bool
		if id, ok = paramID(c); !ok {
			s.errorPage(c, http.StatusNotFound, "error.not_found")
			return
		}
	}
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	in := models.RankInput{Name: form.Get("name"), Threshold: form.Get("threshold")}
	if pb := form.Get("perk_board"); pb != "" {
		n, err := strconv.ParseInt(pb, 10, 64)
		if err != nil || n <= 0 {
			v := &models.ValidationError{}
			v.Add("perk_board", "error.invalid", nil)
			s.showAdminPoints(c, http.StatusUnprocessableEntity, v, form, id)
			return
		}
		in.PerkBoardID = n
	}
	err := models.SaveRank(c.Request.Context(), s.db, currentUser(c), id, in)
	if v, ok := validationErr(err); ok {
		s.showAdminPoints(c, http.StatusUnprocessableEntity, v, form, id)
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/points?saved=1#ranks")
}

func (s *server) adminRankDelete(c *gin.Context) {
	id, ok := paramID(c)
	if !ok {
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return
	}
	err := models.DeleteRank(c.Request.Context(), s.db, currentUser(c), id)
	if v, ok := validationErr(err); ok {
		s.showAdminPoints(c, http.StatusUnprocessableEntity, v, nil, id)
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/points?saved=1#ranks")
}
