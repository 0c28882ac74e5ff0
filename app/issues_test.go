package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crowdcare/crowdcare/models"
)

func init() { moreTemplateCases = append(moreTemplateCases, issueTemplateCases) }

func sampleIssue(now time.Time) models.IssueSummary {
	return models.IssueSummary{EmergingIssue: models.EmergingIssue{ID: 3, BoardID: 1, Status: models.IssueNew, Title: "e-301 firmware 4.2.1 <update>",
		Score: 12.5, QuestionCount: 14, AskerCount: 13, FirstQuestionAt: now.Add(-5 * time.Hour), LastQuestionAt: now}, BoardSlug: "laserjet", BoardName: "LaserJet printers"}
}

func issueTemplateCases() []templateCase {
	now := time.Now()
	pm := &models.User{ID: 9, Handle: "pia", DisplayName: "Pia", Roles: []models.Role{models.RoleProduct}}
	is := sampleIssue(now)
	detail := &models.IssueDetail{IssueSummary: is, Terms: []string{"e-301", "4.2.1", "प्रिंटर"},
		Questions: []models.IssueQuestion{{QuestionID: 7, Title: "E-301 after update <b>", Lang: "en", CreatedAt: now.Add(-5 * time.Hour)},
			{QuestionID: 8, Title: "प्रिंटर E-301 दिखा रहा है", Lang: "hi", CreatedAt: now.Add(-time.Hour)}},
		Hourly:    []models.HourCount{{Hour: now.Add(-5 * time.Hour), Count: 1}, {Hour: now.Add(-4 * time.Hour)}, {Hour: now.Add(-time.Hour), Count: 1}},
		Languages: map[string]int{"en": 1, "hi": 1}}
	chart := BarChart{ID: "issue-3", Title: "Questions per hour", Labels: []string{"a", "b", "c"}, Values: []int{1, 0, 1}}
	statuses := []string{models.IssueNew, models.IssueAcknowledged, models.IssueInvestigating, models.IssueFixed, models.IssueDismissed}
	return []templateCase{
		{name: "product_issues", label: "open", status: 200, path: "/product/issues", user: pm,
			page: &Page{Title: "issues.title", Data: &issuesData{Issues: []models.IssueSummary{is}, Statuses: statuses, Boards: sampleBoards(), Next: 3}},
			want: []string{"e-301 firmware 4.2.1 &lt;update&gt;", "LaserJet printers", "12.5", "before=3", "/product/alerts"}},
		{name: "product_issues", label: "none", status: 200, path: "/product/issues?status=fixed", user: pm,
			page: &Page{Title: "issues.title", Data: &issuesData{Status: models.IssueFixed, Statuses: statuses}}, want: []string{"No emerging issues here."}},
		{name: "product_issue", label: "detail", status: 200, path: "/product/issues/3?saved=1", user: pm,
			page: &Page{Title: "issues.issue_title", Data: &issueData{Issue: detail, Chart: chart, Statuses: statuses, Saved: true},
				Form: url.Values{"status": {"new"}}},
			want: []string{"<svg class=\"chart\"", "14 questions from 13 people", "E-301 after update &lt;b&gt;", "प्रिंटर", "Saved."}},
		{name: "product_issue", label: "bad link", status: 422, path: "/product/issues/3", user: pm,
			page: &Page{Title: "issues.issue_title", Data: &issueData{Issue: detail, Chart: chart, Statuses: statuses},
				Errors: fieldErr("external_url", "alerts.error.url", nil), Form: url.Values{"status": {"new"}, "external_url": {"javascript:alert(1)"}}},
			want: []string{"Enter a full web address"}},
	}
}

// seedEmergingIssue stores issue 1 on board slug with two of its questions,
// as the detector would, for the dashboard tests and the CSRF walk.
func seedEmergingIssue(t *testing.T, ts *testServer, slug string) int64 {
	t.Helper()
	b := boardID(t, ts, slug)
	now := time.Now().UTC().Truncate(time.Second)
	is := models.EmergingIssue{BoardID: b, Status: models.IssueNew, Title: "paper jam after firmware", Score: 8, QuestionCount: 2, AskerCount: 2,
		FirstQuestionAt: now.Add(-3 * time.Hour), LastQuestionAt: now, DetectedAt: now, CreatedAt: now, UpdatedAt: now}
	if err := ts.App.DB.Create(&is).Error; err != nil {
		t.Fatal(err)
	}
	var qs []models.Question
	ts.App.DB.Where("board_id = ? AND deleted_at IS NULL", b).Order("id").Limit(2).Find(&qs)
	for _, q := range qs {
		if err := ts.App.DB.Exec("INSERT INTO emerging_issue_questions (issue_id, question_id, scope, author_id, created_at, linked_at) VALUES (?, ?, 0, ?, ?, ?)",
			is.ID, q.ID, q.AuthorID, q.CreatedAt, now).Error; err != nil {
			t.Fatal(err)
		}
	}
	return is.ID
}

