package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crowdcare/crowdcare/models"
)

func init() { moreTemplateCases = append(moreTemplateCases, dashboardTemplateCases) }

// dashboardTemplateCases renders the expert dashboard in each state, the
// board form with a bad first-response target and a board page showing
// its target.
func dashboardTemplateCases() []templateCase {
	now := time.Now()
	_, employee, expert, _, admin := sampleUsers()
	boards := sampleBoards()
	targeted := boards[0]
	targeted.FirstResponseMinutes = 240
	q := func(id int64, title string, waited time.Duration, overdue bool) models.DashboardQuestion {
		return models.DashboardQuestion{ID: id, Title: title, BoardSlug: "laserjet", BoardName: "LaserJet printers",
			CreatedAt: now.Add(-waited), FirstResponseMinutes: 60, Overdue: overdue}
	}
	routed := q(21, "Printer <drops> off Wi-Fi", 3*time.Hour, true)
	routed.RoutedAt = now.Add(-2 * time.Hour)
	busy := &models.Dashboard{
		Routed:      []models.DashboardQuestion{routed},
		Queue:       []models.DashboardQuestion{q(22, "Scanner lid does not close", 50*time.Hour, true), q(23, "Toner light stays on", 20*time.Minute, false)},
		QueueBoards: boards[:2], QueueLimit: models.DashboardQueueLimit, MonthStart: models.PeriodStart(models.PeriodMonth, now),
		Stats: models.ExpertStats{Answers: 40, Accepted: 12, Verified: 7, KudosReceived: 93, PointsMonth: 215, Routed: 5, RoutedAnswered: 2},
	}
	quiet := &models.Dashboard{AllBoards: true, QueueLimit: models.DashboardQueueLimit, MonthStart: models.PeriodStart(models.PeriodMonth, now)}
	noBoards := &models.Dashboard{QueueLimit: models.DashboardQueueLimit, MonthStart: models.PeriodStart(models.PeriodMonth, now)}
	return []templateCase{
		{name: "expert_dashboard", label: "expert with routed questions and a queue", status: 200, path: "/experts/dashboard", user: expert,
			page: &Page{Title: "dashboard.title", Data: busy},
			want: []string{"Expert dashboard", "Routed to you", `href="/q/21"`, "Printer &lt;drops&gt; off Wi-Fi", "waiting 3 hours", "Past the target", "2 hours ago",
				"Unanswered on your boards", "Your boards:", `href="/b/early-access"`, "waiting 2 days", "waiting 20 minutes", "up to 50", `scope="row"`, `scope="col"`,
				"Your record", ">40<", ">93<", ">215<", ">5<", ">2<", "Of those, questions you answered"}},
		{name: "expert_dashboard", label: "employee, nothing waiting", status: 200, path: "/experts/dashboard", user: employee,
			page: &Page{Title: "dashboard.title", Data: quiet},
			want: []string{"Nothing is routed to you right now.", "Unanswered on every board you can read", "Every question here has an answer.", "Questions routed to you"}},
		{name: "expert_dashboard", label: "expert without boards", status: 200, path: "/experts/dashboard", user: expert,
			page: &Page{Title: "dashboard.title", Data: noBoards},
			want: []string{"You have no expert boards yet"}},
		{name: "admin_board", label: "bad first-response target", status: 422, path: "/admin/boards/1", user: admin,
			page: &Page{Title: "admin.board_edit", Data: &boardForm{Board: &boards[0], Visibilites: models.Visibilities},
				Form:   url.Values{"name": {"LaserJet"}, "slug": {"laserjet"}, "visibility": {"public"}, "first_response_minutes": {"20000"}},
				Errors: fieldErr("first_response_minutes", "dashboard.error.target_range", map[string]any{"Max": models.MaxFirstResponseMinutes})},
			want: []string{"First-answer target, in minutes", "Enter a number of minutes from 0 to 10080.", `value="20000"`, `max="10080"`, `aria-invalid="true"`}},
		{name: "list", label: "board with a target", status: 200, path: "/b/laserjet", page: &Page{Data: &listData{Kind: models.ListLatest, Board: &targeted, Boards: boards, BaseURL: "/b/laserjet"}},
			want: []string{"First answer expected within 4 hours"}},
	}
}

