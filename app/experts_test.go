package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/crowdcare/crowdcare/models"
)

// expertFixture is a forum with a public board, an experts-only board and
// a staff board, an admin, an applicant with some answers, and a question
// on each board.
type expertFixture struct {
	ts                       *testServer
	admin, mina, omar, emil  *client
	pub, early, staff        int64 // board ids
	pubQ, earlyQ             int64
	minaAnswer, omarAnswer   int64
	minaID, omarID, employee int64
}

func boardID(t *testing.T, ts *testServer, slug string) int64 {
	t.Helper()
	var id int64
	if err := ts.App.DB.Raw("SELECT id FROM boards WHERE slug = ?", slug).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("board %s: %v", slug, err)
	}
	return id
}

func userIDOf(t *testing.T, ts *testServer, handle string) int64 {
	t.Helper()
	var id int64
	if err := ts.App.DB.Raw("SELECT id FROM users WHERE handle = ?", handle).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("user %s: %v", handle, err)
	}
	return id
}

func countRows(t *testing.T, ts *testServer, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := ts.App.DB.Raw(sql, args...).Scan(&n).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func newExpertFixture(t *testing.T, ts *testServer) *expertFixture {
	t.Helper()
	f := &expertFixture{ts: ts, admin: ts.client(), mina: ts.client(), omar: ts.client(), emil: ts.client()}
	f.admin.signIn("ada", "admin")
	f.mina.signIn("mina")
	f.omar.signIn("omar")
	f.emil.signIn("emil", "employee")
	for _, b := range []struct{ slug, name, vis string }{
		{"printers", "Printers", "public"}, {"early-access", "Early access", "experts"}, {"staff-room", "Staff room", "staff"}} {
		mustStatus(t, f.admin.post("/admin/boards", url.Values{"name": {b.name}, "slug": {b.slug}, "visibility": {b.vis}}), http.StatusSeeOther)
	}
	f.pub, f.early, f.staff = boardID(t, ts, "printers"), boardID(t, ts, "early-access"), boardID(t, ts, "staff-room")
	f.pubQ = mustAsk(t, f.admin, "printers", "Printer jams on every second page", "It jams.", "jam")
	f.earlyQ = mustAsk(t, f.admin, "early-access", "Firmware 5 beta feedback", "Try it.", "beta")
	f.minaAnswer = mustAnswer(t, f.mina, f.pubQ, "Clean the rollers with a damp cloth.")
	f.omarAnswer = mustAnswer(t, f.omar, f.pubQ, "Replace the pickup roller.")
	f.minaID, f.omarID, f.employee = userIDOf(t, ts, "mina"), userIDOf(t, ts, "omar"), userIDOf(t, ts, "emil")
	// Anyone may apply in most of these tests; the rank rule has its own.
	mustStatus(t, f.admin.post("/admin/experts/settings", programForm("0")), http.StatusSeeOther)
	waitTagCounts(t, ts) // badge jobs of the answers land before any "nothing written" check
	return f
}

func programForm(minRank string) url.Values {
	return url.Values{"min_rank": {minRank}, "guidelines": {"Be **kind** and accurate."},
		"route_per_question": {"3"}, "route_max_open": {"5"}, "route_expire_hours": {"48"}}
}

func (f *expertFixture) applyForm(boards ...int64) url.Values {
	form := url.Values{"statement": {"I have answered printer questions for years and love it."}, "accept": {"1"}}
	for _, b := range boards {
		form.Add("board", fmt.Sprint(b))
	}
	return form
}

// pendingID is the id of the user's pending application.
func (f *expertFixture) pendingID(t *testing.T, userID int64) int64 {
	t.Helper()
	var id int64
	f.ts.App.DB.Raw("SELECT id FROM expert_applications WHERE user_id = ? AND status = 'pending'", userID).Scan(&id)
	if id == 0 {
		t.Fatalf("no pending application of user %d", userID)
	}
	return id
}

// approve applies as c (user id) and has the admin approve in tier 2.
func (f *expertFixture) enrol(t *testing.T, c *client, userID int64, boards ...int64) {
	t.Helper()
	mustStatus(t, c.post("/experts/apply", f.applyForm(boards...)), http.StatusSeeOther)
	id := f.pendingID(t, userID)
	mustStatus(t, f.admin.post(fmt.Sprintf("/admin/experts/applications/%d", id),
		url.Values{"action": {"approve"}, "tier": {"2"}, "note": {"Welcome aboard"}}), http.StatusSeeOther)
}

// TestExpertApplicationJourney: apply, review, approve; the expert gets
// the role, badge, tier label, boards, experts-only boards and a
// notification; every decision is audited.
func TestExpertApplicationJourney(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newExpertFixture(t, ts)
		page := f.mina.get("/experts")
		mustStatus(t, page, http.StatusOK)
		for _, want := range []string{"Expert program", "Champion", "<strong>kind</strong>", `href="/experts/apply"`} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("/experts lacks %q", want)
			}
		}
		form := f.mina.get("/experts/apply")
		mustStatus(t, form, http.StatusOK)
		if strings.Contains(form.Body, "Early access") || strings.Contains(form.Body, "Staff room") {
			t.Error("the application form offers boards the member cannot see")
		}
		mustStatus(t, f.mina.post("/experts/apply", f.applyForm(f.pub)), http.StatusSeeOther)
		appID := f.pendingID(t, f.minaID)

		// The queue shows the applicant's record.
		queue := f.admin.get("/admin/experts")
		mustStatus(t, queue, http.StatusOK)
		if !strings.Contains(queue.Body, "mina") || !strings.Contains(queue.Body, fmt.Sprintf("/admin/experts/applications/%d", appID)) {
			t.Fatalf("queue lacks the application:\n%.3000s", queue.Body)
		}
		review := f.admin.get(fmt.Sprintf("/admin/experts/applications/%d", appID))
		mustStatus(t, review, http.StatusOK)
		for _, want := range []string{"Printer jams on every second page", "I have answered printer questions", "experts.apply"} {
			if !strings.Contains(review.Body, want) {
				t.Errorf("review page lacks %q", want)
			}
		}

		mustStatus(t, f.admin.post(fmt.Sprintf("/admin/experts/applications/%d", appID),
			url.Values{"action": {"approve"}, "tier": {"2"}, "note": {"Welcome aboard"}}), http.StatusSeeOther)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM user_roles WHERE user_id = ? AND role = 'expert'", f.minaID); n != 1 {
			t.Errorf("expert role rows = %d", n)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM user_badges ub JOIN badges b ON b.id = ub.badge_id WHERE ub.user_id = ? AND b.slug = 'expert'", f.minaID); n != 1 {
			t.Errorf("expert badges = %d", n)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM experts WHERE user_id = ? AND status = 'active' AND tier_id = 2", f.minaID); n != 1 {
			t.Errorf("experts row missing")
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM expert_boards WHERE user_id = ? AND board_id = ?", f.minaID, f.pub); n != 1 {
			t.Errorf("expert board missing")
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM audit_log WHERE action = 'experts.decide' AND target_user_id = ?", f.minaID); n != 1 {
			t.Errorf("decision audit entries = %d", n)
		}
		// Deciding again is a conflict and changes nothing.
		noWrite(t, ts, func() {
			checkErrorPage(t, f.admin.post(fmt.Sprintf("/admin/experts/applications/%d", appID),
				url.Values{"action": {"decline"}, "note": {"Changed my mind"}}), http.StatusConflict)
		})

		// The new expert: notification, label with tier, experts-only board.
		dropMemberNotifications(t, ts) // answers, badges: not this test's
		notes := f.mina.get("/notifications")
		mustStatus(t, notes, http.StatusOK)
		if !strings.Contains(notes.Body, "Welcome to the expert program") || !strings.Contains(notes.Body, "Champion") {
			t.Errorf("no approval notification:\n%.3000s", notes.Body)
		}
		if home := f.mina.get("/"); !strings.Contains(home.Body, "Notifications (1 unread)") {
			t.Error("the bell does not count the unread notification")
		}
		q := f.omar.get(fmt.Sprintf("/q/%d", f.pubQ))
		if !strings.Contains(q.Body, `<span class="label expert" title="Member of the expert program">Champion</span>`) {
			t.Error("the expert's post lacks the tier label")
		}
		mustStatus(t, f.mina.get(fmt.Sprintf("/q/%d", f.earlyQ)), http.StatusOK)
		checkErrorPage(t, f.omar.get(fmt.Sprintf("/q/%d", f.earlyQ)), http.StatusNotFound)
		if prof := f.omar.get("/u/mina"); !strings.Contains(prof.Body, `<span class="label expert">Champion</span>`) {
			t.Error("the profile does not show the expert's tier")
		}
		prog := f.mina.get("/experts")
		if !strings.Contains(prog.Body, "You are an expert (Champion)") {
			t.Error("the program page does not show the member's tier")
		}
		// Mark read: the bell empties; another user's notification is not theirs.
		var noteID int64
		ts.App.DB.Raw("SELECT id FROM notifications WHERE user_id = ?", f.minaID).Scan(&noteID)
		noWrite(t, ts, func() {
			checkErrorPage(t, f.omar.post("/notifications/read", url.Values{"id": {fmt.Sprint(noteID)}}), http.StatusNotFound)
		})
		r := f.mina.post("/notifications/read", url.Values{"id": {fmt.Sprint(noteID)}, "open": {"1"}})
		mustStatus(t, r, http.StatusSeeOther)
		if r.Location != "/experts" {
			t.Errorf("opening the notification goes to %q", r.Location)
		}
		if home := f.mina.get("/"); strings.Contains(home.Body, "unread") {
			t.Error("the bell still counts a read notification")
		}
	})
}