// TestEmergingIssueDashboard: the product team lists, reads and moves
// issues; members cannot; an issue on a board the reader cannot see is not
// there; bad input saves nothing.
func TestEmergingIssueDashboard(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		id := seedEmergingIssue(t, ts, f.board)
		hidden := seedEmergingIssue(t, ts, f.staffBoard)
		pm := ts.client()
		pm.signIn("pia", "product")
		page := pm.get("/product/issues")
		mustStatus(t, page, http.StatusOK)
		if !strings.Contains(page.Body, fmt.Sprintf(`href="/product/issues/%d"`, id)) || strings.Contains(page.Body, fmt.Sprintf(`href="/product/issues/%d"`, hidden)) {
			t.Error("the list does not show exactly the issues of boards the reader can see")
		}
		detail := pm.get(fmt.Sprintf("/product/issues/%d", id))
		mustStatus(t, detail, http.StatusOK)
		for _, want := range []string{"paper jam after firmware", "<svg class=\"chart\"", "Printer jams on every second page"} {
			if !strings.Contains(detail.Body, want) {
				t.Errorf("issue page lacks %q", want)
			}
		}
		checkErrorPage(t, pm.get(fmt.Sprintf("/product/issues/%d", hidden)), http.StatusNotFound)
		noWrite(t, ts, func() {
			checkErrorPage(t, f.asker.get("/product/issues"), http.StatusForbidden)
			checkErrorPage(t, f.asker.post(fmt.Sprintf("/product/issues/%d", id), url.Values{"status": {"dismissed"}}), http.StatusForbidden)
			checkErrorPage(t, f.visitor.get("/product/issues"), http.StatusUnauthorized)
			mustStatus(t, pm.post(fmt.Sprintf("/product/issues/%d", id), url.Values{"status": {"solved-ish"}}), http.StatusUnprocessableEntity)
			mustStatus(t, pm.post(fmt.Sprintf("/product/issues/%d", id), url.Values{"status": {"new"}, "external_url": {"javascript:alert(1)"}}), http.StatusUnprocessableEntity)
			checkErrorPage(t, pm.post(fmt.Sprintf("/product/issues/%d", hidden), url.Values{"status": {"dismissed"}}), http.StatusNotFound)
			checkErrorPage(t, pm.get("/product/issues?status=bogus"), http.StatusBadRequest)
		})
		r := pm.post(fmt.Sprintf("/product/issues/%d", id), url.Values{"status": {"investigating"}, "notes": {"Firmware team on it"}, "external_url": {"https://bugs.example.com/123"}})
		mustStatus(t, r, http.StatusSeeOther)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM emerging_issues WHERE id = ? AND status = 'investigating' AND notes = 'Firmware team on it' AND status_changed_by IS NOT NULL", id); n != 1 {
			t.Error("the update was not saved")
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM audit_log WHERE action = 'issue.update'"); n != 1 {
			t.Errorf("%d audit entries", n)
		}
		if !strings.Contains(pm.get("/product/issues?status=investigating").Body, "paper jam after firmware") {
			t.Error("the status filter does not find the issue")
		}
		noWrite(t, ts, func() {
			mustStatus(t, pm.post(fmt.Sprintf("/product/issues/%d", id), url.Values{"status": {"investigating"}, "title": {strings.Repeat("n", 201)}}), http.StatusUnprocessableEntity)
		})
		mustStatus(t, pm.post(fmt.Sprintf("/product/issues/%d", id), url.Values{"status": {"investigating"}, "title": {"Jams after firmware 4.2.1"}}), http.StatusSeeOther)
		if list := pm.get("/product/issues?status=investigating").Body; !strings.Contains(list, "Jams after firmware 4.2.1") {
			t.Error("the issue was not renamed")
		}
	})
}

