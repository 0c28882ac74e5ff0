package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/crowdcare/crowdcare/models"
)

func init() { moreTemplateCases = append(moreTemplateCases, alertTemplateCases) }

func alertTemplateCases() []templateCase {
	pm := &models.User{ID: 9, Handle: "pia", DisplayName: "Pia", Roles: []models.Role{models.RoleProduct}}
	boards := sampleBoards()
	rows := []alertRow{{Sub: models.AlertSubscription{Email: true}},
		{Board: boards[0], Sub: models.AlertSubscription{ID: 2, BoardID: 1, WebhookURL: "https://hooks.example.com/T1", WebhookSecret: "whsec_abc"}},
		{Board: boards[3]}}
	return []templateCase{
		{name: "product_alerts", label: "saved", status: 200, path: "/product/alerts?saved=1", user: pm,
			page: &Page{Title: "alerts.title", Data: &alertsData{Rows: rows, Saved: true, Failed: -1}},
			want: []string{"Every board you can read", "LaserJet printers", "whsec_abc", "Alerts saved.", `value="https://hooks.example.com/T1"`}},
		{name: "product_alerts", label: "bad webhook", status: 422, path: "/product/alerts", user: pm,
			page: &Page{Title: "alerts.title", Data: &alertsData{Rows: rows, Failed: 1}, Errors: fieldErr("webhook_url", "alerts.error.url_https", nil),
				Form: url.Values{"board": {"1"}, "webhook_url": {"http://example.com/x"}}},
			want: []string{"Webhooks must use https", `value="http://example.com/x"`}},
	}
}

// TestAlertSubscriptionPages: product team members (and admins) manage
// their alerts; others cannot; bad input saves nothing.
func TestAlertSubscriptionPages(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		admin := ts.client()
		admin.signIn("ada", "admin")
		for _, b := range []struct{ slug, vis string }{{"printers", "public"}, {"staff-room", "staff"}} {
			mustStatus(t, admin.post("/admin/boards", url.Values{"name": {b.slug}, "slug": {b.slug}, "visibility": {b.vis}}), http.StatusSeeOther)
		}
		printers, staff := boardID(t, ts, "printers"), boardID(t, ts, "staff-room")
		pm, member := ts.client(), ts.client()
		pm.signIn("pia", "product")
		member.signIn("mina")
		checkErrorPage(t, ts.client().get("/product/alerts"), http.StatusUnauthorized)
		noWrite(t, ts, func() {
			checkErrorPage(t, member.get("/product/alerts"), http.StatusForbidden)
			checkErrorPage(t, member.post("/product/alerts", url.Values{"board": {"0"}, "email": {"1"}}), http.StatusForbidden)
		})
		page := pm.get("/product/alerts")
		mustStatus(t, page, http.StatusOK)
		if !strings.Contains(page.Body, "printers") || strings.Contains(page.Body, "staff-room") {
			t.Error("the alerts page does not list exactly the boards the member can read")
		}
		noWrite(t, ts, func() {
			r := pm.post("/product/alerts", url.Values{"board": {fmt.Sprint(printers)}, "webhook_url": {"http://example.com/hook"}})
			mustStatus(t, r, http.StatusUnprocessableEntity)
			if !strings.Contains(r.Body, "Webhooks must use https") {
				t.Errorf("bad webhook: %v", fieldErrors(r.Body))
			}
			checkErrorPage(t, pm.post("/product/alerts", url.Values{"board": {fmt.Sprint(staff)}, "email": {"1"}}), http.StatusNotFound)
			checkErrorPage(t, pm.post("/product/alerts", url.Values{"board": {"x"}}), http.StatusBadRequest)
			checkErrorPage(t, pm.post("/product/alerts", url.Values{"board": {"424242"}, "email": {"1"}}), http.StatusNotFound)
		})
		r := pm.post("/product/alerts", url.Values{"board": {fmt.Sprint(printers)}, "email": {"1"}, "webhook_url": {"https://hooks.example.com/T1"}})
		mustStatus(t, r, http.StatusSeeOther)
		page = pm.get("/product/alerts")
		if !strings.Contains(page.Body, "whsec_") || !strings.Contains(page.Body, `value="https://hooks.example.com/T1"`) {
			t.Error("the saved webhook and its secret are not shown")
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM alert_subscriptions WHERE email AND webhook_url <> ''"); n != 1 {
			t.Errorf("%d subscriptions saved", n)
		}
		mustStatus(t, admin.get("/product/alerts"), http.StatusOK)
	})
}