// TestExpertApplicationBadInput: every bad application is refused with a
// clear message and writes nothing; so are applying twice, applying below
// the rank, and forged admin decisions.
func TestExpertApplicationBadInput(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newExpertFixture(t, ts)
		long := strings.Repeat("x", models.StatementMax+1)
		cases := []struct {
			name   string
			form   url.Values
			status int
			msg    string
		}{
			{"no statement", url.Values{"board": {fmt.Sprint(f.pub)}, "accept": {"1"}}, 422, "This is required."},
			{"short statement", url.Values{"statement": {"I can help"}, "board": {fmt.Sprint(f.pub)}, "accept": {"1"}}, 422, "At least 20 characters."},
			{"long statement", url.Values{"statement": {long}, "board": {fmt.Sprint(f.pub)}, "accept": {"1"}}, 422, "At most 2000 characters."},
			{"no board", url.Values{"statement": {"I have answered printer questions for years."}, "accept": {"1"}}, 422, "Choose at least one board"},
			{"hidden board", url.Values{"statement": {"I have answered printer questions for years."}, "board": {fmt.Sprint(f.staff)}, "accept": {"1"}}, 422, "Choose one of the boards in the list."},
			{"missing board", url.Values{"statement": {"I have answered printer questions for years."}, "board": {"99999"}, "accept": {"1"}}, 422, "Choose one of the boards in the list."},
			{"guidelines not accepted", url.Values{"statement": {"I have answered printer questions for years."}, "board": {fmt.Sprint(f.pub)}}, 422, "Please accept the expert guidelines"},
			{"board not a number", url.Values{"statement": {"I have answered printer questions for years."}, "board": {"x"}, "accept": {"1"}}, 400, ""},
			{"invalid UTF-8", url.Values{"statement": {"I have answered \xff\xfe printer questions."}, "board": {fmt.Sprint(f.pub)}, "accept": {"1"}}, 422, "invalid"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				noWrite(t, ts, func() {
					r := f.mina.post("/experts/apply", tc.form)
					mustStatus(t, r, tc.status)
					if tc.msg != "" && !strings.Contains(strings.ToLower(r.Body), strings.ToLower(tc.msg)) {
						t.Errorf("page lacks %q: %v", tc.msg, fieldErrors(r.Body))
					}
				})
			})
		}
		// Without a CSRF token nothing happens.
		noWrite(t, ts, func() {
			checkErrorPage(t, f.mina.postRaw("/experts/apply", f.applyForm(f.pub)), http.StatusForbidden)
		})
		// Applying twice: the second is a conflict.
		mustStatus(t, f.mina.post("/experts/apply", f.applyForm(f.pub)), http.StatusSeeOther)
		appID := f.pendingID(t, f.minaID)
		noWrite(t, ts, func() {
			checkErrorPage(t, f.mina.post("/experts/apply", f.applyForm(f.pub)), http.StatusConflict)
			checkErrorPage(t, f.mina.get("/experts/apply"), http.StatusForbidden)
		})
		// Forged decisions: a member, an expert, a moderator, an employee.
		mod := ts.client()
		mod.signIn("mona", "moderator")
		for _, c := range []*client{f.mina, f.omar, mod, f.emil} {
			noWrite(t, ts, func() {
				checkErrorPage(t, c.post(fmt.Sprintf("/admin/experts/applications/%d", appID),
					url.Values{"action": {"approve"}, "tier": {"1"}}), http.StatusForbidden)
				checkErrorPage(t, c.get("/admin/experts"), http.StatusForbidden)
			})
		}
		noWrite(t, ts, func() {
			checkErrorPage(t, ts.client().post(fmt.Sprintf("/admin/experts/applications/%d", appID),
				url.Values{"action": {"approve"}, "tier": {"1"}}), http.StatusUnauthorized)
		})
		// Bad decisions by an admin: unknown tier, decline without a note,
		// unknown action, missing application.
		noWrite(t, ts, func() {
			r := f.admin.post(fmt.Sprintf("/admin/experts/applications/%d", appID), url.Values{"action": {"approve"}, "tier": {"999"}})
			mustStatus(t, r, http.StatusUnprocessableEntity)
			r = f.admin.post(fmt.Sprintf("/admin/experts/applications/%d", appID), url.Values{"action": {"decline"}})
			mustStatus(t, r, http.StatusUnprocessableEntity)
			if !strings.Contains(r.Body, "This is required.") {
				t.Errorf("decline without a note: %v", fieldErrors(r.Body))
			}
			checkErrorPage(t, f.admin.post(fmt.Sprintf("/admin/experts/applications/%d", appID), url.Values{"action": {"maybe"}}), http.StatusUnprocessableEntity)
			checkErrorPage(t, f.admin.post("/admin/experts/applications/424242", url.Values{"action": {"decline"}, "note": {"x"}}), http.StatusNotFound)
			checkErrorPage(t, f.admin.get("/admin/experts?status=bogus"), http.StatusBadRequest)
		})
		// Declined with a note: the member is told why.
		mustStatus(t, f.admin.post(fmt.Sprintf("/admin/experts/applications/%d", appID),
			url.Values{"action": {"decline"}, "note": {"Please answer a few more questions first"}}), http.StatusSeeOther)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM user_roles WHERE user_id = ? AND role = 'expert'", f.minaID); n != 0 {
			t.Error("a declined applicant got the expert role")
		}
		if !strings.Contains(f.mina.get("/notifications").Body, "Please answer a few more questions first") {
			t.Error("the declined applicant was not told why")
		}

		// The rank rule: with Helper (200 points) required, omar may not apply.
		var helper int64
		ts.App.DB.Raw("SELECT id FROM ranks WHERE name = 'Helper'").Scan(&helper)
		mustStatus(t, f.admin.post("/admin/experts/settings", programForm(fmt.Sprint(helper))), http.StatusSeeOther)
		noWrite(t, ts, func() {
			checkErrorPage(t, f.omar.post("/experts/apply", f.applyForm(f.pub)), http.StatusForbidden)
			checkErrorPage(t, f.omar.get("/experts/apply"), http.StatusForbidden)
		})
		if !strings.Contains(f.omar.get("/experts").Body, "once you reach the required rank") {
			t.Error("the program page does not say why omar cannot apply")
		}
		// Bad program settings save nothing.
		noWrite(t, ts, func() {
			bad := programForm("0")
			bad.Set("route_max_open", "0")
			mustStatus(t, f.admin.post("/admin/experts/settings", bad), http.StatusUnprocessableEntity)
			mustStatus(t, f.admin.post("/admin/experts/settings", programForm("987654")), http.StatusUnprocessableEntity)
			mustStatus(t, f.admin.post("/admin/experts/tiers", url.Values{"tier_name": {"champion"}}), http.StatusUnprocessableEntity)
			mustStatus(t, f.admin.post("/admin/experts/tiers", url.Values{"tier_name": {""}}), http.StatusUnprocessableEntity)
			checkErrorPage(t, f.mina.post("/admin/experts/settings", programForm("0")), http.StatusForbidden)
		})
		mustStatus(t, f.admin.post("/admin/experts/tiers", url.Values{"tier_name": {"Legend"}, "tier_description": {"Ten years of help"}}), http.StatusSeeOther)
		if !strings.Contains(f.admin.get("/experts").Body, "Ten years of help") {
			t.Error("a new tier is not on the program page")
		}
	})
}

