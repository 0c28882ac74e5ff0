package app

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis_rate/v10"
	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/models"
)

// expertRoutes registers the expert program: its public page, applying,
// nominating, verifying answers, and the admins' review queue and members.
func (s *server) expertRoutes(r *gin.Engine, auth *gin.RouterGroup) {
	r.GET("/experts", s.programPage)
	auth.GET("/experts/apply", s.applyForm)
	auth.POST("/experts/apply", s.rateLimit("expert-apply", programLimit), s.applySubmit)
	auth.POST("/experts/applications/:id/withdraw", s.ownApplication(models.WithdrawApplication, "/experts"))
	auth.POST("/experts/applications/:id/accept", s.ownApplication(models.AcceptNomination, "/experts?accepted=1"))
	staff := r.Group("/experts/nominate", s.requireStaff)
	staff.GET("", s.nominateForm)
	staff.POST("", s.nominateSubmit)
	auth.POST("/posts/:id/verify", s.verifySubmit(true))
	auth.POST("/posts/:id/unverify", s.verifySubmit(false))

	admin := r.Group("/admin/experts", s.requireRole(models.RoleAdmin))
	admin.GET("", s.adminApplications)
	admin.GET("/applications/:id", s.adminApplication)
	admin.POST("/applications/:id", s.adminApplicationDecide)
	admin.GET("/members", s.adminExperts)
	admin.POST("/members/:id", s.adminExpertChange)
	admin.POST("/members/:id/tier", s.adminExpertTier)
	admin.POST("/members/:id/boards", s.adminExpertBoards)
	admin.GET("/settings", s.adminProgramSettings)
	admin.POST("/settings", s.adminProgramSave)
	admin.POST("/tiers", s.adminTierSave)
	admin.POST("/tiers/:id", s.adminTierSave)
}

// programLimit bounds applications per client IP: a person applies once;
// a script filing applications in a loop is stopped.
var programLimit = redis_rate.PerMinute(20)

// requireStaff lets employees, moderators and admins through.
func (s *server) requireStaff(c *gin.Context) {
	u := currentUser(c)
	if u == nil {
		s.errorPage(c, http.StatusUnauthorized, "error.signin_required")
		return
	}
	if !u.IsStaff() {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return
	}
	c.Next()
}

// expertErr shows the page for the program's conflicts, else handleErr.
func (s *server) expertErr(c *gin.Context, err error) {
	switch {
	case errors.Is(err, models.ErrApplicationPending):
		s.errorPage(c, http.StatusConflict, "experts.error.pending")
	case errors.Is(err, models.ErrAlreadyExpert):
		s.errorPage(c, http.StatusConflict, "experts.error.already")
	case errors.Is(err, models.ErrNotPending):
		s.errorPage(c, http.StatusConflict, "experts.error.decided")
	case errors.Is(err, models.ErrGuidelinesNotAccepted):
		s.errorPage(c, http.StatusConflict, "experts.error.not_accepted")
	case errors.Is(err, models.ErrRankTooLow):
		s.errorPage(c, http.StatusForbidden, "experts.error.rank")
	case errors.Is(err, models.ErrConflict):
		s.errorPage(c, http.StatusConflict, "experts.error.conflict")
	default:
		s.handleErr(c, err)
	}
}

// formIDs reads every value of a repeated form field as positive ids; ok
// is false when one is not a number.
func formIDs(form url.Values, name string) ([]int64, bool) {
	var out []int64
	for _, v := range form[name] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

// programData is the program page.
type programData struct {
	Program     *models.Program
	Eligibility *models.Eligibility
	Mine        *models.MyProgram
	Experts     []models.ExpertView
}

func (s *server) programPage(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	p, err := models.LoadProgram(ctx, s.db)
	if err != nil {
		s.fail(c, err)
		return
	}
	d := &programData{Program: p}
	if d.Eligibility, err = models.ApplyEligibility(ctx, s.db, u, p); err != nil {
		s.fail(c, err)
		return
	}
	if u != nil {
		if d.Mine, err = models.LoadMyProgram(ctx, s.db, u); err != nil {
			s.fail(c, err)
			return
		}
	}
	if d.Experts, err = models.ProgramExperts(ctx, s.db, 60); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "experts", &Page{Title: "experts.title", Data: d})
}

// applyData is the application form, also used for nominations.
type applyData struct {
	Program  *models.Program
	Boards   []models.Board
	Nominee  string // handle, for a nomination
	Nominate bool
}

