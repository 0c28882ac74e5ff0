package app

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/crowdcare/crowdcare/models"
)

// notificationRoutes registers the signed-in user's notifications.
func (s *server) notificationRoutes(auth *gin.RouterGroup) {
	auth.GET("/notifications", s.notificationsPage)
	auth.POST("/notifications/read", s.notificationsRead)
}

// notificationsData is one page of the user's notifications.
type notificationsData struct {
	Items []models.NotificationView
	Next  int64
}

// NotificationText is the sentence of one notification in the reader's language.
func (p *Page) NotificationText(n *models.NotificationView) string {
	id := "notify." + n.Kind // every kind is checked by TestUsedMessageIDsExist
	return p.L.TArgs(id, models.NotificationArgs(n))
}

func (s *server) notificationsPage(c *gin.Context) {
	before, ok := queryID(c, "before")
	if !ok {
		s.errorPage(c, http.StatusBadRequest, "error.bad_cursor")
		return
	}
	items, next, err := models.Notifications(c.Request.Context(), s.db, currentUser(c), before, models.NotificationPageSize)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "notifications", &Page{Title: "notify.title", Data: &notificationsData{Items: items, Next: next}})
}

// notificationsRead marks one notification (id=N) or all read, then goes
// to the notification's link (open=1) or back to the list.
func (s *server) notificationsRead(c *gin.Context) {
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	var id int64
	if v := form.Get("id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			s.errorPage(c, http.StatusBadRequest, "error.bad_request")
			return
		}
		id = n
	}
	ctx := c.Request.Context()
	u := currentUser(c)
	if err := models.MarkNotificationsRead(ctx, s.db, u, id); err != nil {
		s.handleErr(c, err)
		return
	}
	if id > 0 && form.Get("open") == "1" {
		items, _, err := models.Notifications(ctx, s.db, u, id+1, 1)
		if err == nil && len(items) == 1 && items[0].ID == id && isLocalPath(items[0].URL) {
			c.Redirect(http.StatusSeeOther, items[0].URL)
			return
		}
	}
	c.Redirect(http.StatusSeeOther, "/notifications")
}

// isLocalPath reports whether u is a path on this site (never another
// origin, so a stored link cannot redirect elsewhere).
func isLocalPath(u string) bool {
	return len(u) > 0 && u[0] == '/' && (len(u) == 1 || (u[1] != '/' && u[1] != '\\'))
}