// TestIssueFixedPostsOfficialReplies: moving an issue into fixed needs a
// message; the job posts it once as an official reply in every question
// of the issue and tells each asker and kudos giver there once; saving the
// fixed issue again posts nothing more.
func TestIssueFixedPostsOfficialReplies(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		id := seedEmergingIssue(t, ts, f.board)
		fan := ts.client()
		fan.signIn("kim")
		mustStatus(t, fan.post(fmt.Sprintf("/posts/%d/kudos", f.answerID), url.Values{"give": {"1"}}), http.StatusSeeOther)
		waitTagCounts(t, ts)
		pm := ts.client()
		pm.signIn("pia", "product")
		path := fmt.Sprintf("/product/issues/%d", id)
		noWrite(t, ts, func() {
			for _, msg := range []string{"", "   ", "Too short", strings.Repeat("x", models.FixMessageMax+1), "bad \xff utf8 message"} {
				r := pm.post(path, url.Values{"status": {"fixed"}, "fix_message": {msg}})
				mustStatus(t, r, http.StatusUnprocessableEntity)
				if !strings.Contains(r.Body, `id="fix-err"`) {
					t.Errorf("fix message %q: no error shown by the field", msg)
				}
			}
		})
		msg := "Firmware 4.2.2 fixes the **paper jam**; update from the printer's menu."
		mustStatus(t, pm.post(path, url.Values{"status": {"fixed"}, "fix_message": {msg}}), http.StatusSeeOther)
		waitTagCounts(t, ts)
		qs := []int64{f.qID, f.q2ID}
		for _, q := range qs {
			if n := countRows(t, ts, "SELECT COUNT(*) FROM posts p JOIN users u ON u.id = p.author_id WHERE p.question_id = ? AND p.official AND u.handle = 'pia' AND p.body_md = ?", q, msg); n != 1 {
				t.Errorf("question %d has %d official fix replies", q, n)
			}
			page := f.visitor.get(fmt.Sprintf("/q/%d", q))
			if !strings.Contains(page.Body, "<strong>paper jam</strong>") {
				t.Errorf("question %d does not show the fix reply", q)
			}
		}
		if n := countRows(t, ts, "SELECT answer_count FROM questions WHERE id = ?", f.qID); n != 2 {
			t.Errorf("answer count %d after the fix reply, want 2", n)
		}
		if n := countRows(t, ts, "SELECT fix_posted FROM emerging_issues WHERE id = ?", id); n != 2 {
			t.Errorf("fix_posted %d, want 2", n)
		}
		for handle, want := range map[string]int64{"asha": 1, "omar": 1, "kim": 1, "pia": 0, "ada": 0} {
			if n := countRows(t, ts, "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.handle = ? AND n.kind = ?", handle, models.NotifyIssueFixed); n != want {
				t.Errorf("%s has %d fix notifications, want %d", handle, n, want)
			}
		}
		if page := f.asker.get("/notifications"); !strings.Contains(page.Body, "fixed the problem") {
			t.Error("the asker's notifications do not tell of the fix")
		}
		if !strings.Contains(pm.get(path).Body, "posted in 2 of 2 questions") {
			t.Error("the issue page does not show the replies posted")
		}
		// A redelivered job and another save of the fixed issue post nothing.
		before := countRows(t, ts, "SELECT COUNT(*) FROM posts")
		if n, err := models.PostIssueFix(context.Background(), ts.App.DB, models.IssueFixEvent{IssueID: id, Round: 1, ActorID: userIDOf(t, ts, "pia")}); err != nil || n != 0 {
			t.Errorf("redelivered fix job posted %d (%v)", n, err)
		}
		mustStatus(t, pm.post(path, url.Values{"status": {"fixed"}, "notes": {"Shipped in 4.2.2"}}), http.StatusSeeOther)
		waitTagCounts(t, ts)
		if after := countRows(t, ts, "SELECT COUNT(*) FROM posts"); after != before {
			t.Errorf("%d more posts after saving the fixed issue again", after-before)
		}
		// Reopened and fixed again: a new round, a new reply each.
		mustStatus(t, pm.post(path, url.Values{"status": {"investigating"}}), http.StatusSeeOther)
		mustStatus(t, pm.post(path, url.Values{"status": {"fixed"}, "fix_message": {"Firmware 4.2.3 fixes the last cases."}}), http.StatusSeeOther)
		waitTagCounts(t, ts)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM posts WHERE official AND question_id IN ?", qs); n != 4 {
			t.Errorf("%d official replies after the second round, want 4", n)
		}
	})
}
