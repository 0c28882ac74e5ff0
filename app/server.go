package app

import (
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/models"
	"github.com/crowdcare/crowdcare/static"
)

// server carries what handlers need; it is built once per process.
type server struct {
	app     *App
	cfg     Config
	db      *gorm.DB
	logger  *slog.Logger
	secret  []byte
	bundle  *i18n.Bundle
	views   *views
	metrics *metrics
	engine  *gin.Engine
	auth    *authKit     // social sign-in providers and cookies
	limiter *rateLimiter // per-IP request limits in Redis
}

// Handler returns the whole web application as one http.Handler.
func (a *App) Handler() http.Handler {
	s := a.newServer()
	s.engine = s.routes()
	return withRequestLog(a.Logger, withSecurity(s.formTargets(), s.withOneClickUnsubscribe(s.withCSRF(s.engine))))
}

func (a *App) newServer() *server {
	return &server{app: a, cfg: a.Cfg, db: a.DB, logger: a.Logger, secret: a.secret,
		bundle: a.bundle, views: a.views, metrics: a.metrics,
		auth: newAuthKit(a), limiter: newRateLimiter(a.redis, a.Cfg.Queue, a.Logger)}
}

// routeList returns every registered route, so a test can prove that each
// state-changing one is protected.
func (a *App) routeList() gin.RoutesInfo { return a.newServer().routes().Routes() }

// routes registers every route in one place.
func (s *server) routes() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = true
	r.Use(s.metrics.middleware, s.loadUser)
	r.NoRoute(func(c *gin.Context) { s.errorPage(c, http.StatusNotFound, "error.not_found") })
	r.NoMethod(func(c *gin.Context) { s.errorPage(c, http.StatusMethodNotAllowed, "error.method_not_allowed") })

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", gin.WrapH(s.metrics.handler()))
	staticFS, _ := fs.Sub(static.FS, ".")
	r.StaticFS("/static", http.FS(staticFS))

	r.GET("/", s.listPage(models.ListLatest))
	r.GET("/unanswered", s.listPage(models.ListUnanswered))
	r.GET("/solved", s.listPage(models.ListSolved))
	r.GET("/boards", s.boardsPage)
	r.GET("/b/:slug", s.boardPage)
	r.GET("/tags/:name", s.tagPage)
	r.GET("/b/:slug/feed.atom", s.boardFeed)
	r.GET("/tags/:name/feed.atom", s.tagFeed)
	r.GET("/search", s.searchPage)
	r.GET("/q/:id", s.questionPage)
	r.GET("/posts/:id/revisions", s.revisionsPage)
	r.POST("/locale", s.setLocale)

	auth := r.Group("/", s.requireUser)
	auth.GET("/ask", s.askForm)
	auth.POST("/ask", s.askSubmit)
	auth.POST("/q/:id/answers", s.answerSubmit)
	auth.POST("/q/:id/accept", s.acceptSubmit)
	auth.GET("/posts/:id/edit", s.editForm)
	auth.POST("/posts/:id/edit", s.editSubmit)
	auth.POST("/posts/:id/delete", s.deleteSubmit)
	auth.POST("/posts/:id/kudos", s.kudosSubmit)
	auth.GET("/settings", s.settingsForm)
	auth.POST("/settings", s.settingsSubmit)
	auth.POST("/signout", s.signOut)
	auth.POST("/signout/everywhere", s.signOutEverywhere)

	r.GET("/signin", s.signInPage)
	r.GET("/dev/signin", s.devSignInForm)
	r.POST("/dev/signin", s.rateLimit("dev-signin", devSignInLimit), s.devSignInSubmit)
	// -- social sign-in routes --
	r.GET("/guidelines", s.guidelinesPage)
	if s.hasProviders() {
		// Without a provider these could never succeed, so they do not exist.
		r.GET("/auth/:provider", s.rateLimit("auth-begin", signInLimit), s.authBegin)
		r.GET("/auth/:provider/callback", s.rateLimit("auth-callback", signInLimit), s.authCallback)
		r.GET("/signup", s.signupForm)
		r.POST("/signup", s.rateLimit("signup", signInLimit), s.signupSubmit)
		auth.POST("/settings/link/:provider", s.rateLimit("auth-begin", signInLimit), s.linkBegin)
	}
	// -- profile and account routes --
	r.GET("/u/:handle", s.profilePage)
	r.GET("/u/:handle/points", s.userPointsPage)
	// -- badge routes --
	r.GET("/badges", s.badgesPage)
	r.GET("/badges/:slug", s.badgePage)
	r.POST("/badges/:slug/grant", s.requireRole(models.RoleAdmin), s.badgeGrant)
	// -- leaderboard routes --
	r.GET("/leaderboard", s.leaderboardPage)
	// -- product team alert subscriptions and emerging issues (handlers_alerts.go, handlers_issues.go) --
	s.alertRoutes(auth)
	s.issueRoutes(auth)
	// -- reports, the moderation queue and its actions (handlers_moderation.go) --
	s.moderationRoutes(r, auth)
	// -- notifications (handlers_notifications.go) --
	s.notificationRoutes(auth)
	// -- following, email preferences and unsubscribe links (handlers_notify.go) --
	s.notifyRoutes(r, auth)
	// -- expert program: program page, applications, admin queue, verification (handlers_experts.go) --
	s.expertRoutes(r, auth)
	// -- routing of unanswered questions and the expert dashboard (handlers_dashboard.go) --
	s.dashboardRoutes(r, auth)
	// -- recognition: manual badges, contributor exports, employee volunteers (handlers_recognition.go) --
	s.recognitionRoutes(r, auth)
	// -- community health, archive exports and saved replies (handlers_health.go) --
	s.healthRoutes(r, auth)
	// -- safety: held posts' review queue, private threads (handlers_safety.go) --
	s.safetyRoutes(auth)

	admin := r.Group("/admin", s.requireRole(models.RoleAdmin))
	admin.GET("/boards", s.adminBoards)
	admin.GET("/boards/new", s.adminBoardForm)
	admin.POST("/boards", s.adminBoardCreate)
	admin.GET("/boards/:id/edit", s.adminBoardForm)
	admin.POST("/boards/:id", s.adminBoardUpdate)
	// -- points, ranks and kudos settings --
	admin.GET("/points", s.adminPoints)
	admin.POST("/points/rules", s.adminPointsRules)
	admin.POST("/points/ranks", s.adminRankSave)
	admin.POST("/points/ranks/:id", s.adminRankSave)
	admin.POST("/points/ranks/:id/delete", s.adminRankDelete)
	// -- admin user routes --
	admin.GET("/audit", s.adminAudit)
	admin.POST("/users/:id/roles", s.adminUserRole)
	// Moderators may find a user and suspend them; roles and the audit
	// log stay with admins.
	mods := r.Group("/admin/users", s.requireModerator)
	mods.GET("", s.adminUsers)
	mods.GET("/:id", s.adminUser)
	mods.POST("/:id/suspend", s.adminUserSuspend)
	// The kudos cases the nightly audit opens are for moderators to decide.
	cases := r.Group("/admin/kudos-cases", s.requireModerator)
	cases.GET("", s.kudosCasesPage)
	cases.POST("/:id", s.kudosCaseDecide)
	return r
}

func (s *server) readyz(c *gin.Context) {
	checks := s.app.Ready(c.Request.Context())
	status := http.StatusOK
	for _, v := range checks {
		if v != "ok" {
			status = http.StatusServiceUnavailable
		}
	}
	c.Header("Content-Type", "application/json")
	c.Status(status)
	_ = json.NewEncoder(c.Writer).Encode(checks)
}
