package app

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/crowdcare/crowdcare/models"
)

// dashboardRoutes registers the expert dashboard. Routing itself runs in
// the background (jobs/routing.go); the board's first-response target is
// set on the admin board form (handlers_account.go).
func (s *server) dashboardRoutes(r *gin.Engine, auth *gin.RouterGroup) {
	auth.GET("/experts/dashboard", s.expertDashboard)
}

// expertDashboard shows an expert or an employee their routed questions,
// the unanswered queue of their boards and their record. Who may have one
// is models.CanUseExpertDashboard: anyone else gets 403 (visitors were
// sent to sign in by the group).
func (s *server) expertDashboard(c *gin.Context) {
	d, err := models.ExpertDashboard(c.Request.Context(), s.db, currentUser(c), time.Now())
	if err != nil {
		s.handleErr(c, err)
		return
	}
	s.render(c, http.StatusOK, "expert_dashboard", &Page{Title: "dashboard.title", Data: d})
}