// TestExpertNomination: staff nominate; the nominee must accept the
// guidelines before approval; members cannot nominate.
func TestExpertNomination(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newExpertFixture(t, ts)
		form := url.Values{"handle": {"omar"}, "statement": {"Omar answers printer questions every weekend."}, "board": {fmt.Sprint(f.pub)}}
		noWrite(t, ts, func() {
			checkErrorPage(t, f.mina.post("/experts/nominate", form), http.StatusForbidden)
			checkErrorPage(t, f.mina.get("/experts/nominate"), http.StatusForbidden)
			bad := url.Values{"handle": {"nobody-here"}, "statement": form["statement"], "board": form["board"]}
			r := f.emil.post("/experts/nominate", bad)
			mustStatus(t, r, http.StatusUnprocessableEntity)
			if !strings.Contains(r.Body, "There is no user with that name.") {
				t.Errorf("unknown nominee: %v", fieldErrors(r.Body))
			}
			self := url.Values{"handle": {"emil"}, "statement": form["statement"], "board": form["board"]}
			checkErrorPage(t, f.emil.post("/experts/nominate", self), http.StatusForbidden)
		})
		if !strings.Contains(f.emil.get("/u/omar").Body, `href="/experts/nominate?handle=omar"`) {
			t.Error("staff see no nominate link on a member's profile")
		}
		if strings.Contains(f.mina.get("/u/omar").Body, "/experts/nominate") {
			t.Error("a member sees the nominate link")
		}
		mustStatus(t, f.emil.get("/experts/nominate?handle=omar"), http.StatusOK)
		mustStatus(t, f.emil.post("/experts/nominate", form), http.StatusSeeOther)
		appID := f.pendingID(t, f.omarID)
		noWrite(t, ts, func() {
			checkErrorPage(t, f.emil.post("/experts/nominate", form), http.StatusConflict)
			// Not accepted yet: approval waits.
			checkErrorPage(t, f.admin.post(fmt.Sprintf("/admin/experts/applications/%d", appID),
				url.Values{"action": {"approve"}, "tier": {"1"}}), http.StatusConflict)
			// Only the nominee accepts.
			checkErrorPage(t, f.mina.post(fmt.Sprintf("/experts/applications/%d/accept", appID), nil), http.StatusNotFound)
		})
		page := f.omar.get("/experts")
		if !strings.Contains(page.Body, "Nominated by emil") || !strings.Contains(page.Body, fmt.Sprintf("/experts/applications/%d/accept", appID)) {
			t.Fatalf("the nominee does not see the nomination:\n%.3000s", page.Body)
		}
		if !strings.Contains(f.omar.get("/notifications").Body, "nominated you for the expert program") {
			t.Error("the nominee was not notified")
		}
		mustStatus(t, f.omar.post(fmt.Sprintf("/experts/applications/%d/accept", appID), nil), http.StatusSeeOther)
		mustStatus(t, f.admin.post(fmt.Sprintf("/admin/experts/applications/%d", appID),
			url.Values{"action": {"approve"}, "tier": {"1"}}), http.StatusSeeOther)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM experts WHERE user_id = ? AND status = 'active'", f.omarID); n != 1 {
			t.Error("the approved nominee is not an expert")
		}
		// An expert cannot be nominated again; withdrawing works for one's own.
		noWrite(t, ts, func() {
			checkErrorPage(t, f.emil.post("/experts/nominate", form), http.StatusConflict)
		})
		mustStatus(t, f.mina.post("/experts/apply", f.applyForm(f.pub)), http.StatusSeeOther)
		minaApp := f.pendingID(t, f.minaID)
		noWrite(t, ts, func() {
			checkErrorPage(t, f.omar.post(fmt.Sprintf("/experts/applications/%d/withdraw", minaApp), nil), http.StatusNotFound)
		})
		mustStatus(t, f.mina.post(fmt.Sprintf("/experts/applications/%d/withdraw", minaApp), nil), http.StatusSeeOther)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM expert_applications WHERE id = ? AND status = 'withdrawn'", minaApp); n != 1 {
			t.Error("withdrawing did not withdraw")
		}
	})
}

