package app

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/crowdcare/crowdcare/models"
)

// handleErr turns a model error into the matching page.
func (s *server) handleErr(c *gin.Context, err error) {
	switch {
	case errors.Is(err, models.ErrNotFound):
		s.errorPage(c, http.StatusNotFound, "error.not_found")
	case errors.Is(err, models.ErrSuspended):
		s.errorPage(c, http.StatusForbidden, "error.suspended")
	case errors.Is(err, models.ErrLocked):
		s.errorPage(c, http.StatusForbidden, "moderation.locked")
	case errors.Is(err, models.ErrForbidden):
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
	case errors.Is(err, models.ErrBadCursor):
		s.errorPage(c, http.StatusBadRequest, "error.bad_cursor")
	default:
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			tooLarge(c.Writer)
			c.Abort()
			return
		}
		s.fail(c, err)
	}
}

// validationErr reports whether err is a validation error, and which.
func validationErr(err error) (*models.ValidationError, bool) {
	var v *models.ValidationError
	ok := errors.As(err, &v)
	return v, ok
}

// idAndForm reads the :id of a POST route (404 when it is not a positive
// number) and its form (413 or 400 when unreadable); false means a page was
// already shown.
func (s *server) idAndForm(c *gin.Context) (int64, url.Values, bool) {
	id, ok := paramID(c)
	if !ok {
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return 0, nil, false
	}
	form, ok := s.postForm(c)
	return id, form, ok
}

func paramID(c *gin.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	return id, err == nil && id > 0
}

// postForm parses the form; an oversized body ends the request with 413.
func (s *server) postForm(c *gin.Context) (url.Values, bool) {
	if err := c.Request.ParseForm(); err != nil {
		s.handleErr(c, err)
		if !c.IsAborted() {
			s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		}
		return nil, false
	}
	return c.Request.PostForm, true
}

type listData struct {
	Kind      models.ListKind
	Board     *models.Board
	Tag       *models.Tag
	Questions []models.QuestionSummary
	Next      string
	Boards    []models.Board
	Tags      []models.Tag
	BaseURL   string
	Following bool // the reader follows the board or tag
}

func (s *server) listPage(kind models.ListKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		s.renderList(c, &listData{Kind: kind, BaseURL: c.Request.URL.Path}, models.ListOptions{Kind: kind})
	}
}

func (s *server) renderList(c *gin.Context, d *listData, opt models.ListOptions) {
	ctx := c.Request.Context()
	u := currentUser(c)
	opt.Cursor = c.Query("cursor")
	qs, next, err := models.ListQuestions(ctx, s.db, u, opt)
	if err != nil {
		s.handleErr(c, err)
		return
	}
	if d.Tag != nil && opt.Cursor == "" && len(qs) == 0 {
		// A tag with nothing the reader may see is not there for them:
		// otherwise its name would tell that a private board uses it.
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return
	}
	d.Questions, d.Next = qs, next
	if d.Boards, err = models.BoardsFor(ctx, s.db, u); err != nil {
		s.fail(c, err)
		return
	}
	if d.Tags, err = models.PopularTags(ctx, s.db, u, 20); err != nil {
		s.fail(c, err)
		return
	}
	title := "list." + string(d.Kind)
	s.render(c, http.StatusOK, "list", &Page{Title: title, Data: d})
}

func (s *server) boardsPage(c *gin.Context) {
	bs, err := models.BoardsFor(c.Request.Context(), s.db, currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "boards", &Page{Title: "nav.boards", Data: bs})
}

func listKindParam(c *gin.Context) (models.ListKind, bool) {
	switch k := models.ListKind(c.DefaultQuery("list", string(models.ListLatest))); k {
	case models.ListLatest, models.ListUnanswered, models.ListSolved:
		return k, true
	default:
		return "", false
	}
}

