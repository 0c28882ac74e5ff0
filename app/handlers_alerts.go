package app

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/crowdcare/crowdcare/models"
)

// alertRoutes registers the product team's alert subscriptions.
func (s *server) alertRoutes(auth *gin.RouterGroup) {
	auth.GET("/product/alerts", s.requireProduct, s.alertsPage)
	auth.POST("/product/alerts", s.requireProduct, s.alertsSave)
}

// alertRow is one board's subscription form (board ID 0: every board).
type alertRow struct {
	Board models.Board
	Sub   models.AlertSubscription
}

type alertsData struct {
	Rows  []alertRow
	Saved bool
	// Failed is the board whose form was refused.
	Failed int64
}

func (s *server) alertsPage(c *gin.Context) {
	s.showAlerts(c, http.StatusOK, -1, nil, nil)
}

func (s *server) showAlerts(c *gin.Context, status int, failed int64, verr *models.ValidationError, form url.Values) {
	ctx := c.Request.Context()
	u := currentUser(c)
	bs, err := models.BoardsFor(ctx, s.db, u)
	if err != nil {
		s.fail(c, err)
		return
	}
	subs, err := models.AlertSubscriptionsOf(ctx, s.db, u)
	if err != nil {
		s.fail(c, err)
		return
	}
	byBoard := map[int64]models.AlertSubscription{}
	for _, sub := range subs {
		byBoard[sub.BoardID] = sub
	}
	d := &alertsData{Saved: c.Query("saved") == "1", Failed: failed,
		Rows: []alertRow{{Board: models.Board{ID: 0}, Sub: byBoard[0]}}}
	for _, b := range bs {
		d.Rows = append(d.Rows, alertRow{Board: b, Sub: byBoard[b.ID]})
	}
	s.render(c, status, "product_alerts", &Page{Title: "alerts.title", Data: d, Errors: verr, Form: form})
}

func (s *server) alertsSave(c *gin.Context) {
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	board, err := strconv.ParseInt(form.Get("board"), 10, 64)
	if err != nil || board < 0 {
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	_, err = models.SaveAlertSubscription(c.Request.Context(), s.db, currentUser(c), models.AlertInput{BoardID: board,
		Email: form.Get("email") == "1", WebhookURL: form.Get("webhook_url"), NewSecret: form.Get("new_secret") == "1"})
	if v, ok := validationErr(err); ok {
		s.showAlerts(c, http.StatusUnprocessableEntity, board, v, form)
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/product/alerts?saved=1#board-"+strconv.FormatInt(board, 10))
}