func (s *server) applyForm(c *gin.Context) {
	s.showApply(c, http.StatusOK, nil, nil)
}

// showApply renders the form; a member who may not apply gets the
// program page's reason instead of a form they cannot send.
func (s *server) showApply(c *gin.Context, status int, verr *models.ValidationError, form url.Values) {
	ctx := c.Request.Context()
	u := currentUser(c)
	p, err := models.LoadProgram(ctx, s.db)
	if err != nil {
		s.fail(c, err)
		return
	}
	el, err := models.ApplyEligibility(ctx, s.db, u, p)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !el.CanApply {
		s.errorPage(c, http.StatusForbidden, el.Reason)
		return
	}
	bs, err := models.BoardsFor(ctx, s.db, u)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, status, "experts_apply", &Page{Title: "experts.apply_title", Data: &applyData{Program: p, Boards: bs}, Errors: verr, Form: form})
}

func (s *server) applySubmit(c *gin.Context) {
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	ids, ok := formIDs(form, "board")
	if !ok {
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	in := models.ApplyInput{Statement: form.Get("statement"), BoardIDs: ids, AcceptGuidelines: form.Get("accept") == "1"}
	_, err := models.ApplyForExpert(c.Request.Context(), s.db, currentUser(c), in)
	if v, ok := validationErr(err); ok {
		s.showApply(c, http.StatusUnprocessableEntity, v, form)
		return
	}
	if err != nil {
		s.expertErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/experts?applied=1")
}

// ownApplication runs act on the signed-in member's application :id (to
// withdraw it, or accept the guidelines of a nomination), then goes to next.
func (s *server) ownApplication(act func(ctx context.Context, db *gorm.DB, u *models.User, id int64) error, next string) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, _, ok := s.idAndForm(c)
		if !ok {
			return
		}
		if err := act(c.Request.Context(), s.db, currentUser(c), id); err != nil {
			s.expertErr(c, err)
			return
		}
		c.Redirect(http.StatusSeeOther, next)
	}
}

func (s *server) nominateForm(c *gin.Context) {
	s.showNominate(c, http.StatusOK, nil, url.Values{"handle": {c.Query("handle")}})
}

func (s *server) showNominate(c *gin.Context, status int, verr *models.ValidationError, form url.Values) {
	ctx := c.Request.Context()
	p, err := models.LoadProgram(ctx, s.db)
	if err != nil {
		s.fail(c, err)
		return
	}
	// Staff see every board they may read; the nominee's own visibility
	// is checked when the nomination is filed.
	bs, err := models.BoardsFor(ctx, s.db, currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, status, "experts_apply", &Page{Title: "experts.nominate_title",
		Data: &applyData{Program: p, Boards: bs, Nominate: true, Nominee: form.Get("handle")}, Errors: verr, Form: form})
}