// TestVerifyAnswers: experts verify in their boards, employees anywhere;
// verification shows who verified, gives points once through the ledger,
// notifies the author, and can be taken back.
func TestVerifyAnswers(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newExpertFixture(t, ts)
		ezra := ts.client()
		ezra.signIn("ezra")
		ezraID := userIDOf(t, ts, "ezra")
		mustAnswer(t, ezra, f.pubQ, "Ezra's own answer about rollers.")
		f.enrol(t, ezra, ezraID, f.pub)
		otherQ := mustAsk(t, f.admin, "staff-room", "Internal escalation process", "How?", "")
		staffAnswer := mustAnswer(t, f.admin, otherQ, "Ask the duty manager.")
		ledger := func(user int64) int64 {
			return countRows(t, ts, "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM point_events WHERE user_id = ? AND award_key LIKE 'verify:%'", user)
		}
		waitTagCounts(t, ts)
		var ezraAnswer int64
		ts.App.DB.Raw("SELECT id FROM posts WHERE author_id = ? AND kind = 'answer'", ezraID).Scan(&ezraAnswer)

		// Refused: a member, one's own answer, a board outside the expert's
		// (staff board: 404, it is not there for them), a question post.
		var qPost int64
		ts.App.DB.Raw("SELECT id FROM posts WHERE question_id = ? AND kind = 'question'", f.pubQ).Scan(&qPost)
		noWrite(t, ts, func() {
			checkErrorPage(t, f.omar.post(fmt.Sprintf("/posts/%d/verify", f.minaAnswer), nil), http.StatusForbidden)
			checkErrorPage(t, ezra.post(fmt.Sprintf("/posts/%d/verify", ezraAnswer), nil), http.StatusForbidden)
			checkErrorPage(t, ezra.post(fmt.Sprintf("/posts/%d/verify", staffAnswer), nil), http.StatusNotFound)
			checkErrorPage(t, ezra.post(fmt.Sprintf("/posts/%d/verify", qPost), nil), http.StatusNotFound)
			checkErrorPage(t, ezra.post("/posts/999999/verify", nil), http.StatusNotFound)
			checkErrorPage(t, ezra.postRaw(fmt.Sprintf("/posts/%d/verify", f.minaAnswer), url.Values{}), http.StatusForbidden)
			checkErrorPage(t, ts.client().post(fmt.Sprintf("/posts/%d/verify", f.minaAnswer), nil), http.StatusUnauthorized)
		})
		// An expert whose boards do not include the question's board.
		mustStatus(t, f.admin.post(fmt.Sprintf("/admin/experts/members/%d/boards", ezraID), url.Values{"board": {fmt.Sprint(f.early)}}), http.StatusSeeOther)
		noWrite(t, ts, func() {
			checkErrorPage(t, ezra.post(fmt.Sprintf("/posts/%d/verify", f.minaAnswer), nil), http.StatusForbidden)
		})
		mustStatus(t, f.admin.post(fmt.Sprintf("/admin/experts/members/%d/boards", ezraID), url.Values{"board": {fmt.Sprint(f.pub)}}), http.StatusSeeOther)

		page := ezra.get(fmt.Sprintf("/q/%d", f.pubQ))
		if !strings.Contains(page.Body, fmt.Sprintf(`action="/posts/%d/verify"`, f.minaAnswer)) {
			t.Error("the expert sees no verify button on an answer of their board")
		}
		if strings.Contains(page.Body, fmt.Sprintf(`action="/posts/%d/verify"`, ezraAnswer)) {
			t.Error("the expert is offered to verify their own answer")
		}
		if strings.Contains(f.omar.get(fmt.Sprintf("/q/%d", f.pubQ)).Body, "/verify\"") {
			t.Error("a member is offered the verify button")
		}
		before := ledger(f.minaID)
		mustStatus(t, ezra.post(fmt.Sprintf("/posts/%d/verify", f.minaAnswer), nil), http.StatusSeeOther)
		mustStatus(t, ezra.post(fmt.Sprintf("/posts/%d/verify", f.minaAnswer), nil), http.StatusSeeOther) // double click
		if got := ledger(f.minaID) - before; got != 10 {
			t.Errorf("verification gave %d points, want 10", got)
		}
		page = f.omar.get(fmt.Sprintf("/q/%d", f.pubQ))
		if !strings.Contains(page.Body, `<span class="badge verified">Verified</span> by <a href="/u/ezra">ezra</a> (Champion)`) {
			t.Errorf("the answer does not show who verified it:\n%.4000s", page.Body)
		}
		if !strings.Contains(f.mina.get("/notifications").Body, "ezra verified your answer to “Printer jams on every second page”.") {
			t.Error("the author was not notified of the verification")
		}
		// Someone else may not take it back; the verifier may.
		noWrite(t, ts, func() {
			checkErrorPage(t, f.omar.post(fmt.Sprintf("/posts/%d/unverify", f.minaAnswer), nil), http.StatusForbidden)
		})
		mustStatus(t, ezra.post(fmt.Sprintf("/posts/%d/unverify", f.minaAnswer), nil), http.StatusSeeOther)
		if got := ledger(f.minaID) - before; got != 0 {
			t.Errorf("after unverify the verification is worth %d points, want 0", got)
		}
		// An employee verifies anywhere they can read, again giving points.
		mustStatus(t, f.emil.post(fmt.Sprintf("/posts/%d/verify", f.minaAnswer), nil), http.StatusSeeOther)
		mustStatus(t, f.emil.post(fmt.Sprintf("/posts/%d/verify", staffAnswer), nil), http.StatusSeeOther)
		if got := ledger(f.minaID) - before; got != 10 {
			t.Errorf("verified again: %d points, want 10", got)
		}
		// Deleting the answer reverses its verification points.
		mustStatus(t, f.mina.post(fmt.Sprintf("/posts/%d/delete", f.minaAnswer), nil), http.StatusSeeOther)
		if got := ledger(f.minaID) - before; got != 0 {
			t.Errorf("after deletion the verification is worth %d points", got)
		}
		rep, err := models.RebuildPoints(context.Background(), ts.App.DB)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Drift) > 0 {
			t.Errorf("cached points drifted from the ledger: %+v", rep.Drift)
		}
	})
}

