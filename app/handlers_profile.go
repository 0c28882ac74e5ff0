package app

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/crowdcare/crowdcare/models"
)

type profileData struct {
	P *models.Profile
	// Avatar is the avatar URL when it is https, else "".
	Avatar string
	// Suspended is shown to moderators and admins only.
	Suspended bool
	// CanSuspend links moderators to the user's admin page.
	CanSuspend bool
	Questions  []models.QuestionSummary
	QNext      string
	QBefore    string
	Answers    []models.AnswerSummary
	ANext      string
	ABefore    string
	Badges     []badgeView
}

// profilePage shows a user's public profile and the activity of theirs the
// viewer may see. Each list pages on its own cursor (q_before, a_before).
func (s *server) profilePage(c *gin.Context) {
	ctx := c.Request.Context()
	viewer := currentUser(c)
	p, err := models.LoadProfile(ctx, s.db, viewer, c.Param("handle"))
	if err != nil {
		s.handleErr(c, err)
		return
	}
	d := &profileData{P: p, QBefore: c.Query("q_before"), ABefore: c.Query("a_before"),
		CanSuspend: models.CanSuspend(viewer, p.User)}
	if strings.HasPrefix(p.User.AvatarURL, "https://") {
		d.Avatar = p.User.AvatarURL
	}
	d.Suspended = viewer.CanModerate() && p.User.Suspended(time.Now())
	if d.Questions, d.QNext, err = models.ProfileQuestions(ctx, s.db, viewer, p.User.ID, d.QBefore, models.ProfilePageSize); err != nil {
		s.handleErr(c, err)
		return
	}
	if d.Answers, d.ANext, err = models.ProfileAnswers(ctx, s.db, viewer, p.User.ID, d.ABefore, models.ProfilePageSize); err != nil {
		s.handleErr(c, err)
		return
	}
	if d.Badges, err = s.userBadges(c, p.User.ID); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "profile", &Page{Title: "profile.title", Data: d})
}
