package app

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis_rate/v10"

	"github.com/crowdcare/crowdcare/models"
)

// Per-user posting limits, counted in Redis so every web process shares
// them. They stop a script or a runaway paste loop, not a busy person:
// ten questions, thirty answers and sixty edits an hour. Staff are not
// limited.
var postLimits = map[string]redis_rate.Limit{
	"ask":    {Rate: 10, Burst: 10, Period: time.Hour},
	"answer": {Rate: 30, Burst: 30, Period: time.Hour},
	"edit":   {Rate: 60, Burst: 60, Period: time.Hour},
}

// safetyNoticeKey carries a private-data warning from a handler to the
// form it shows again.
const safetyNoticeKey = "safety_notice"

// safetyNotice is the private-data warning a form shows.
type safetyNotice struct {
	Findings []models.PrivateFinding
	// Question offers to move the question to a private thread.
	Question bool
}

// safetyRoutes registers the review queue of held posts and the staff
// action that makes a thread private or public.
func (s *server) safetyRoutes(auth *gin.RouterGroup) {
	auth.GET("/moderation/held", s.heldPage)
	auth.POST("/moderation/held/:id/approve", s.heldDecide(true))
	auth.POST("/moderation/held/:id/reject", s.heldDecide(false))
	auth.POST("/q/:id/privacy", s.privacySubmit)
	auth.GET("/admin/safety", s.requireRole(models.RoleAdmin), s.safetySettingsPage)
	auth.POST("/admin/safety", s.requireRole(models.RoleAdmin), s.safetySettingsSubmit)
}

type safetySettingsData struct {
	Names  []string
	Values map[string]int
	Saved  bool
}

// Value is what a settings field shows: the refilled form, else the setting.
func (d *safetySettingsData) Value(p *Page, name string) string {
	if p.Form != nil {
		return p.Form.Get(name)
	}
	return strconv.Itoa(d.Values[name])
}

func (s *server) safetySettingsPage(c *gin.Context) {
	vals, err := models.SafetySettings(c.Request.Context(), s.db)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin_safety", &Page{Title: "safety.settings.title",
		Data: &safetySettingsData{Names: models.SafetySettingNames, Values: vals, Saved: c.Query("saved") == "1"}})
}

func (s *server) safetySettingsSubmit(c *gin.Context) {
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	in := map[string]string{}
	for _, n := range models.SafetySettingNames {
		in[n] = form.Get(n)
	}
	err := models.UpdateSafetySettings(c.Request.Context(), s.db, currentUser(c), in)
	if v, ok := validationErr(err); ok {
		s.render(c, http.StatusUnprocessableEntity, "admin_safety", &Page{Title: "safety.settings.title",
			Data: &safetySettingsData{Names: models.SafetySettingNames}, Errors: v, Form: form})
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/safety?saved=1")
}

// screening is what a web post is checked for; the form's private_data
// choice ("post" anyway, or make the question "private") answers a
// warning shown before.
func (s *server) screening(form url.Values) models.Screening {
	return models.Screening{NewAccount: s.cfg.PostingLimits, PrivateData: true,
		AllowPrivateData: form.Get("private_data") == "post", Private: form.Get("private_data") == "private"}
}

// postRateLimited counts one post of group for the signed-in user and,
// past the limit, returns the form error to show (with Retry-After set).
func (s *server) postRateLimited(c *gin.Context, group string) *models.ValidationError {
	u := currentUser(c)
	if !s.cfg.PostingLimits || u == nil || u.IsStaff() {
		return nil
	}
	ok, wait := s.limiter.allow(c.Request.Context(), "post-"+group, "user:"+strconv.FormatInt(u.ID, 10), postLimits[group])
	if ok {
		return nil
	}
	mins := int(math.Ceil(wait.Minutes()))
	if mins < 1 {
		mins = 1
	}
	c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	s.logger.WarnContext(c.Request.Context(), "posting rate limited", "group", group, "user", u.ID, "request_id", requestID(c.Request.Context()))
	v := &models.ValidationError{}
	v.Add("body", "safety.error.rate_limited", map[string]any{"Count": mins})
	return v
}

// safetyFormError turns the screening errors of a post into what its form
// shows again: the status, the field error and any private-data warning.
func safetyFormError(c *gin.Context, err error, question bool) (int, *models.ValidationError, bool) {
	var pd *models.PrivateDataError
	if errors.As(err, &pd) {
		c.Set(safetyNoticeKey, &safetyNotice{Findings: pd.Findings, Question: question})
		v := &models.ValidationError{}
		v.Add("body", "safety.private_data.field", nil)
		return http.StatusUnprocessableEntity, v, true
	}
	var le *models.LimitError
	if errors.As(err, &le) {
		v := &models.ValidationError{}
		id := "safety.error.first_day_questions"
		if le.Kind == models.KindAnswer {
			id = "safety.error.first_day_answers"
		}
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(time.Until(le.Until).Seconds()))))
		v.Add("body", id, map[string]any{"Count": le.Max, "Until": le.Until.Format("2006-01-02 15:04 UTC")})
		return http.StatusTooManyRequests, v, true
	}
	return 0, nil, false
}

// noticeOf returns the warning a handler left for the form, if any.
func noticeOf(c *gin.Context) *safetyNotice {
	if v, ok := c.Get(safetyNoticeKey); ok {
		return v.(*safetyNotice)
	}
	return nil
}

type heldData struct {
	Posts []models.HeldPost
}

func (s *server) heldPage(c *gin.Context) {
	ps, err := models.HeldPosts(c.Request.Context(), s.db, currentUser(c))
	if err != nil {
		s.handleErr(c, err)
		return
	}
	s.render(c, http.StatusOK, "moderation_held", &Page{Title: "safety.held.title", Data: &heldData{Posts: ps}})
}

func (s *server) heldDecide(approve bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, form, ok := s.idAndForm(c)
		if !ok {
			return
		}
		err := models.DecideHeld(c.Request.Context(), s.db, currentUser(c), id, approve, form.Get("reason"))
		if v, ok := validationErr(err); ok {
			ps, lerr := models.HeldPosts(c.Request.Context(), s.db, currentUser(c))
			if lerr != nil {
				s.handleErr(c, lerr)
				return
			}
			s.render(c, http.StatusUnprocessableEntity, "moderation_held", &Page{Title: "safety.held.title",
				Data: &heldData{Posts: ps}, Errors: v, Form: form})
			return
		}
		if err != nil {
			s.handleErr(c, err)
			return
		}
		c.Redirect(http.StatusSeeOther, "/moderation/held")
	}
}

func (s *server) privacySubmit(c *gin.Context) {
	id, form, ok := s.idAndForm(c)
	if !ok {
		return
	}
	var private bool
	switch form.Get("private") {
	case "1":
		private = true
	case "0":
	default:
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	err := models.SetThreadPrivate(c.Request.Context(), s.db, currentUser(c), id, private, form.Get("reason"))
	if v, ok := validationErr(err); ok {
		s.showQuestion(c, http.StatusUnprocessableEntity, v, form)
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/q/"+strconv.FormatInt(id, 10))
}
