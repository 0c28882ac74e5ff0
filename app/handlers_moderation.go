package app

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis_rate/v10"

	"github.com/crowdcare/crowdcare/models"
)

// reportLimit bounds how fast one address files reports.
var reportLimit = redis_rate.PerMinute(20)

// moderationRoutes registers reporting (any signed-in member) and the
// moderation queue and actions (moderators and admins).
func (s *server) moderationRoutes(r *gin.Engine, auth *gin.RouterGroup) {
	auth.POST("/posts/:id/report", s.rateLimit("report", reportLimit), s.reportSubmit)
	mod := r.Group("/moderation", s.requireModerator)
	mod.GET("", s.moderationQueue)
	mod.GET("/posts/:id", s.moderationPost)
	for _, a := range models.ModActions {
		if models.IsQuestionAction(a) {
			mod.POST("/questions/:id/"+a, s.moderateSubmit(a, true))
		} else {
			mod.POST("/posts/:id/"+a, s.moderateSubmit(a, false))
		}
	}
}

// reportSubmit files a report of a post and goes back to its question.
func (s *server) reportSubmit(c *gin.Context) {
	id, form, ok := s.idAndForm(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	rep, err := models.ReportPost(ctx, s.db, currentUser(c), id, form.Get("reason"), form.Get("note"))
	switch {
	case errors.Is(err, models.ErrAlreadyReported):
		s.errorPage(c, http.StatusConflict, "moderation.already_reported")
		return
	case errors.Is(err, models.ErrOwnPost):
		s.errorPage(c, http.StatusForbidden, "moderation.own_post")
		return
	}
	if v, ok := validationErr(err); ok {
		msg := "moderation.error.reason"
		if v.Field("reason") == nil {
			msg = "moderation.error.note"
		}
		s.errorPage(c, http.StatusUnprocessableEntity, msg)
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	p, err := models.PostByID(ctx, s.db, rep.PostID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/q/"+strconv.FormatInt(p.QuestionID, 10)+"?reported=1#post-"+strconv.FormatInt(p.ID, 10))
}

// moderationQueueData is one page of the queue.
type moderationQueueData struct {
	Done    bool
	Items   []models.QueueItem
	Next    int64
	Reasons []string
}

func (s *server) moderationQueue(c *gin.Context) {
	after, ok := queryID(c, "after")
	if !ok {
		s.errorPage(c, http.StatusBadRequest, "error.bad_cursor")
		return
	}
	items, next, err := models.ModerationQueue(c.Request.Context(), s.db, after, models.QueuePageSize)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "moderation_queue", &Page{Title: "moderation.title",
		Data: &moderationQueueData{Done: validAction(c.Query("done")), Items: items, Next: next, Reasons: models.ReportReasons}})
}

// moderationPostData is the moderation page of one post.
type moderationPostData struct {
	Item   *models.QueueItem
	Boards []models.Board
	Done   string
	// Failed is the action whose form had invalid input.
	Failed string
}

func (s *server) moderationPost(c *gin.Context) {
	id, ok := paramID(c)
	if !ok {
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return
	}
	s.showModerationPost(c, http.StatusOK, id, nil, nil, "")
}

func (s *server) showModerationPost(c *gin.Context, status int, postID int64, verr *models.ValidationError, form url.Values, failed string) {
	ctx := c.Request.Context()
	it, err := models.ModerationItem(ctx, s.db, postID)
	if err != nil {
		s.handleErr(c, err)
		return
	}
	bs, err := models.BoardsFor(ctx, s.db, currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	tags, err := models.TagNamesOfQuestion(ctx, s.db, it.Question.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if form == nil {
		form = url.Values{"title": {it.Question.Title}, "body": {it.Post.BodyMD}, "tags": {strings.Join(tags, ", ")}}
	}
	done := c.Query("done")
	if done != "" && !validAction(done) {
		done = ""
	}
	s.render(c, status, "moderation_post", &Page{Title: "moderation.post_title", Errors: verr, Form: form,
		Data: &moderationPostData{Item: it, Boards: bs, Done: done, Failed: failed}})
}

func validAction(a string) bool {
	for _, k := range models.ModActions {
		if k == a {
			return true
		}
	}
	return false
}

// moderateSubmit applies one action. Question actions take the question's
// id and act through its body post.
func (s *server) moderateSubmit(action string, onQuestion bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, form, ok := s.idAndForm(c)
		if !ok {
			return
		}
		ctx := c.Request.Context()
		postID := id
		if onQuestion {
			pid, err := models.QuestionPostID(ctx, s.db, id)
			if err != nil {
				s.handleErr(c, err)
				return
			}
			postID = pid
		}
		in := models.ModInput{Action: action, Reason: form.Get("reason"), Board: form.Get("board"),
			Edit: models.EditInput{Title: form.Get("title"), Body: form.Get("body"), Tags: models.ParseTags(form.Get("tags"))}}
		switch action {
		case models.ModMerge:
			in.Target = parseQuestionRef(form.Get("target"))
		case models.ModSuspend:
			in.Days, _ = strconv.Atoi(strings.TrimSpace(form.Get("days")))
		}
		err := models.Moderate(ctx, s.db, currentUser(c), postID, in)
		if v, ok := validationErr(err); ok {
			s.showModerationPost(c, http.StatusUnprocessableEntity, postID, v, form, action)
			return
		}
		switch {
		case errors.Is(err, models.ErrConflict):
			s.errorPage(c, http.StatusConflict, "moderation.conflict")
			return
		case err != nil:
			s.handleErr(c, err)
			return
		}
		if form.Get("from") == "queue" {
			c.Redirect(http.StatusSeeOther, "/moderation?done="+action)
			return
		}
		c.Redirect(http.StatusSeeOther, "/moderation/posts/"+strconv.FormatInt(postID, 10)+"?done="+action)
	}
}

// parseQuestionRef reads a question given as its id or its address
// (/q/12 or https://host/q/12#post-3); 0 when it is neither.
func parseQuestionRef(s string) int64 {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "/q/"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// redirectMerged sends a visitor of a merged duplicate to the question it
// was merged into, when they may read it; false when there is none.
func (s *server) redirectMerged(c *gin.Context, questionID int64) bool {
	target, err := models.MergedTarget(c.Request.Context(), s.db, currentUser(c), questionID)
	if err != nil || target == 0 {
		return false
	}
	c.Redirect(http.StatusMovedPermanently, "/q/"+strconv.FormatInt(target, 10))
	return true
}

// SuspendedNow reports whether u is suspended as the page is drawn.
func (p *Page) SuspendedNow(u *models.User) bool { return u.Suspended(p.now) }

// modItemCtx is what the "mod_item" partial receives.
type modItemCtx struct {
	P    *Page
	Item *models.QueueItem
}

// modFormCtx is what the "mod_reason_form" partial receives.
type modFormCtx struct {
	P                    *Page
	ID                   int64
	Scope, Action, Class string
	Failed               bool
}

func init() {
	templateFuncs["reportReasons"] = func() []string { return models.ReportReasons }
	templateFuncs["modItem"] = func(p *Page, it any) modItemCtx {
		switch x := it.(type) {
		case models.QueueItem:
			return modItemCtx{P: p, Item: &x}
		case *models.QueueItem:
			return modItemCtx{P: p, Item: x}
		}
		return modItemCtx{P: p}
	}
	templateFuncs["modForm"] = func(p *Page, id int64, scope, action, class string) modFormCtx {
		c := modFormCtx{P: p, ID: id, Scope: scope, Action: action, Class: class}
		if d, ok := p.Data.(*moderationPostData); ok {
			c.Failed = d.Failed == action
		}
		return c
	}
}