// TestOfficialAnswersAndLabels: only employees with the official
// permission post official answers; labels show who speaks with what
// authority.
func TestOfficialAnswersAndLabels(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newExpertFixture(t, ts)
		olga := ts.client()
		olga.signIn("olga", "employee", "official")
		form := url.Values{"body": {"This is fixed in firmware 4.2.2, released today."}, "official": {"1"}}
		noWrite(t, ts, func() {
			checkErrorPage(t, f.emil.post(fmt.Sprintf("/q/%d/answers", f.pubQ), form), http.StatusForbidden)
			checkErrorPage(t, f.mina.post(fmt.Sprintf("/q/%d/answers", f.pubQ), form), http.StatusForbidden)
		})
		if strings.Contains(f.emil.get(fmt.Sprintf("/q/%d", f.pubQ)).Body, `name="official"`) {
			t.Error("an employee without the permission is offered the official checkbox")
		}
		if !strings.Contains(olga.get(fmt.Sprintf("/q/%d", f.pubQ)).Body, `name="official"`) {
			t.Error("an employee with the permission is not offered the official checkbox")
		}
		mustStatus(t, olga.post(fmt.Sprintf("/q/%d/answers", f.pubQ), form), http.StatusSeeOther)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM posts WHERE official"); n != 1 {
			t.Errorf("official posts = %d", n)
		}
		page := f.omar.get(fmt.Sprintf("/q/%d", f.pubQ))
		if !strings.Contains(page.Body, `<span class="badge official">Official answer</span>`) {
			t.Error("the official answer is not marked")
		}
		if strings.Count(page.Body, `<span class="label employee">Employee</span>`) != 1 {
			t.Error("the employee's post lacks the Employee label (or others have it)")
		}
		// An unticked box from an official employee is an ordinary answer.
		mustStatus(t, olga.post(fmt.Sprintf("/q/%d/answers", f.pubQ), url.Values{"body": {"A personal tip: restart first."}}), http.StatusSeeOther)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM posts WHERE official"); n != 1 {
			t.Errorf("official posts = %d after an ordinary answer", n)
		}
	})
}

