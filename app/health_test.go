package app

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crowdcare/crowdcare/models"
)

func init() {
	snapshotQueries = append(snapshotQueries,
		struct{ name, sql string }{"saved_replies", "SELECT CAST(COALESCE(SUM(id + LENGTH(title) + LENGTH(body_md)), 0) AS BIGINT) FROM saved_replies"},
		struct{ name, sql string }{"saved_replies rows", "SELECT COUNT(*) FROM saved_replies"},
		struct{ name, sql string }{"archive_exports", "SELECT COUNT(*) FROM archive_exports"},
	)
	moreValidForms = append(moreValidForms, func(f *qaFixture) map[string]url.Values {
		// The saved reply the :id routes act on (id 1).
		f.admin.post("/admin/saved-replies", url.Values{"title": {"Reset the printer"}, "body": {"Hold the power button."}})
		today := time.Now().UTC().Format(time.DateOnly)
		return map[string]url.Values{
			"/admin/exports":                  {"from": {today}, "to": {today}, "format": {"jsonl"}},
			"/admin/saved-replies":            {"title": {"Another"}, "body": {"Body."}},
			"/admin/saved-replies/:id":        {"title": {"Reset it"}, "body": {"Hold the power button for 10 s."}},
			"/admin/saved-replies/:id/delete": {},
		}
	})
	moreRouteParams = append(moreRouteParams, func(f *qaFixture, boardID, userID int64, route, param string) (string, bool) {
		if param == "id" && strings.HasPrefix(route, "/admin/saved-replies/") {
			return "1", true
		}
		return "", false
	})
	moreDynamicIDs = append(moreDynamicIDs, func() map[string]string {
		out := map[string]string{}
		for _, n := range models.HealthDelayBucketNames {
			out["health.bucket."+n] = "app/handlers_health.go (health.bucket.%s)"
		}
		for _, st := range []string{models.ArchiveQueued, models.ArchiveRunning, models.ArchiveDone, models.ArchiveFailed} {
			out["archive.status."+st] = "templates/pages/admin_export.html (archive.status.%s)"
		}
		for _, f := range []string{models.ArchiveJSONL, models.ArchiveCSV} {
			out["archive.format."+f] = "templates/pages/admin_exports.html (archive.format.%s)"
		}
		return out
	})
	moreSampleArgs = append(moreSampleArgs, "Minutes", 5, "Days", 3, "Done", 10, "Total", 20, "From", "2026-03-01", "To", "2026-03-07")
	moreTemplateCases = append(moreTemplateCases, healthTemplateCases)
}