func (s *server) nominateSubmit(c *gin.Context) {
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	ids, ok := formIDs(form, "board")
	if !ok {
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	ctx := c.Request.Context()
	target, err := models.UserByHandle(ctx, s.db, form.Get("handle"))
	if errors.Is(err, models.ErrNotFound) || (err == nil && models.ValidateHandle(form.Get("handle")) != nil) {
		v := &models.ValidationError{}
		v.Add("handle", "error.user_unknown", nil)
		s.showNominate(c, http.StatusUnprocessableEntity, v, form)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	_, err = models.NominateExpert(ctx, s.db, currentUser(c), target.ID, models.ApplyInput{Statement: form.Get("statement"), BoardIDs: ids})
	if v, ok := validationErr(err); ok {
		s.showNominate(c, http.StatusUnprocessableEntity, v, form)
		return
	}
	if err != nil {
		s.expertErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/u/"+url.PathEscape(target.Handle)+"?nominated=1")
}

// verifySubmit marks an answer verified (on) or takes it back.
func (s *server) verifySubmit(on bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, _, ok := s.idAndForm(c)
		if !ok {
			return
		}
		ctx := c.Request.Context()
		u := currentUser(c)
		var err error
		if on {
			err = models.VerifyAnswer(ctx, s.db, u, id)
		} else {
			err = models.UnverifyAnswer(ctx, s.db, u, id)
		}
		if err != nil {
			s.handleErr(c, err)
			return
		}
		p, err := models.PostByID(ctx, s.db, id)
		if err != nil {
			s.handleErr(c, err)
			return
		}
		c.Redirect(http.StatusSeeOther, "/q/"+strconv.FormatInt(p.QuestionID, 10)+"#post-"+strconv.FormatInt(id, 10))
	}
}

// adminApplicationsData is the review queue, or a list of decided ones.
type adminApplicationsData struct {
	Status       string
	Statuses     []string
	Applications []models.ApplicationView
	Next         int64
}

func (s *server) adminApplications(c *gin.Context) {
	status := c.DefaultQuery("status", models.AppPending)
	after, ok := queryID(c, "after")
	if !ok || !models.ValidApplicationStatus(status) {
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	apps, next, err := models.ExpertApplications(c.Request.Context(), s.db, status, after, models.ExpertPageSize)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin_experts", &Page{Title: "experts.admin_title",
		Data: &adminApplicationsData{Status: status, Applications: apps, Next: next,
			Statuses: []string{models.AppPending, models.AppApproved, models.AppDeclined, models.AppWithdrawn}}})
}

// adminApplicationData is one application under review.
type adminApplicationData struct {
	App   *models.ApplicationDetail
	Tiers []models.ExpertTier
	Audit []models.AuditView // for the shared audit_table partial
}

func (s *server) adminApplication(c *gin.Context) {
	s.showApplication(c, http.StatusOK, nil, nil)
}

func (s *server) showApplication(c *gin.Context, status int, verr *models.ValidationError, form url.Values) {
	id, ok := paramID(c)
	if !ok {
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return
	}
	ctx := c.Request.Context()
	d, err := models.LoadApplication(ctx, s.db, currentUser(c), id)
	if err != nil {
		s.handleErr(c, err)
		return
	}
	tiers, err := models.ExpertTiers(ctx, s.db)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, status, "admin_expert_application", &Page{Title: "experts.review_title",
		Data: &adminApplicationData{App: d, Tiers: tiers, Audit: d.History}, Errors: verr, Form: form})
}