// TestExpertPauseResumeRemove: pausing takes the role and the experts-only
// boards away until resumed; removing also takes the badge; each step is
// audited, notified and needs a reason.
func TestExpertPauseResumeRemove(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newExpertFixture(t, ts)
		f.enrol(t, f.mina, f.minaID, f.pub)
		path := fmt.Sprintf("/admin/experts/members/%d", f.minaID)
		noWrite(t, ts, func() {
			mustStatus(t, f.admin.post(path, url.Values{"action": {"pause"}}), http.StatusUnprocessableEntity)
			mustStatus(t, f.admin.post(path, url.Values{"action": {"explode"}, "reason": {"x"}}), http.StatusUnprocessableEntity)
			checkErrorPage(t, f.admin.post(path, url.Values{"action": {"resume"}}), http.StatusConflict)
			checkErrorPage(t, f.emil.post(path, url.Values{"action": {"remove"}, "reason": {"x"}}), http.StatusForbidden)
			checkErrorPage(t, f.admin.post("/admin/experts/members/999999", url.Values{"action": {"pause"}, "reason": {"x"}}), http.StatusNotFound)
			mustStatus(t, f.admin.post(path+"/tier", url.Values{"tier": {"999"}}), http.StatusUnprocessableEntity)
			checkErrorPage(t, f.admin.post(path+"/boards", url.Values{"board": {"-3"}}), http.StatusBadRequest)
			mustStatus(t, f.admin.post(path+"/boards", url.Values{"board": {"999999"}}), http.StatusUnprocessableEntity)
		})
		mustStatus(t, f.admin.get("/admin/experts/members"), http.StatusOK)
		if err := ts.App.DB.Exec("INSERT INTO question_routes (question_id, expert_id, score, created_at) VALUES (?, ?, 3, CURRENT_TIMESTAMP)", f.pubQ, f.minaID).Error; err != nil {
			t.Fatal(err)
		}
		mustStatus(t, f.admin.post(path, url.Values{"action": {"pause"}, "reason": {"On holiday until March"}}), http.StatusSeeOther)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM question_routes WHERE expert_id = ? AND closed_at IS NULL", f.minaID); n != 0 {
			t.Error("a paused expert keeps open routed questions")
		}
		checkErrorPage(t, f.mina.get(fmt.Sprintf("/q/%d", f.earlyQ)), http.StatusNotFound)
		if strings.Contains(f.omar.get(fmt.Sprintf("/q/%d", f.pubQ)).Body, `class="label expert"`) {
			t.Error("a paused expert still carries the expert label")
		}
		mustStatus(t, f.admin.post(path, url.Values{"action": {"resume"}}), http.StatusSeeOther)
		mustStatus(t, f.mina.get(fmt.Sprintf("/q/%d", f.earlyQ)), http.StatusOK)
		mustStatus(t, f.admin.post(path+"/tier", url.Values{"tier": {"1"}, "reason": {"Back to basics"}}), http.StatusSeeOther)
		if !strings.Contains(f.omar.get(fmt.Sprintf("/q/%d", f.pubQ)).Body, `title="Member of the expert program">Expert</span>`) {
			t.Error("the tier change does not show on posts")
		}
		mustStatus(t, f.admin.post(path, url.Values{"action": {"remove"}, "reason": {"Left the company's products"}}), http.StatusSeeOther)
		checkErrorPage(t, f.mina.get(fmt.Sprintf("/q/%d", f.earlyQ)), http.StatusNotFound)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM user_badges ub JOIN badges b ON b.id = ub.badge_id WHERE ub.user_id = ? AND b.slug = 'expert'", f.minaID); n != 0 {
			t.Error("a removed expert keeps the Expert badge")
		}
		for _, action := range []string{"experts.pause", "experts.resume", "experts.tier", "experts.remove"} {
			if n := countRows(t, ts, "SELECT COUNT(*) FROM audit_log WHERE action = ? AND target_user_id = ?", action, f.minaID); n != 1 {
				t.Errorf("%s audit entries = %d", action, n)
			}
		}
		notes := f.mina.get("/notifications").Body
		for _, want := range []string{"paused: On holiday until March", "active again", "tier changed: Expert — Back to basics", "removed from the expert program: Left"} {
			if !strings.Contains(notes, want) {
				t.Errorf("notifications lack %q", want)
			}
		}
		// A removed expert may apply again.
		mustStatus(t, f.mina.post("/experts/apply", f.applyForm(f.pub)), http.StatusSeeOther)
	})
}

// seedExpertApplication opens the program to everyone and files asha's
// application, id 1, for the CSRF walk (routeParam relies on both).
func seedExpertApplication(t *testing.T, ts *testServer) {
	t.Helper()
	ctx := context.Background()
	if err := ts.App.DB.Exec("UPDATE settings SET value = '0' WHERE name = ?", models.SettingApplyMinRank).Error; err != nil {
		t.Fatal(err)
	}
	asha, err := models.UserByHandle(ctx, ts.App.DB, "asha")
	if err != nil {
		t.Fatal(err)
	}
	var board int64
	ts.App.DB.Raw("SELECT id FROM boards ORDER BY id LIMIT 1").Scan(&board)
	app, err := models.ApplyForExpert(ctx, ts.App.DB, asha, models.ApplyInput{Statement: "I answer questions every single day.",
		BoardIDs: []int64{board}, AcceptGuidelines: true})
	if err != nil {
		t.Fatal(err)
	}
	if app.ID != 1 || board != 1 {
		t.Fatalf("seeded application %d on board %d; routeParam and validForms expect 1 and 1", app.ID, board)
	}
}