func healthTemplateCases() []templateCase {
	_, _, _, moderator, admin := sampleUsers()
	pm := &models.User{ID: 9, Handle: "pia", DisplayName: "Pia", Roles: []models.Role{models.RoleProduct}}
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	h := &models.HealthFigures{From: from, To: from.AddDate(0, 0, 3), Asked: 9, Answered: 7, Resolved: 3, MedianSeconds: 5400, P90Seconds: 43200,
		ByEmployee: 2, ByExpert: 2, ByMember: 3, WithTarget: 6, Breaches: 3, Delays: []int64{3, 2, 1, 1, 0, 0},
		Days:      []models.HealthDay{{Day: from, Count: 4}, {Day: from.AddDate(0, 0, 1), Count: 5}, {Day: from.AddDate(0, 0, 2)}},
		Languages: []models.HealthLanguage{{Lang: "en", Count: 6}, {Lang: "", Count: 3}},
		Top:       []models.HealthContributor{{UserID: 4, Handle: "omar", DisplayName: "Omar <b>", Answers: 3, FirstResponses: 3, Accepted: 2}}}
	d := &healthData{Period: "custom", From: "2026-03-01", To: "2026-03-03", Boards: sampleBoards(), Presets: healthPresets, H: h,
		Buckets: []string{"health.bucket.under_1h", "health.bucket.1h_4h", "health.bucket.4h_24h", "health.bucket.1d_3d", "health.bucket.3d_7d", "health.bucket.over_7d"},
		Days:    BarChart{ID: "health-days", Title: "Questions asked per day", Labels: []string{"1 Mar", "2 Mar", "3 Mar"}, Values: []int{4, 5, 0}},
		Delays:  BarChart{ID: "health-delays", Title: "Time to first response", Values: []int{3, 2, 1, 1, 0, 0}}}
	empty := &healthData{Period: "7", From: "2026-03-01", To: "2026-03-07", Presets: healthPresets, Buckets: d.Buckets,
		H: &models.HealthFigures{Delays: make([]int64, 6)}}
	bad := &healthData{Period: "custom", From: "2026-03-09", To: "2026-03-01", Presets: healthPresets}
	now := time.Now()
	started := now.Add(-time.Minute)
	exports := []models.ArchiveExport{
		{ID: 2, Format: "jsonl", PeriodFrom: from, PeriodTo: from.AddDate(0, 1, 0), Status: models.ArchiveRunning, RowsTotal: 200, RowsDone: 50, CreatedAt: now, RequesterHandle: "ada"},
		{ID: 1, Format: "csv", PeriodFrom: from, PeriodTo: from.AddDate(0, 0, 1), Status: models.ArchiveDone, RowsTotal: 20, RowsDone: 20, FileSize: 2048, CreatedAt: now.Add(-time.Hour), RequesterHandle: "ada"}}
	replies := []models.SavedReply{{ID: 1, Title: "Reset <the> printer", BodyMD: "Hold **power** for 10 s."}, {ID: 2, Title: "Warranty", BodyMD: "See the warranty page."}}
	return []templateCase{
		{name: "admin_health", label: "figures", status: 200, path: "/admin/health?period=custom&from=2026-03-01&to=2026-03-03", user: pm,
			page: &Page{Title: "health.title", Data: d},
			want: []string{"Community health", "77.8%", "33.3%", "1 h 30 min", "12 h 0 min", "Employees", "28.6%", "42.9%", "Omar &lt;b&gt;", "@omar",
				"Not known", `<svg class="chart"`, "Questions asked per day", "under 1 hour", "How these figures are counted",
				`href="/admin/health/export.csv?from=2026-03-01&amp;period=custom&amp;to=2026-03-03"`, `value="custom" selected`, "LaserJet printers"}},
		{name: "admin_health", label: "empty week, moderator", status: 200, path: "/admin/health?period=7", user: moderator,
			page: &Page{Title: "health.title", Data: empty},
			want: []string{"Nothing in this period.", `value="7" selected`, "Last 7 days", "0.0%", "–"}},
		{name: "admin_health", label: "bad dates", status: 422, path: "/admin/health?period=custom&from=2026-03-09&to=2026-03-01", user: admin,
			page: &Page{Title: "health.title", Data: bad, Errors: fieldErr("to", "health.error.range", nil)},
			want: []string{"Please correct the fields marked below.", "The end date must not come before the start date.", `aria-invalid="true"`}},
		{name: "admin_exports", label: "list", status: 200, path: "/admin/exports", user: admin,
			page: &Page{Title: "archive.title", Data: &archiveData{Exports: exports, Formats: []string{"jsonl", "csv"}},
				Form: url.Values{"from": {"2026-03-01"}, "to": {"2026-03-31"}, "format": {"jsonl"}}},
			want: []string{"Archive exports", "Running (25%)", "Done", `href="/admin/exports/1/download"`, `href="/admin/exports/2"`, "2026-03-01 – 2026-03-31", `value="jsonl" checked`}},
		{name: "admin_exports", label: "bad input", status: 422, path: "/admin/exports", user: admin,
			page: &Page{Title: "archive.title", Data: &archiveData{Formats: []string{"jsonl", "csv"}}, Errors: fieldErr("from", "health.error.date", nil),
				Form: url.Values{"from": {"yesterday"}, "to": {"2026-03-31"}}},
			want: []string{"Enter a date as YYYY-MM-DD.", "No exports yet.", `value="yesterday"`}},
		{name: "admin_export", label: "running", status: 200, path: "/admin/exports/2", user: admin,
			page: &Page{Title: "archive.export_title", Data: &archiveData{Export: &exports[0]}},
			want: []string{"Archive export 2026-03-01 to 2026-03-31", "50 of 200 rows written", `value="25"`, `data-finished="0"`, "/static/health.js", "Refresh to see the progress"}},
		{name: "admin_export", label: "done", status: 200, path: "/admin/exports/1", user: admin,
			page: &Page{Title: "archive.export_title", Data: &archiveData{Export: &exports[1]}},
			want: []string{"Done", "2048 bytes", `href="/admin/exports/1/download"`, `data-finished="1"`}},
		{name: "admin_export", label: "failed", status: 200, path: "/admin/exports/3", user: admin,
			page: &Page{Title: "archive.export_title", Data: &archiveData{Export: &models.ArchiveExport{ID: 3, Format: "csv", PeriodFrom: from, PeriodTo: from.AddDate(0, 0, 1),
				Status: models.ArchiveFailed, Error: "disk <full>", CreatedAt: now, StartedAt: &started}}},
			want: []string{"Failed", "disk &lt;full&gt;"}},
		{name: "admin_saved_replies", label: "list, saved", status: 200, path: "/admin/saved-replies?saved=1", user: admin,
			page: &Page{Title: "replies.title", Data: &savedRepliesData{Replies: replies, Saved: true}},
			want: []string{"Saved replies", "Saved reply saved.", "Reset &lt;the&gt; printer", "Hold **power** for 10 s.", `href="/admin/saved-replies/1/edit"`,
				`action="/admin/saved-replies/2/delete"`, `action="/admin/saved-replies"`, "2 saved replies"}},
		{name: "admin_saved_replies", label: "edit refused", status: 422, path: "/admin/saved-replies/1", user: admin,
			page: &Page{Title: "replies.title", Data: &savedRepliesData{Replies: replies, Editing: &replies[0]}, Errors: fieldErr("title", "error.required", nil),
				Form: url.Values{"title": {""}, "body": {"x <y>"}}},
			want: []string{"Edit saved reply", `action="/admin/saved-replies/1"`, "This is required.", "x &lt;y&gt;", "Cancel"}},
		{name: "admin_saved_replies", label: "none", status: 200, path: "/admin/saved-replies?deleted=1", user: admin,
			page: &Page{Title: "replies.title", Data: &savedRepliesData{Deleted: true}}, want: []string{"No saved replies yet.", "Saved reply deleted."}},
		{name: "saved_replies", label: "picker", status: 200, path: "/saved-replies?q=7", user: moderator,
			page: &Page{Title: "replies.pick_title", Data: &savedRepliesData{Replies: replies, Question: 7}},
			want: []string{"Insert a saved reply", `href="/q/7?reply=1#answer-body"`, "Back to the question", "Use this reply"}},
	}
}