func (s *server) boardPage(c *gin.Context) {
	b, err := models.BoardBySlug(c.Request.Context(), s.db, currentUser(c), c.Param("slug"))
	if err != nil {
		s.handleErr(c, err)
		return
	}
	kind, ok := listKindParam(c)
	if !ok {
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	s.renderList(c, &listData{Kind: kind, Board: b, BaseURL: "/b/" + b.Slug, Following: s.following(c, models.FollowBoard, b.ID)},
		models.ListOptions{Kind: kind, BoardID: b.ID})
}

func (s *server) tagPage(c *gin.Context) {
	t, err := models.TagByName(c.Request.Context(), s.db, c.Param("name"))
	if err != nil {
		s.handleErr(c, err)
		return
	}
	s.renderList(c, &listData{Kind: models.ListLatest, Tag: t, BaseURL: "/tags/" + url.PathEscape(t.Name), Following: s.following(c, models.FollowTag, t.ID)},
		models.ListOptions{Kind: models.ListLatest, TagID: t.ID})
}

type searchData struct {
	Query   string
	Results []models.QuestionSummary
	Page    int
	More    bool
}

// maxSearchPage bounds how deep a search may page.
const maxSearchPage = 50

func (s *server) searchPage(c *gin.Context) {
	q := strings.TrimSpace(c.Query("q"))
	if !utf8.ValidString(q) {
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	if utf8.RuneCountInString(q) > 200 {
		s.errorPage(c, http.StatusBadRequest, "error.query_too_long")
		return
	}
	page := 1
	if p := c.Query("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > maxSearchPage {
			s.errorPage(c, http.StatusBadRequest, "error.bad_request")
			return
		}
		page = n
	}
	d := &searchData{Query: q, Page: page}
	if q != "" {
		res, more, err := models.Search(c.Request.Context(), s.db, currentUser(c), q, page)
		if err != nil {
			s.fail(c, err)
			return
		}
		d.Results, d.More = res, more && page < maxSearchPage
	}
	s.render(c, http.StatusOK, "search", &Page{Title: "search.title", Data: d})
}

type questionData struct {
	Q         *models.QuestionView
	CanAccept bool
	Following bool
	Safety    *safetyNotice // a private-data warning on the answer form
}

func (s *server) questionPage(c *gin.Context) {
	s.showQuestion(c, http.StatusOK, nil, nil)
}

func (s *server) showQuestion(c *gin.Context, status int, verr *models.ValidationError, form url.Values) {
	id, ok := paramID(c)
	if !ok {
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return
	}
	u := currentUser(c)
	v, err := models.LoadQuestion(c.Request.Context(), s.db, u, id)
	if errors.Is(err, models.ErrNotFound) && s.redirectMerged(c, id) {
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	form = s.savedReplyPrefill(c, form)
	p := &Page{Data: &questionData{Q: v, CanAccept: models.CanAccept(u, &v.Question), Following: s.following(c, models.FollowQuestion, v.ID), Safety: noticeOf(c)}, Errors: verr, Form: form}
	p.Title = v.Title
	s.render(c, status, "question", p)
}

type askData struct {
	Boards []models.Board
	Board  string
	Safety *safetyNotice // a private-data warning
}

func (s *server) askForm(c *gin.Context) {
	s.showAsk(c, http.StatusOK, nil, url.Values{"board": {c.Query("board")}})
}

func (s *server) showAsk(c *gin.Context, status int, verr *models.ValidationError, form url.Values) {
	bs, err := models.BoardsFor(c.Request.Context(), s.db, currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, status, "ask", &Page{Title: "ask.title", Data: &askData{Boards: bs, Safety: noticeOf(c)}, Errors: verr, Form: form})
}

func (s *server) askSubmit(c *gin.Context) {
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	in := models.AskInput{Board: form.Get("board"), Title: form.Get("title"), Body: form.Get("body"), Tags: models.ParseTags(form.Get("tags")),
		Screen: s.screening(form)}
	if v := s.postRateLimited(c, "ask"); v != nil {
		s.showAsk(c, http.StatusTooManyRequests, v, form)
		return
	}
	q, err := models.Ask(c.Request.Context(), s.db, currentUser(c), in)
	if status, v, ok := safetyFormError(c, err, true); ok {
		s.showAsk(c, status, v, form)
		return
	}
	if v, ok := validationErr(err); ok {
		s.showAsk(c, http.StatusUnprocessableEntity, v, form)
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/q/"+strconv.FormatInt(q.ID, 10))
}

func (s *server) answerSubmit(c *gin.Context) {
	id, form, ok := s.idAndForm(c)
	if !ok {
		return
	}
	if v := s.postRateLimited(c, "answer"); v != nil {
		s.showQuestion(c, http.StatusTooManyRequests, v, form)
		return
	}
	p, err := models.Answer(c.Request.Context(), s.db, currentUser(c), id, models.AnswerInput{Body: form.Get("body"), Official: form.Get("official") == "1",
		Screen: s.screening(form)})
	if status, v, ok := safetyFormError(c, err, false); ok {
		s.showQuestion(c, status, v, form)
		return
	}
	if v, ok := validationErr(err); ok {
		s.showQuestion(c, http.StatusUnprocessableEntity, v, form)
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/q/"+strconv.FormatInt(id, 10)+"#post-"+strconv.FormatInt(p.ID, 10))
}

func (s *server) acceptSubmit(c *gin.Context) {
	id, form, ok := s.idAndForm(c)
	if !ok {
		return
	}
	var answerID int64
	if a := form.Get("answer_id"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n <= 0 {
			s.errorPage(c, http.StatusBadRequest, "error.bad_request")
			return
		}
		answerID = n
	}
	if err := models.Accept(c.Request.Context(), s.db, currentUser(c), id, answerID); err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/q/"+strconv.FormatInt(id, 10))
}

type editData struct {
	Post  *models.Post
	Title string
	Tags  string
}

func (s *server) loadEditable(c *gin.Context) (*models.Post, *models.QuestionView, bool) {
	id, ok := paramID(c)
	if !ok {
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return nil, nil, false
	}
	u := currentUser(c)
	p, err := models.PostByID(c.Request.Context(), s.db, id)
	if err != nil {
		s.handleErr(c, err)
		return nil, nil, false
	}
	v, err := models.LoadQuestion(c.Request.Context(), s.db, u, p.QuestionID)
	if err != nil {
		s.handleErr(c, err)
		return nil, nil, false
	}
	if !models.CanEdit(u, p) {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return nil, nil, false
	}
	return p, v, true
}

func (s *server) editForm(c *gin.Context) {
	p, v, ok := s.loadEditable(c)
	if !ok {
		return
	}
	form := url.Values{"body": {p.BodyMD}, "title": {v.Title}, "tags": {strings.Join(v.Tags, ", ")}}
	s.render(c, http.StatusOK, "edit", &Page{Title: "edit.title", Data: &editData{Post: p, Title: v.Title}, Form: form})
}

func (s *server) editSubmit(c *gin.Context) {
	p, v, ok := s.loadEditable(c)
	if !ok {
		return
	}
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	in := models.EditInput{Title: form.Get("title"), Body: form.Get("body"), Tags: models.ParseTags(form.Get("tags"))}
	if verr := s.postRateLimited(c, "edit"); verr != nil {
		s.render(c, http.StatusTooManyRequests, "edit", &Page{Title: "edit.title", Data: &editData{Post: p, Title: v.Title}, Form: form, Errors: verr})
		return
	}
	err := models.EditPost(c.Request.Context(), s.db, currentUser(c), p.ID, in)
	if verr, ok := validationErr(err); ok {
		s.render(c, http.StatusUnprocessableEntity, "edit", &Page{Title: "edit.title", Data: &editData{Post: p, Title: v.Title}, Form: form, Errors: verr})
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/q/"+strconv.FormatInt(p.QuestionID, 10)+"#post-"+strconv.FormatInt(p.ID, 10))
}

func (s *server) deleteSubmit(c *gin.Context) {
	p, _, ok := s.loadEditable(c)
	if !ok {
		return
	}
	if err := models.DeletePost(c.Request.Context(), s.db, currentUser(c), p.ID); err != nil {
		s.handleErr(c, err)
		return
	}
	if p.Kind == models.KindQuestion {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	c.Redirect(http.StatusSeeOther, "/q/"+strconv.FormatInt(p.QuestionID, 10))
}

type revisionsData struct {
	Post      *models.Post
	Q         *models.QuestionView
	Revisions []models.PostRevision
}

func (s *server) revisionsPage(c *gin.Context) {
	id, ok := paramID(c)
	if !ok {
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return
	}
	ctx := c.Request.Context()
	p, err := models.PostByID(ctx, s.db, id)
	if err != nil {
		s.handleErr(c, err)
		return
	}
	v, err := models.LoadQuestion(ctx, s.db, currentUser(c), p.QuestionID)
	if err != nil {
		s.handleErr(c, err)
		return
	}
	rs, err := models.Revisions(ctx, s.db, p.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "revisions", &Page{Title: "revisions.title", Data: &revisionsData{Post: p, Q: v, Revisions: rs}})
}