// TestExpertDashboardOverHTTP: an expert sees the question routed to them
// and the queue of their board with waiting times; an employee sees every
// board's queue; a member is refused and a visitor asked to sign in.
func TestExpertDashboardOverHTTP(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		db := ts.App.DB
		admin := ts.client()
		admin.signIn("ada", "admin")
		mustStatus(t, admin.post("/admin/boards", url.Values{"name": {"Printers"}, "slug": {"printers"}, "visibility": {"public"}, "first_response_minutes": {"60"}}), http.StatusSeeOther)
		mustStatus(t, admin.post("/admin/boards", url.Values{"name": {"Staff room"}, "slug": {"staff-room"}, "visibility": {"staff"}}), http.StatusSeeOther)

		expert := ts.client()
		expert.signIn("ezra", "expert")
		var ezra, tier, board int64
		db.Raw("SELECT id FROM users WHERE handle = 'ezra'").Scan(&ezra)
		db.Raw("SELECT id FROM expert_tiers ORDER BY position LIMIT 1").Scan(&tier)
		db.Raw("SELECT id FROM boards WHERE slug = 'printers'").Scan(&board)
		now := time.Now().UTC()
		if err := db.Create(&models.Expert{UserID: ezra, TierID: tier, Status: models.ExpertActive, Since: now, UpdatedAt: now}).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Create(&models.ExpertBoard{UserID: ezra, BoardID: board}).Error; err != nil {
			t.Fatal(err)
		}

		asker := ts.client()
		asker.signIn("asha")
		q0 := mustAsk(t, asker, "printers", "Printer blinks orange", "It blinks.", "")
		a0 := mustAnswer(t, expert, q0, "Open the rear door.")
		mustStatus(t, asker.post(fmt.Sprintf("/q/%d/accept", q0), url.Values{"answer_id": {strconv.FormatInt(a0, 10)}}), http.StatusSeeOther)
		waiting := mustAsk(t, asker, "printers", "Printer drops off Wi-Fi", "Every hour.", "")
		fresh := mustAsk(t, asker, "printers", "Toner light stays on", "After a new cartridge.", "")
		db.Exec("UPDATE questions SET created_at = ? WHERE id = ?", now.Add(-3*time.Hour-time.Minute), waiting)
		staffQ := ts.client()
		staffQ.signIn("emil", "employee")
		hidden := mustAsk(t, staffQ, "staff-room", "Internal escalation list", "For staff.", "")

		if res, err := models.RouteQuestions(ctx, db, time.Now()); err != nil || res.Routed != 1 {
			t.Fatalf("routing: %+v %v", res, err)
		}
		r := expert.get("/experts/dashboard")
		mustStatus(t, r, http.StatusOK)
		routed, queue, _ := strings.Cut(r.Body, `id="dash-queue-h"`)
		if !strings.Contains(routed, fmt.Sprintf(`href="/q/%d"`, waiting)) || !strings.Contains(routed, "waiting 3 hours") || !strings.Contains(routed, "Past the target") {
			t.Errorf("the routed question is not shown with its waiting time:\n%s", routed)
		}
		if strings.Contains(routed, fmt.Sprintf(`href="/q/%d"`, fresh)) {
			t.Error("a question still inside its target is shown as routed")
		}
		for _, want := range []string{fmt.Sprintf(`href="/q/%d"`, waiting), fmt.Sprintf(`href="/q/%d"`, fresh), "waiting 3 hours", "waiting 0 minutes", `href="/b/printers"`} {
			if !strings.Contains(queue, want) {
				t.Errorf("queue lacks %q", want)
			}
		}
		if strings.Contains(r.Body, fmt.Sprintf(`href="/q/%d"`, hidden)) || strings.Contains(r.Body, "Internal escalation") {
			t.Error("the dashboard shows a staff board's question to an expert")
		}
		if strings.Index(queue, fmt.Sprintf(`href="/q/%d"`, waiting)) > strings.Index(queue, fmt.Sprintf(`href="/q/%d"`, fresh)) {
			t.Error("the queue is not oldest first")
		}
		if !regexp.MustCompile(`Questions routed to you</th><td class="num">1<`).MatchString(r.Body) ||
			!regexp.MustCompile(`you answered</th><td class="num">0<`).MatchString(r.Body) {
			t.Error("the record does not count the routed question")
		}

		// The routing notification reads as a sentence with the title.
		if body := expert.get("/notifications").Body; !strings.Contains(body, "A question was routed to you: “Printer drops off Wi-Fi”.") {
			t.Errorf("the notifications page lacks the routing notification:\n%.3000s", body)
		}

		// An employee without expert boards sees every board they may read.
		r = staffQ.get("/experts/dashboard")
		mustStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Body, "Unanswered on every board you can read") || !strings.Contains(r.Body, "Internal escalation") {
			t.Errorf("employee's queue:\n%.3000s", r.Body)
		}
		checkErrorPage(t, asker.get("/experts/dashboard"), http.StatusForbidden)
		checkErrorPage(t, ts.client().get("/experts/dashboard"), http.StatusUnauthorized)

		// The board page shows its target.
		if body := ts.client().get("/b/printers").Body; !strings.Contains(body, "First answer expected within 1 hour") {
			t.Error("the board page does not show its first-answer target")
		}
	})
}