// healthForum is a small forum for the dashboard's web tests: a public
// board with a 60-minute target and a staff board, questions put in
// March 2026 by hand.
type healthForum struct {
	admin, pm, mod, member, employee, visitor *client
	q1, q2, q3, staffQ                        int64
}

func newHealthForum(t *testing.T, ts *testServer) *healthForum {
	t.Helper()
	f := &healthForum{admin: ts.client(), pm: ts.client(), mod: ts.client(), member: ts.client(), employee: ts.client(), visitor: ts.client()}
	f.admin.signIn("ada", "admin")
	f.pm.signIn("pia", "product")
	f.mod.signIn("mona", "moderator")
	f.member.signIn("asha")
	f.employee.signIn("emil", "employee")
	mustStatus(t, f.admin.post("/admin/boards", url.Values{"name": {"Printers"}, "slug": {"printers"}, "visibility": {"public"}, "first_response_minutes": {"60"}}), http.StatusSeeOther)
	mustStatus(t, f.admin.post("/admin/boards", url.Values{"name": {"Staff room"}, "slug": {"staff-room"}, "visibility": {"staff"}}), http.StatusSeeOther)
	f.q1 = mustAsk(t, f.member, "printers", "Printer jams on every page", "It jams.", "")
	a1 := mustAnswer(t, f.employee, f.q1, "Clean the rollers.")
	f.q2 = mustAsk(t, f.member, "printers", "Scanner lid does not close", "Stuck.", "")
	a2 := mustAnswer(t, f.mod, f.q2, "Check the hinge.")
	f.q3 = mustAsk(t, f.member, "printers", "Toner light keeps blinking", "Blinks.", "")
	f.staffQ = mustAsk(t, f.employee, "staff-room", "Internal: recall list for the tray", "Secret.", "")
	waitTagCounts(t, ts)
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, 1+d, h, m, 0, 0, time.UTC) }
	set := func(sql string, args ...any) {
		if err := ts.App.DB.Exec(sql, args...).Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []struct {
		id int64
		at time.Time
	}{{f.q1, at(0, 10, 0)}, {f.q2, at(1, 10, 0)}, {f.q3, at(2, 10, 0)}, {f.staffQ, at(2, 11, 0)}} {
		set("UPDATE questions SET created_at = ?, lang = 'en' WHERE id = ?", q.at, q.id)
		set("UPDATE posts SET created_at = ? WHERE question_id = ? AND kind = 'question'", q.at, q.id)
	}
	set("UPDATE questions SET lang = '=HYPERLINK(1)' WHERE id = ?", f.q3)
	set("UPDATE posts SET created_at = ? WHERE id = ?", at(0, 10, 20), a1) // 20 min
	set("UPDATE posts SET created_at = ? WHERE id = ?", at(1, 12, 0), a2)  // 2 h: a breach
	return f
}

