package app

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/crowdcare/crowdcare/models"
)

type savedRepliesData struct {
	Replies  []models.SavedReply
	Editing  *models.SavedReply // the reply being edited, on its edit page
	Saved    bool
	Deleted  bool
	Question int64 // the picker: the question the chosen reply goes to
}

func (s *server) adminSavedReplies(c *gin.Context) {
	s.showSavedReplies(c, http.StatusOK, nil, nil, nil)
}

func (s *server) showSavedReplies(c *gin.Context, status int, editing *models.SavedReply, verr *models.ValidationError, form url.Values) {
	rs, err := models.SavedReplies(c.Request.Context(), s.db, currentUser(c))
	if err != nil {
		s.handleErr(c, err)
		return
	}
	if form == nil && editing != nil {
		form = url.Values{"title": {editing.Title}, "body": {editing.BodyMD}}
	}
	s.render(c, status, "admin_saved_replies", &Page{Title: "replies.title", Errors: verr, Form: form,
		Data: &savedRepliesData{Replies: rs, Editing: editing, Saved: c.Query("saved") == "1", Deleted: c.Query("deleted") == "1"}})
}

func (s *server) adminSavedReplyCreate(c *gin.Context) {
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	s.saveSavedReply(c, 0, nil, form)
}

func (s *server) adminSavedReplyEdit(c *gin.Context) {
	r, ok := s.savedReplyParam(c)
	if !ok {
		return
	}
	s.showSavedReplies(c, http.StatusOK, r, nil, nil)
}

func (s *server) adminSavedReplyUpdate(c *gin.Context) {
	r, ok := s.savedReplyParam(c)
	if !ok {
		return
	}
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	s.saveSavedReply(c, r.ID, r, form)
}

func (s *server) saveSavedReply(c *gin.Context, id int64, editing *models.SavedReply, form url.Values) {
	_, err := models.SaveSavedReply(c.Request.Context(), s.db, currentUser(c), id, models.SavedReplyInput{Title: form.Get("title"), Body: form.Get("body")})
	if verr, bad := validationErr(err); bad {
		s.showSavedReplies(c, http.StatusUnprocessableEntity, editing, verr, form)
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/saved-replies?saved=1")
}

func (s *server) adminSavedReplyDelete(c *gin.Context) {
	id, _, ok := s.idAndForm(c)
	if !ok {
		return
	}
	if err := models.DeleteSavedReply(c.Request.Context(), s.db, currentUser(c), id); err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/saved-replies?deleted=1")
}

// savedReplyParam loads the reply of the route's :id (404 when missing).
func (s *server) savedReplyParam(c *gin.Context) (*models.SavedReply, bool) {
	id, ok := paramID(c)
	if !ok {
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return nil, false
	}
	r, err := models.SavedReplyByID(c.Request.Context(), s.db, currentUser(c), id)
	if err != nil {
		s.handleErr(c, err)
		return nil, false
	}
	return r, true
}

// savedRepliesPicker lists the saved replies to staff and moderators: as
// JSON for the answer editor's script, or as a page whose links open the
// question with the reply in its editor (?reply=ID) when there is no
// script. Members get 403.
func (s *server) savedRepliesPicker(c *gin.Context) {
	u := currentUser(c)
	if !models.CanUseSavedReplies(u) {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return
	}
	qid, ok := queryID(c, "q")
	if !ok {
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	rs, err := models.SavedReplies(c.Request.Context(), s.db, u)
	if err != nil {
		s.handleErr(c, err)
		return
	}
	if wantsJSON(c) {
		type item struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
			Body  string `json:"body"`
		}
		out := make([]item, len(rs))
		for i, r := range rs {
			out[i] = item{r.ID, r.Title, r.BodyMD}
		}
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, gin.H{"replies": out})
		return
	}
	s.render(c, http.StatusOK, "saved_replies", &Page{Title: "replies.pick_title", Data: &savedRepliesData{Replies: rs, Question: qid}})
}

// savedReplyPrefill fills the answer editor of a question page opened
// with ?reply=ID by staff: the no-script way to insert a saved reply. It
// returns form unchanged otherwise (and for anyone else, or a reply that
// does not exist: the page shows as usual).
func (s *server) savedReplyPrefill(c *gin.Context, form url.Values) url.Values {
	v := c.Query("reply")
	u := currentUser(c)
	if form != nil || v == "" || !models.CanUseSavedReplies(u) {
		return form
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return form
	}
	r, err := models.SavedReplyByID(c.Request.Context(), s.db, u, id)
	if err != nil {
		return form
	}
	return url.Values{"body": {r.BodyMD}}
}