// TestAdminBoardFirstResponseTarget: the board form refuses a target out
// of range or not a number, writing nothing, and saves a good one.
func TestAdminBoardFirstResponseTarget(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		admin := ts.client()
		admin.signIn("ada", "admin")
		mustStatus(t, admin.post("/admin/boards", url.Values{"name": {"Printers"}, "slug": {"printers"}, "visibility": {"public"}, "first_response_minutes": {"90"}}), http.StatusSeeOther)
		var id int64
		ts.App.DB.Raw("SELECT id FROM boards WHERE slug = 'printers'").Scan(&id)
		target := func() int {
			var n int
			ts.App.DB.Raw("SELECT first_response_minutes FROM boards WHERE id = ?", id).Scan(&n)
			return n
		}
		if n := target(); n != 90 {
			t.Fatalf("created with target %d, want 90", n)
		}
		form := func(slug, minutes string) url.Values {
			return url.Values{"name": {"Printers"}, "slug": {slug}, "visibility": {"public"}, "first_response_minutes": {minutes}}
		}
		update := fmt.Sprintf("/admin/boards/%d", id)
		cases := []formCase{
			{"negative", update, form("printers", "-5"), 422, "first_response_minutes", "Enter a number of minutes from 0 to 10080."},
			{"over a week", update, form("printers", "10081"), 422, "first_response_minutes", "Enter a number of minutes from 0 to 10080."},
			{"not a number", update, form("printers", "soon"), 422, "first_response_minutes", "This value is not valid."},
			{"huge", update, form("printers", "99999999999999999999"), 422, "first_response_minutes", "This value is not valid."},
			{"new board, bad target", "/admin/boards", form("scanners", "1.5"), 422, "first_response_minutes", "This value is not valid."},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var r response
				noWrite(t, ts, func() { r = admin.post(tc.path, tc.form) })
				checkFormError(t, r, tc)
				if n := target(); n != 90 {
					t.Errorf("target became %d", n)
				}
			})
		}
		r := admin.get(fmt.Sprintf("/admin/boards/%d/edit", id))
		mustStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Body, `name="first_response_minutes" type="number" min="0" max="10080" step="1" value="90"`) {
			t.Error("the edit form does not show the saved target")
		}
		mustStatus(t, admin.post(update, form("printers", "10080")), http.StatusSeeOther)
		if n := target(); n != 10080 {
			t.Errorf("saved target %d, want 10080", n)
		}
		mustStatus(t, admin.post(update, form("printers", "")), http.StatusSeeOther)
		if n := target(); n != 0 {
			t.Errorf("an empty target saved %d, want 0 (none)", n)
		}
	})
}