// TestHealthDashboard: the product team, moderators and admins see the
// figures of the boards they read, as a page and as CSV; members are
// refused, visitors asked to sign in; bad input is a 4xx and writes
// nothing.
func TestHealthDashboard(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newHealthForum(t, ts)
		const period = "/admin/health?period=custom&from=2026-03-01&to=2026-03-07"
		noWrite(t, ts, func() {
			checkErrorPage(t, f.visitor.get(period), http.StatusUnauthorized)
			checkErrorPage(t, f.member.get(period), http.StatusForbidden)
			checkErrorPage(t, f.employee.get("/admin/health/export.csv?period=7"), http.StatusForbidden)
			for _, bad := range []struct {
				query, field string
			}{
				{"period=custom&from=2026-03-07&to=2026-03-01", "to"},
				{"period=custom&from=2026-02-30&to=2026-03-01", "from"},
				{"period=custom&from=yesterday&to=today", "from"},
				{"period=custom&from=2020-01-01&to=2026-03-01", "to"},
				{"period=365", "period"},
			} {
				r := f.pm.get("/admin/health?" + bad.query)
				mustStatus(t, r, http.StatusUnprocessableEntity)
				if !fieldInvalid(r.Body, bad.field) {
					t.Errorf("%s: %s not marked invalid: %v", bad.query, bad.field, fieldErrors(r.Body))
				}
				checkErrorPage(t, f.pm.get("/admin/health/export.csv?"+bad.query), http.StatusUnprocessableEntity)
			}
			checkErrorPage(t, f.pm.get(period+"&board=nowhere"), http.StatusNotFound)
			// A board the product team cannot read does not exist for them.
			checkErrorPage(t, f.pm.get(period+"&board=staff-room"), http.StatusNotFound)
			checkErrorPage(t, f.pm.get("/admin/health/export.csv?period=7&board=staff-room"), http.StatusNotFound)
		})
		r := f.pm.get(period)
		mustStatus(t, r, http.StatusOK)
		for _, want := range []string{`<span class="figure">3</span> questions asked`, "66.7%", "1 h 10 min", "1 h 50 min", "(of 3 questions with a target)",
			`<svg class="chart"`, "Internal: recall"} {
			if want == "Internal: recall" {
				if strings.Contains(r.Body, want) {
					t.Error("the dashboard shows a staff board's question to the product team")
				}
				continue
			}
			if !strings.Contains(r.Body, want) {
				t.Errorf("product dashboard lacks %q", want)
			}
		}
		if strings.Contains(r.Body, "Staff room") {
			t.Error("the board filter offers the staff board to the product team")
		}
		csvBody := f.pm.get("/admin/health/export.csv?period=custom&from=2026-03-01&to=2026-03-07")
		mustStatus(t, csvBody, http.StatusOK)
		if ct := csvBody.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("CSV content type %q", ct)
		}
		got := healthCSV(t, csvBody.Body)
		for k, want := range map[string]string{"summary/questions_asked": "3", "summary/answered": "2", "summary/response_rate_percent": "66.7",
			"summary/median_first_response_seconds": "4200", "summary/target_breaches": "2", "first_responder/employee": "1",
			"first_responder/member": "1", "day/2026-03-02": "1", "language/en": "2", "language/'=HYPERLINK(1)": "1", "period/board": "all"} {
			if got[k] != want {
				t.Errorf("CSV %s = %q, want %q", k, got[k], want)
			}
		}
		// Moderators and admins read the staff board too.
		r = f.mod.get(period)
		mustStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Body, `<span class="figure">4</span> questions asked`) {
			t.Error("the moderator's dashboard does not count the staff board")
		}
		got = healthCSV(t, f.admin.get("/admin/health/export.csv?period=custom&from=2026-03-01&to=2026-03-07&board=staff-room").Body)
		if got["summary/questions_asked"] != "1" || got["period/board"] != "staff-room" {
			t.Errorf("admin's staff-room CSV: %v", got)
		}
		mustStatus(t, f.admin.get("/admin/health"), http.StatusOK)
		mustStatus(t, f.admin.get("/admin/health?period=90"), http.StatusOK)
	})
}