func (s *server) adminApplicationDecide(c *gin.Context) {
	id, form, ok := s.idAndForm(c)
	if !ok {
		return
	}
	in := models.DecisionInput{Note: form.Get("note")}
	switch form.Get("action") {
	case "approve":
		in.Approve = true
		tier, err := strconv.ParseInt(form.Get("tier"), 10, 64)
		if err != nil {
			tier = 0 // reported as an invalid tier
		}
		in.TierID = tier
	case "decline":
	default:
		s.errorPage(c, http.StatusUnprocessableEntity, "error.bad_request")
		return
	}
	err := models.DecideApplication(c.Request.Context(), s.db, currentUser(c), id, in)
	if v, ok := validationErr(err); ok {
		s.showApplication(c, http.StatusUnprocessableEntity, v, form)
		return
	}
	if err != nil {
		s.expertErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/experts?decided=1")
}

// adminExpertsData is the list of program members of one status.
type adminExpertsData struct {
	Status   string
	Statuses []string
	Experts  []models.ExpertView
	Tiers    []models.ExpertTier
	Boards   []models.Board
	// Failed is the user whose form was refused, with why.
	Failed int64
}

func (s *server) adminExperts(c *gin.Context) {
	s.showExperts(c, http.StatusOK, c.DefaultQuery("status", models.ExpertActive), 0, nil, nil)
}

func (s *server) showExperts(c *gin.Context, status int, which string, failed int64, verr *models.ValidationError, form url.Values) {
	ctx := c.Request.Context()
	es, err := models.ExpertMembers(ctx, s.db, which)
	if errors.Is(err, models.ErrNotFound) {
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	d := &adminExpertsData{Status: which, Experts: es, Failed: failed,
		Statuses: []string{models.ExpertActive, models.ExpertPaused, models.ExpertRemoved}}
	if d.Tiers, err = models.ExpertTiers(ctx, s.db); err != nil {
		s.fail(c, err)
		return
	}
	if d.Boards, err = models.BoardsFor(ctx, s.db, currentUser(c)); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, status, "admin_expert_members", &Page{Title: "experts.members_title", Data: d, Errors: verr, Form: form})
}

// afterExpertChange redisplays the members list with the form's errors, or
// goes back to it.
func (s *server) afterExpertChange(c *gin.Context, id int64, form url.Values, err error) {
	if v, ok := validationErr(err); ok {
		ex, lerr := models.ExpertOf(c.Request.Context(), s.db, id)
		which := models.ExpertActive
		if lerr == nil && ex != nil {
			which = ex.Status
		}
		s.showExperts(c, http.StatusUnprocessableEntity, which, id, v, form)
		return
	}
	if err != nil {
		s.expertErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/experts/members?saved=1")
}

func (s *server) adminExpertChange(c *gin.Context) {
	id, form, ok := s.idAndForm(c)
	if !ok {
		return
	}
	err := models.ChangeExpert(c.Request.Context(), s.db, currentUser(c), id, models.ExpertAction(form.Get("action")), form.Get("reason"))
	s.afterExpertChange(c, id, form, err)
}

func (s *server) adminExpertTier(c *gin.Context) {
	id, form, ok := s.idAndForm(c)
	if !ok {
		return
	}
	tier, err := strconv.ParseInt(form.Get("tier"), 10, 64)
	if err != nil {
		tier = 0
	}
	err = models.SetExpertTier(c.Request.Context(), s.db, currentUser(c), id, tier, form.Get("reason"))
	s.afterExpertChange(c, id, form, err)
}

func (s *server) adminExpertBoards(c *gin.Context) {
	id, form, ok := s.idAndForm(c)
	if !ok {
		return
	}
	ids, ok := formIDs(form, "board")
	if !ok {
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	err := models.SetExpertBoards(c.Request.Context(), s.db, currentUser(c), id, ids)
	s.afterExpertChange(c, id, form, err)
}

// programSettingsData is the admin's program settings page.
type programSettingsData struct {
	Program *models.Program
	Ranks   []models.Rank
	Saved   bool
}

func (s *server) adminProgramSettings(c *gin.Context) {
	s.showProgramSettings(c, http.StatusOK, nil, nil)
}

func (s *server) showProgramSettings(c *gin.Context, status int, verr *models.ValidationError, form url.Values) {
	ctx := c.Request.Context()
	p, err := models.LoadProgram(ctx, s.db)
	if err != nil {
		s.fail(c, err)
		return
	}
	ranks, err := models.AllRanks(s.db.WithContext(ctx))
	if err != nil {
		s.fail(c, err)
		return
	}
	if form == nil {
		minRank := "0"
		if p.MinRank != nil {
			minRank = strconv.FormatInt(p.MinRank.ID, 10)
		}
		form = url.Values{"min_rank": {minRank}, "guidelines": {p.GuidelinesMD},
			"route_per_question": {strconv.Itoa(p.RoutePerQuestion)}, "route_max_open": {strconv.Itoa(p.RouteMaxOpen)},
			"route_expire_hours": {strconv.Itoa(p.RouteExpireHours)}}
	}
	s.render(c, status, "admin_expert_settings", &Page{Title: "experts.settings_title",
		Data: &programSettingsData{Program: p, Ranks: ranks, Saved: c.Query("saved") == "1"}, Errors: verr, Form: form})
}

func (s *server) adminProgramSave(c *gin.Context) {
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	minRank, err := strconv.ParseInt(form.Get("min_rank"), 10, 64)
	if err != nil || minRank < 0 {
		v := &models.ValidationError{}
		v.Add("min_rank", "error.invalid", nil)
		s.showProgramSettings(c, http.StatusUnprocessableEntity, v, form)
		return
	}
	err = models.UpdateProgram(c.Request.Context(), s.db, currentUser(c), models.ProgramInput{MinRankID: minRank,
		GuidelinesMD: form.Get("guidelines"), RoutePerQuestion: form.Get("route_per_question"),
		RouteMaxOpen: form.Get("route_max_open"), RouteExpireHours: form.Get("route_expire_hours")})
	if v, ok := validationErr(err); ok {
		s.showProgramSettings(c, http.StatusUnprocessableEntity, v, form)
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/experts/settings?saved=1")
}

func (s *server) adminTierSave(c *gin.Context) {
	var id int64
	if c.Param("id") != "" {
		n, ok := paramID(c)
		if !ok {
			s.errorPage(c, http.StatusNotFound, "error.not_found")
			return
		}
		id = n
	}
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	err := models.SaveTier(c.Request.Context(), s.db, currentUser(c), id, form.Get("tier_name"), form.Get("tier_description"))
	if v, ok := validationErr(err); ok {
		s.showProgramSettings(c, http.StatusUnprocessableEntity, v, form)
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/experts/settings?saved=1")
}