// healthCSV parses the dashboard's CSV into section/item → value.
func healthCSV(t *testing.T, body string) map[string]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("CSV: %v\n%s", err, body)
	}
	if strings.Join(rows[0], ",") != strings.Join(healthHeader, ",") {
		t.Errorf("CSV header %v", rows[0])
	}
	out := map[string]string{}
	for _, r := range rows[1:] {
		out[r[0]+"/"+r[1]] = r[2]
	}
	return out
}

// TestSavedReplies: admins manage saved replies; staff and moderators
// insert them next to the answer editor (a list for the script, a page
// and a prefilled editor without it); members never see them.
func TestSavedReplies(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		emp, mod := ts.client(), ts.client()
		emp.signIn("emil", "employee")
		mod.signIn("mona", "moderator")
		noWrite(t, ts, func() {
			for _, form := range []url.Values{{"title": {""}, "body": {"Body"}}, {"title": {"Title"}, "body": {"  "}}, {"title": {strings.Repeat("x", 121)}, "body": {"b"}}} {
				r := f.admin.post("/admin/saved-replies", form)
				mustStatus(t, r, http.StatusUnprocessableEntity)
				if len(fieldErrors(r.Body)) == 0 {
					t.Errorf("%v: no field error shown", form)
				}
			}
			checkErrorPage(t, f.asker.post("/admin/saved-replies", url.Values{"title": {"T"}, "body": {"B"}}), http.StatusForbidden)
			checkErrorPage(t, mod.post("/admin/saved-replies", url.Values{"title": {"T"}, "body": {"B"}}), http.StatusForbidden)
			checkErrorPage(t, f.visitor.get("/admin/saved-replies"), http.StatusUnauthorized)
			checkErrorPage(t, f.admin.post("/admin/saved-replies/99/delete", nil), http.StatusNotFound)
			checkErrorPage(t, f.admin.post("/admin/saved-replies/99", url.Values{"title": {"T"}, "body": {"B"}}), http.StatusNotFound)
		})
		mustStatus(t, f.admin.post("/admin/saved-replies", url.Values{"title": {"Reset the printer"}, "body": {"Hold the **power** button."}}), http.StatusSeeOther)
		mustStatus(t, f.admin.post("/admin/saved-replies", url.Values{"title": {"Warranty"}, "body": {"See the warranty page."}}), http.StatusSeeOther)
		var id int64
		ts.App.DB.Raw("SELECT id FROM saved_replies WHERE title = 'Reset the printer'").Scan(&id)
		noWrite(t, ts, func() {
			r := f.admin.post(fmt.Sprintf("/admin/saved-replies/%d", id), url.Values{"title": {"Reset"}, "body": {""}})
			mustStatus(t, r, http.StatusUnprocessableEntity)
		})
		mustStatus(t, f.admin.post(fmt.Sprintf("/admin/saved-replies/%d", id), url.Values{"title": {"Reset the printer"}, "body": {"Hold the **power** button for 10 s."}}), http.StatusSeeOther)
		if !strings.Contains(f.admin.get("/admin/saved-replies").Body, "for 10 s.") {
			t.Error("the edit is not shown")
		}

		question := fmt.Sprintf("/q/%d", f.qID)
		for name, c := range map[string]*client{"employee": emp, "moderator": mod, "admin": f.admin} {
			page := c.get(question)
			if !strings.Contains(page.Body, "Insert saved reply") {
				t.Errorf("%s: no saved-reply control on the question page", name)
			}
			r := c.get(fmt.Sprintf("%s?reply=%d", question, id))
			if !strings.Contains(r.Body, "Hold the **power** button for 10 s.</textarea>") {
				t.Errorf("%s: ?reply= does not prefill the editor", name)
			}
			list := c.get(fmt.Sprintf("/saved-replies?q=%d", f.qID))
			mustStatus(t, list, http.StatusOK)
			if !strings.Contains(list.Body, fmt.Sprintf(`href="/q/%d?reply=%d#answer-body"`, f.qID, id)) {
				t.Errorf("%s: the picker page does not link the reply", name)
			}
		}
		req, _ := http.NewRequest("GET", ts.URL+"/saved-replies", nil)
		req.Header.Set("Accept", "application/json")
		js := emp.do(req)
		mustStatus(t, js, http.StatusOK)
		var data struct {
			Replies []struct {
				ID          int64
				Title, Body string
			}
		}
		if err := json.Unmarshal([]byte(js.Body), &data); err != nil || len(data.Replies) != 2 || data.Replies[0].Title != "Reset the printer" {
			t.Errorf("JSON list: %v %s", err, js.Body)
		}
		// Members never see them, on any path.
		if strings.Contains(f.asker.get(question).Body, "Insert saved reply") {
			t.Error("a member sees the saved-reply control")
		}
		if strings.Contains(f.asker.get(fmt.Sprintf("%s?reply=%d", question, id)).Body, "power") {
			t.Error("?reply= prefills a member's editor")
		}
		checkErrorPage(t, f.asker.get("/saved-replies"), http.StatusForbidden)
		req, _ = http.NewRequest("GET", ts.URL+"/saved-replies", nil)
		req.Header.Set("Accept", "application/json")
		if r := f.asker.do(req); r.Status != http.StatusForbidden || strings.Contains(r.Body, "power") {
			t.Errorf("member JSON list: %d", r.Status)
		}
		checkErrorPage(t, f.visitor.get("/saved-replies"), http.StatusUnauthorized)
		checkErrorPage(t, f.asker.get("/admin/saved-replies"), http.StatusForbidden)

		mustStatus(t, f.admin.post(fmt.Sprintf("/admin/saved-replies/%d/delete", id), nil), http.StatusSeeOther)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM saved_replies"); n != 1 {
			t.Errorf("%d saved replies after delete", n)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'saved_reply.%'"); n != 4 {
			t.Errorf("%d audit entries for saved replies, want 4", n)
		}
	})
}

// TestArchiveExport: an admin exports a period; the job produces a zip
// holding exactly the period's posts (deleted ones flagged), revisions
// and audit entries; progress reaches done; a redelivered task changes
// nothing; only admins may start or download, and a missing export is 404.
func TestArchiveExport(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		waitTagCounts(t, ts)
		// An edit (a revision), a post whose body is a formula, and a post
		// from long ago that the period leaves out.
		mustStatus(t, f.other.post(fmt.Sprintf("/posts/%d/edit", f.answerID), url.Values{"body": {"Clean the rollers with a dry cloth."}}), http.StatusSeeOther)
		formula := mustAnswer(t, f.other, f.q2ID, "=HYPERLINK(\"http://evil.example\")")
		old := mustAnswer(t, f.other, f.q2ID, "An old answer.")
		ts.App.DB.Exec("UPDATE posts SET created_at = ? WHERE id = ?", time.Now().UTC().AddDate(-1, 0, 0), old)
		today := time.Now().UTC().Format(time.DateOnly)
		tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)

		noWrite(t, ts, func() {
			checkErrorPage(t, f.visitor.get("/admin/exports"), http.StatusUnauthorized)
			checkErrorPage(t, f.asker.get("/admin/exports"), http.StatusForbidden)
			checkErrorPage(t, f.asker.post("/admin/exports", url.Values{"from": {today}, "to": {today}, "format": {"jsonl"}}), http.StatusForbidden)
			for _, form := range []url.Values{
				{"from": {tomorrow}, "to": {today}, "format": {"jsonl"}},
				{"from": {"2026-13-01"}, "to": {today}, "format": {"jsonl"}},
				{"from": {today}, "to": {today}, "format": {"xml"}},
			} {
				mustStatus(t, f.admin.post("/admin/exports", form), http.StatusUnprocessableEntity)
			}
			checkErrorPage(t, f.admin.get("/admin/exports/999"), http.StatusNotFound)
			checkErrorPage(t, f.admin.get("/admin/exports/999/download"), http.StatusNotFound)
			checkErrorPage(t, f.admin.get("/admin/exports/..%2f..%2fsecret/download"), http.StatusNotFound)
			checkErrorPage(t, f.admin.get("/admin/exports/1%2f..%2f..%2fsecret/download"), http.StatusNotFound)
		})

		// A moderation decision of the day, exported with its reason.
		mustStatus(t, f.admin.post(fmt.Sprintf("/moderation/posts/%d/warn", f.answerID), url.Values{"reason": {"Archive test warning"}}), http.StatusSeeOther)
		var want struct{ posts, revisions, audit, moderation int64 }
		day, next := time.Now().UTC().Truncate(24*time.Hour), time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
		ts.App.DB.Raw("SELECT COUNT(*) FROM posts WHERE created_at >= ? AND created_at < ?", day, next).Scan(&want.posts)
		ts.App.DB.Raw("SELECT COUNT(*) FROM post_revisions").Scan(&want.revisions)
		ts.App.DB.Raw("SELECT COUNT(*) FROM moderation_actions").Scan(&want.moderation)
		files := map[string]map[string][]map[string]string{}
		for _, format := range []string{"jsonl", "csv"} {
			r := f.admin.post("/admin/exports", url.Values{"from": {today}, "to": {today}, "format": {format}})
			mustStatus(t, r, http.StatusSeeOther)
			page := r.Location
			var id int64
			if _, err := fmt.Sscanf(page, "/admin/exports/%d", &id); err != nil {
				t.Fatalf("redirect to %q", page)
			}
			// The audit log holds the exports' own entries too, written
			// before the job counts.
			ex := waitExport(t, ts, id)
			if ex.Status != models.ArchiveDone || ex.RowsDone != ex.RowsTotal || ex.RowsTotal == 0 {
				t.Fatalf("%s export: %+v", format, ex)
			}
			view := f.admin.get(page)
			if !strings.Contains(view.Body, fmt.Sprintf("%d of %d rows written", ex.RowsDone, ex.RowsTotal)) || !strings.Contains(view.Body, page+"/download") {
				t.Errorf("%s export page does not show it done", format)
			}
			checkErrorPage(t, f.asker.get(page+"/download"), http.StatusForbidden)
			dl := f.admin.get(page + "/download")
			mustStatus(t, dl, http.StatusOK)
			files[format] = readArchive(t, dl.Body, format)
			if n := int64(len(files[format]["posts"]) + len(files[format]["revisions"]) + len(files[format]["moderation_actions"]) + len(files[format]["audit_log"])); n != ex.RowsTotal {
				t.Errorf("%s: %d rows in the file, %d counted", format, n, ex.RowsTotal)
			}
			// A redelivered task (the same payload through the outbox again)
			// changes nothing.
			if err := ts.App.DB.Exec("INSERT INTO outbox (kind, payload, created_at) VALUES (?, ?, ?)", models.TaskArchiveExport,
				fmt.Sprintf(`{"export_id":%d}`, id), time.Now().UTC()).Error; err != nil {
				t.Fatal(err)
			}
			waitTagCounts(t, ts)
			again := waitExport(t, ts, id)
			if again.RowsDone != ex.RowsDone || again.FinishedAt == nil || !again.FinishedAt.Equal(*ex.FinishedAt) {
				t.Errorf("a redelivered task changed the export: %+v → %+v", ex, again)
			}
			if dl2 := f.admin.get(page + "/download"); dl2.Body != dl.Body {
				t.Error("a redelivered task rewrote the file")
			}
		}
		ts.App.DB.Raw("SELECT COUNT(*) FROM audit_log WHERE created_at >= ? AND created_at < ?", day, next).Scan(&want.audit)
		for format, fs := range files {
			if int64(len(fs["posts"])) != want.posts || int64(len(fs["revisions"])) != want.revisions {
				t.Errorf("%s: %d posts and %d revisions, want %d and %d", format, len(fs["posts"]), len(fs["revisions"]), want.posts, want.revisions)
			}
			if n := int64(len(fs["moderation_actions"])); n != want.moderation || n == 0 {
				t.Errorf("%s: %d moderation actions, want %d", format, n, want.moderation)
			} else if fs["moderation_actions"][0]["reason"] != "Archive test warning" || fs["moderation_actions"][0]["action"] == "" {
				t.Errorf("%s: moderation action %v", format, fs["moderation_actions"][0])
			}
			// The JSON export ran first: its audit log lacks the CSV
			// export's own entry.
			if n := int64(len(fs["audit_log"])); n < 1 || n > want.audit {
				t.Errorf("%s: %d audit entries, at most %d", format, n, want.audit)
			}
			byID := map[string]map[string]string{}
			for _, p := range fs["posts"] {
				byID[p["id"]] = p
			}
			if p := byID[fmt.Sprint(old)]; p != nil {
				t.Errorf("%s: a post from outside the period is exported", format)
			}
			deleted := byID[fmt.Sprint(f.deletedQID)]
			var delPost int64
			ts.App.DB.Raw("SELECT id FROM posts WHERE question_id = ? AND kind = 'question'", f.deletedQID).Scan(&delPost)
			if p := byID[fmt.Sprint(delPost)]; p == nil || p["deleted"] != "true" || p["deleted_at"] == "" {
				t.Errorf("%s: the deleted question is not flagged: %v %v", format, p, deleted)
			}
			if p := byID[fmt.Sprint(f.answerID)]; p == nil || p["deleted"] != "false" || p["kind"] != "answer" {
				t.Errorf("%s: live answer: %v", format, p)
			}
			body := byID[fmt.Sprint(formula)]["body_md"]
			if format == "csv" && !strings.HasPrefix(body, "'=") {
				t.Errorf("csv: a formula body is not guarded: %q", body)
			}
			if format == "jsonl" && !strings.HasPrefix(body, "=") {
				t.Errorf("jsonl: body changed: %q", body)
			}
			if len(fs["revisions"]) != 1 || fs["revisions"][0]["body_md"] != "Clean the rollers." {
				t.Errorf("%s: revisions %v", format, fs["revisions"])
			}
		}
		list := f.admin.get("/admin/exports")
		if strings.Count(list.Body, "/download\"") != 2 {
			t.Error("the exports page does not list both exports with their downloads")
		}
	})
}

// waitExport waits until export id has finished.
func waitExport(t *testing.T, ts *testServer, id int64) *models.ArchiveExport {
	t.Helper()
	for i := 0; i < 300; i++ {
		ex, err := models.ArchiveExportByID(t.Context(), ts.App.DB, id)
		if err != nil {
			t.Fatal(err)
		}
		if ex.Finished() {
			return ex
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("export %d did not finish", id)
	return nil
}

// readArchive opens a downloaded zip and returns each file's rows as
// field → text.
func readArchive(t *testing.T, body, format string) map[string][]map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader([]byte(body)), int64(len(body)))
	if err != nil {
		t.Fatalf("zip: %v", err)
	}
	out := map[string][]map[string]string{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		kind := strings.TrimSuffix(zf.Name, "."+format)
		out[kind] = []map[string]string{}
		if format == "csv" {
			rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
			if err != nil || len(rows) == 0 {
				t.Fatalf("%s: %v", zf.Name, err)
			}
			for _, r := range rows[1:] {
				m := map[string]string{}
				for i, h := range rows[0] {
					m[h] = r[i]
				}
				out[kind] = append(out[kind], m)
			}
			continue
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if line == "" {
				continue
			}
			var raw map[string]any
			if err := json.Unmarshal([]byte(line), &raw); err != nil {
				t.Fatalf("%s: %v in %q", zf.Name, err, line)
			}
			m := map[string]string{}
			for k, v := range raw {
				switch x := v.(type) {
				case nil:
					m[k] = ""
				case string:
					m[k] = x
				default:
					m[k] = fmt.Sprint(x)
				}
			}
			out[kind] = append(out[kind], m)
		}
	}
	for _, k := range models.ArchiveFiles {
		if _, ok := out[k]; !ok {
			t.Errorf("the archive lacks %s.%s", k, format)
		}
	}
	return out
}
