package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/crowdcare/crowdcare/models"
)

func modURL(format string, a ...any) string { return fmt.Sprintf(format, a...) }

func report(c *client, postID int64, reason string) response {
	return c.post(modURL("/posts/%d/report", postID), url.Values{"reason": {reason}, "note": {"please look"}})
}

// TestModerationReportJourney: a member reports a post; reporting twice,
// one's own post, a missing or unreadable post and a bad reason are clear
// 4xx that write nothing; the report shows in the queue for moderators
// only, with the author's history.
func TestModerationReportJourney(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		page := f.asker.get(modURL("/q/%d", f.qID))
		if !strings.Contains(page.Body, modURL(`action="/posts/%d/report"`, f.answerID)) || strings.Contains(page.Body, modURL(`action="/posts/%d/report"`, f.qPostID)) {
			t.Error("the question page does not offer a report form on others' posts only")
		}
		r := report(f.asker, f.answerID, "spam")
		mustStatus(t, r, http.StatusSeeOther)
		if !strings.Contains(r.Location, "reported=1") {
			t.Errorf("report redirected to %q", r.Location)
		}
		if !strings.Contains(f.asker.get(r.Location).Body, "Moderators will review your report") {
			t.Error("no confirmation after reporting")
		}
		var staffPost int64
		staffQ := mustAsk(t, f.admin, f.staffBoard, "Internal rota for the weekend", "Who is on call?", "")
		ts.App.DB.Raw("SELECT id FROM posts WHERE question_id = ? AND kind = 'question'", staffQ).Scan(&staffPost)
		waitTagCounts(t, ts)
		noWrite(t, ts, func() {
			r := report(f.asker, f.answerID, "abuse")
			checkErrorPage(t, r, http.StatusConflict)
			if !strings.Contains(r.Body, "already reported") {
				t.Error("reporting twice: no clear message")
			}
			r = report(f.asker, f.qPostID, "spam")
			checkErrorPage(t, r, http.StatusForbidden)
			if !strings.Contains(r.Body, "cannot report your own post") {
				t.Error("own post: no clear message")
			}
			checkErrorPage(t, report(f.other, 424242, "spam"), http.StatusNotFound)
			checkErrorPage(t, report(f.other, staffPost, "spam"), http.StatusNotFound)
			r = report(f.other, f.qPostID, "boring")
			checkErrorPage(t, r, http.StatusUnprocessableEntity)
			if !strings.Contains(r.Body, "Choose a reason") {
				t.Error("bad reason: no clear message")
			}
			checkErrorPage(t, f.other.post(modURL("/posts/%d/report", f.qPostID), url.Values{"reason": {"other"}, "note": {strings.Repeat("x", 1001)}}), http.StatusUnprocessableEntity)
			checkErrorPage(t, ts.client().post(modURL("/posts/%d/report", f.qPostID), url.Values{"reason": {"spam"}}), http.StatusUnauthorized)
		})
		mustStatus(t, report(f.admin, f.answerID, "private_data"), http.StatusSeeOther)

		mod := ts.client()
		mod.signIn("mona", "moderator")
		q := mod.get("/moderation")
		mustStatus(t, q, http.StatusOK)
		for _, want := range []string{"Clean the rollers.", "2 open reports", "Spam", "Private data", "@omar", `href="/moderation"`} {
			if !strings.Contains(q.Body, want) {
				t.Errorf("the queue does not show %q", want)
			}
		}
		if strings.Contains(f.asker.get("/").Body, `href="/moderation"`) {
			t.Error("a member sees the moderation link")
		}
		checkErrorPage(t, f.asker.get("/moderation"), http.StatusForbidden)
		checkErrorPage(t, ts.client().get("/moderation"), http.StatusUnauthorized)
		mustStatus(t, mod.get(modURL("/moderation/posts/%d", f.answerID)), http.StatusOK)
		checkErrorPage(t, mod.get("/moderation/posts/424242"), http.StatusNotFound)
		checkErrorPage(t, mod.get("/moderation?after=x"), http.StatusBadRequest)

		// Dismissing closes both reports; the queue is empty, the author
		// hears nothing, the audit log has it.
		mustStatus(t, mod.post(modURL("/moderation/posts/%d/dismiss", f.answerID), url.Values{"from": {"queue"}}), http.StatusSeeOther)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM reports WHERE status = 'dismissed' AND resolved_by IS NOT NULL"); n != 2 {
			t.Errorf("%d reports dismissed, want 2", n)
		}
		if !strings.Contains(mod.get("/moderation").Body, "No open reports") {
			t.Error("the queue is not empty after dismissing")
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM audit_log WHERE action = 'moderation.dismiss'"); n != 1 {
			t.Errorf("%d audit entries for the dismissal", n)
		}
		noWrite(t, ts, func() {
			checkErrorPage(t, mod.post(modURL("/moderation/posts/%d/dismiss", f.answerID), nil), http.StatusConflict)
		})
		// The history now shows the dismissed reports.
		mustStatus(t, report(f.asker, f.answer2ID-0, "spam"), http.StatusForbidden) // asha's own answer
	})
}

// TestModerationActions walks the actions and their effect on pages and
// lists, each audited with its reason and notified to the author.
func TestModerationActions(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		mod := ts.client()
		mod.signIn("mona", "moderator")
		mustStatus(t, report(f.asker, f.answerID, "spam"), http.StatusSeeOther)
		notes := func(handle, kind string) int64 {
			return countRows(t, ts, "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.handle = ? AND n.kind = ?", handle, kind)
		}
		answers := func(qid int64) int64 {
			return countRows(t, ts, "SELECT answer_count FROM questions WHERE id = ?", qid)
		}

		// A reason is required: 422, nothing written.
		noWrite(t, ts, func() {
			r := mod.post(modURL("/moderation/posts/%d/hide", f.answerID), url.Values{"reason": {"  "}})
			mustStatus(t, r, http.StatusUnprocessableEntity)
			if !fieldInvalid(r.Body, "reason") {
				t.Error("missing reason not marked on the form")
			}
		})
		// Hide: the answer leaves the page, the count drops, the report closes.
		mustStatus(t, mod.post(modURL("/moderation/posts/%d/hide", f.answerID), url.Values{"reason": {"Advert for a repair shop"}}), http.StatusSeeOther)
		if strings.Contains(f.visitor.get(modURL("/q/%d", f.qID)).Body, "Clean the rollers.") {
			t.Error("the hidden answer is still on the question page")
		}
		if n := answers(f.qID); n != 0 {
			t.Errorf("answer count %d after hiding", n)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM reports WHERE status = 'actioned' AND resolution = 'hide'"); n != 1 {
			t.Errorf("%d reports closed by the hide", n)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM audit_log WHERE action = 'moderation.hide' AND detail LIKE '%Advert for a repair shop%'"); n != 1 {
			t.Errorf("hide audit entries: %d", n)
		}
		if notes("omar", "moderation_hidden") != 1 {
			t.Error("the author was not told of the hide")
		}
		if !strings.Contains(f.other.get("/notifications").Body, "Advert for a repair shop") {
			t.Error("the notification does not show the reason")
		}
		noWrite(t, ts, func() {
			checkErrorPage(t, mod.post(modURL("/moderation/posts/%d/hide", f.answerID), url.Values{"reason": {"again"}}), http.StatusConflict)
		})
		// Unhide brings it back.
		mustStatus(t, mod.post(modURL("/moderation/posts/%d/unhide", f.answerID), nil), http.StatusSeeOther)
		if !strings.Contains(f.visitor.get(modURL("/q/%d", f.qID)).Body, "Clean the rollers.") || answers(f.qID) != 1 {
			t.Error("unhide did not bring the answer back")
		}

		// Edit keeps a revision.
		mustStatus(t, mod.post(modURL("/moderation/posts/%d/edit", f.answerID), url.Values{"body": {"Clean the rollers with a dry cloth."}, "reason": {"Removed a link"}}), http.StatusSeeOther)
		if n := countRows(t, ts, "SELECT COUNT(*) FROM post_revisions WHERE post_id = ?", f.answerID); n != 1 {
			t.Errorf("%d revisions after a moderator's edit", n)
		}
		if notes("omar", "moderation_edited") != 1 {
			t.Error("the author was not told of the edit")
		}

		// Lock: no new answers (page says so, POST refused), no edits by
		// the author; unlock lifts it.
		mustStatus(t, mod.post(modURL("/moderation/questions/%d/lock", f.qID), url.Values{"reason": {"Heated thread"}}), http.StatusSeeOther)
		if !strings.Contains(f.other.get(modURL("/q/%d", f.qID)).Body, "locked by a moderator") {
			t.Error("the locked question does not say so")
		}
		noWrite(t, ts, func() {
			checkErrorPage(t, f.other.post(modURL("/q/%d/answers", f.qID), url.Values{"body": {"One more answer after the lock."}}), http.StatusForbidden)
			checkErrorPage(t, f.asker.post(modURL("/posts/%d/edit", f.qPostID), url.Values{"title": {"Printer jams on every second page"}, "body": {"Edited."}, "tags": {"jam"}}), http.StatusForbidden)
		})
		mustStatus(t, mod.post(modURL("/moderation/questions/%d/unlock", f.qID), nil), http.StatusSeeOther)
		mustAnswer(t, f.other, f.qID, "Also check the paper tray guides.")

		// Move to another board.
		mustStatus(t, mod.post("/admin/boards", url.Values{"name": {"x"}}), http.StatusForbidden)
		mustStatus(t, f.admin.post("/admin/boards", url.Values{"name": {"Scanners"}, "slug": {"scanners"}, "visibility": {"public"}}), http.StatusSeeOther)
		noWrite(t, ts, func() {
			mustStatus(t, mod.post(modURL("/moderation/questions/%d/move", f.qID), url.Values{"board": {"nowhere"}, "reason": {"x"}}), http.StatusUnprocessableEntity)
			mustStatus(t, mod.post(modURL("/moderation/questions/%d/move", f.qID), url.Values{"board": {f.board}, "reason": {"x"}}), http.StatusUnprocessableEntity)
		})
		mustStatus(t, mod.post(modURL("/moderation/questions/%d/move", f.qID), url.Values{"board": {"scanners"}, "reason": {"Wrong board"}}), http.StatusSeeOther)
		if !strings.Contains(f.visitor.get("/b/scanners").Body, "Printer jams on every second page") || strings.Contains(f.visitor.get("/b/printers").Body, "Printer jams on every second page") {
			t.Error("the moved question is not listed on its new board only")
		}
		if countRows(t, ts, "SELECT question_count FROM boards WHERE slug = 'scanners'") != 1 {
			t.Error("the new board's count is wrong")
		}

		// Warn: a record and a notification.
		mustStatus(t, mod.post(modURL("/moderation/posts/%d/warn", f.answerID), url.Values{"reason": {"Be kind"}}), http.StatusSeeOther)
		if notes("omar", "moderation_warned") != 1 || countRows(t, ts, "SELECT COUNT(*) FROM moderation_actions WHERE action = 'warn' AND reason = 'Be kind'") != 1 {
			t.Error("the warning is not recorded and notified")
		}
		if !strings.Contains(mod.get(modURL("/moderation/posts/%d", f.answerID)).Body, "Be kind") {
			t.Error("the author's history does not show the warning")
		}

		// Suspend: the author can't post.
		noWrite(t, ts, func() {
			mustStatus(t, mod.post(modURL("/moderation/posts/%d/suspend", f.answerID), url.Values{"days": {"0"}, "reason": {"x"}}), http.StatusUnprocessableEntity)
		})
		mustStatus(t, mod.post(modURL("/moderation/posts/%d/suspend", f.answerID), url.Values{"days": {"3"}, "reason": {"Repeated adverts"}}), http.StatusSeeOther)
		omar := ts.client()
		if r := omar.post("/dev/signin", url.Values{"handle": {"omar"}}); r.Status < 400 {
			t.Errorf("a suspended member signed in: %d", r.Status)
		}
		noWrite(t, ts, func() {
			r := f.other.post(modURL("/q/%d/answers", f.q2ID), url.Values{"body": {"An answer while suspended."}})
			if r.Status < 400 {
				t.Errorf("a suspended member's old session posted: %d", r.Status)
			}
		})
		if notes("omar", "moderation_suspended") != 1 {
			t.Error("the suspension was not notified")
		}

		// Ban: permanent.
		mustStatus(t, mod.post(modURL("/moderation/posts/%d/ban", f.answer2ID), url.Values{"reason": {"Fraud"}}), http.StatusSeeOther)
		if countRows(t, ts, "SELECT COUNT(*) FROM users WHERE handle = 'asha' AND suspended_until > '9000-01-01'") != 1 {
			t.Error("the ban is not permanent")
		}
		noWrite(t, ts, func() {
			if r := ts.client().post("/dev/signin", url.Values{"handle": {"asha"}}); r.Status < 400 {
				t.Errorf("a banned member signed in: %d", r.Status)
			}
			if r := f.asker.post("/ask", askForm("A question after the ban", "Body.", "", f.board)); r.Status < 400 {
				t.Errorf("a banned member asked: %d", r.Status)
			}
		})
		if countRows(t, ts, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'moderation.%'") != 9 {
			t.Errorf("audit entries: %d, want 9", countRows(t, ts, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'moderation.%'"))
		}
	})
}

// TestModerationPermissions: every moderation route refuses visitors (401)
// and every other role (403) without writing; a moderator may not act on
// the staff who oversee them.
func TestModerationPermissions(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		mustStatus(t, report(f.asker, f.answerID, "spam"), http.StatusSeeOther)
		var routes []string
		for _, rt := range ts.App.routeList() {
			if strings.HasPrefix(rt.Path, "/moderation") {
				routes = append(routes, rt.Method+" "+rt.Path)
			}
		}
		if len(routes) < 13 {
			t.Fatalf("only %d moderation routes", len(routes))
		}
		forms := validForms(f)
		clients := map[string]*client{"visitor": ts.client()}
		for _, role := range []string{"member", "expert", "employee", "product"} {
			c := ts.client()
			if role == "member" {
				c.signIn("mila")
			} else {
				c.signIn("u"+role, role)
			}
			clients[role] = c
		}
		for who, c := range clients {
			want := http.StatusForbidden
			if who == "visitor" {
				want = http.StatusUnauthorized
			}
			for _, rt := range routes {
				method, route, _ := strings.Cut(rt, " ")
				path := strings.Replace(route, ":id", fmt.Sprint(f.answerID), 1)
				if strings.Contains(route, "/questions/") {
					path = strings.Replace(route, ":id", fmt.Sprint(f.qID), 1)
				}
				noWrite(t, ts, func() {
					var r response
					if method == http.MethodGet {
						r = c.get(path)
					} else {
						form := url.Values{}
						for k, v := range forms[route] {
							form[k] = v
						}
						r = c.post(path, form)
					}
					if r.Status != want {
						t.Errorf("%s %s %s: %d, want %d", who, method, path, r.Status, want)
					}
				})
			}
		}
		// A moderator can't act on an admin's post, an admin can act on a moderator's.
		mod := ts.client()
		mod.signIn("mona", "moderator")
		adminPost := mustAnswer(t, f.admin, f.q2ID, "An answer by the admin herself.")
		waitTagCounts(t, ts)
		noWrite(t, ts, func() {
			for _, a := range []string{"hide", "warn", "suspend", "ban"} {
				checkErrorPage(t, mod.post(modURL("/moderation/posts/%d/%s", adminPost, a), url.Values{"reason": {"x"}, "days": {"2"}}), http.StatusForbidden)
			}
		})
		modPost := mustAnswer(t, mod, f.q2ID, "An answer by the moderator herself.")
		mustStatus(t, f.admin.post(modURL("/moderation/posts/%d/warn", modPost), url.Values{"reason": {"Tone"}}), http.StatusSeeOther)
	})
}

// TestModerationConcurrentHide: two moderators hide the same post at once;
// it is hidden once, its points reversed once.
func TestModerationConcurrentHide(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		a, b := ts.client(), ts.client()
		a.signIn("mona", "moderator")
		b.signIn("mick", "moderator")
		before := countRows(t, ts, "SELECT COUNT(*) FROM point_events")
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i, c := range []*client{a, b} {
			wg.Add(1)
			go func(i int, c *client) {
				defer wg.Done()
				codes[i] = c.post(modURL("/moderation/posts/%d/hide", f.answerID), url.Values{"reason": {"Spam"}}).Status
			}(i, c)
		}
		wg.Wait()
		if !(codes[0] == http.StatusSeeOther && codes[1] == http.StatusConflict) && !(codes[1] == http.StatusSeeOther && codes[0] == http.StatusConflict) {
			t.Errorf("statuses %v, want one 303 and one 409", codes)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM moderation_actions WHERE action = 'hide'"); n != 1 {
			t.Errorf("%d hide actions", n)
		}
		if n := countRows(t, ts, "SELECT answer_count FROM questions WHERE id = ?", f.qID); n != 0 {
			t.Errorf("answer count %d", n)
		}
		reversals := countRows(t, ts, "SELECT COUNT(*) FROM point_events") - before
		if reversals > 1 {
			t.Errorf("%d ledger rows for one hidden answer", reversals)
		}
	})
}

// TestModerationMerge: merging a duplicate moves its answers with their
// kudos and points, carries its solution over, redirects the duplicate to
// the target, and leaves the counters and the ledger right.
func TestModerationMerge(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		db := ts.App.DB
		// The duplicate: omar's q2 with asha's answer; omar accepts it and a
		// veteran gives it kudos.
		mustStatus(t, f.other.post(modURL("/q/%d/accept", f.q2ID), url.Values{"answer_id": {fmt.Sprint(f.answer2ID)}}), http.StatusSeeOther)
		vet := ts.client()
		vet.signIn("vera")
		makeVeteran(t, db, "vera")
		mustStatus(t, vet.post(modURL("/posts/%d/kudos", f.answer2ID), url.Values{"give": {"1"}}), http.StatusSeeOther)
		mila := ts.client()
		mila.signIn("mila")
		target := mustAsk(t, mila, f.board, "Scanner lid will not shut", "It stays open.", "lid")
		waitTagCounts(t, ts)
		ashaBefore, omarBefore := userPoints(t, db, "asha"), userPoints(t, db, "omar")
		kudosBefore := countRows(t, ts, "SELECT COUNT(*) FROM kudos WHERE post_id = ? AND withdrawn_at IS NULL", f.answer2ID)
		printersBefore := countRows(t, ts, "SELECT question_count FROM boards WHERE slug = ?", f.board)

		mod := ts.client()
		mod.signIn("mona", "moderator")
		noWrite(t, ts, func() {
			mustStatus(t, mod.post(modURL("/moderation/questions/%d/merge", f.q2ID), url.Values{"target": {fmt.Sprint(f.q2ID)}, "reason": {"dup"}}), http.StatusUnprocessableEntity)
			mustStatus(t, mod.post(modURL("/moderation/questions/%d/merge", f.q2ID), url.Values{"target": {"424242"}, "reason": {"dup"}}), http.StatusUnprocessableEntity)
			checkErrorPage(t, mod.post(modURL("/moderation/questions/%d/merge", 424242), url.Values{"target": {fmt.Sprint(f.qID)}, "reason": {"dup"}}), http.StatusNotFound)
		})
		mustStatus(t, mod.post(modURL("/moderation/questions/%d/merge", f.q2ID), url.Values{"target": {modURL("/q/%d", target)}, "reason": {"Same problem"}}), http.StatusSeeOther)
		waitTagCounts(t, ts)

		r := f.visitor.get(modURL("/q/%d", f.q2ID))
		if r.Status != http.StatusMovedPermanently || r.Location != modURL("/q/%d", target) {
			t.Errorf("the duplicate answers %d → %q", r.Status, r.Location)
		}
		page := f.visitor.get(modURL("/q/%d", target))
		if !strings.Contains(page.Body, "Check the hinge.") {
			t.Error("the target does not show both answers")
		}
		if n := countRows(t, ts, "SELECT answer_count FROM questions WHERE id = ?", target); n != 1 {
			t.Errorf("target answer count %d, want 1", n)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM questions WHERE id = ? AND accepted_answer_id = ?", target, f.answer2ID); n != 1 {
			t.Error("the duplicate's solution is not the target's")
		}
		if n := countRows(t, ts, "SELECT question_count FROM boards WHERE slug = ?", f.board); n != printersBefore-1 {
			t.Errorf("board count %d, want %d", n, printersBefore-1)
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM question_tags qt JOIN tags g ON g.id = qt.tag_id WHERE qt.question_id = ? AND g.name = 'scanner'", target); n != 1 {
			t.Error("the duplicate's tag did not join the target")
		}
		if n := countRows(t, ts, "SELECT COUNT(*) FROM kudos WHERE post_id = ? AND withdrawn_at IS NULL", f.answer2ID); n != kudosBefore {
			t.Errorf("kudos %d, want %d", n, kudosBefore)
		}
		// The answerer keeps the acceptance and the kudos; the duplicate's
		// asker loses only the points for accepting (the moderator, not
		// they, chose the target's solution).
		if got := userPoints(t, db, "asha"); got != ashaBefore {
			t.Errorf("the answerer's points %d, want %d", got, ashaBefore)
		}
		if got := userPoints(t, db, "omar"); got > omarBefore {
			t.Errorf("the duplicate's asker gained points: %d > %d", got, omarBefore)
		}
		rep, err := models.RebuildPoints(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Drift) != 0 {
			t.Errorf("points drifted from the ledger after the merge: %+v", rep.Drift)
		}
		if countRows(t, ts, "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.handle = 'omar' AND n.kind = 'moderation_merged'") != 1 {
			t.Error("the duplicate's asker was not told")
		}
		noWrite(t, ts, func() {
			checkErrorPage(t, mod.post(modURL("/moderation/questions/%d/merge", f.q2ID), url.Values{"target": {fmt.Sprint(target)}, "reason": {"again"}}), http.StatusConflict)
		})
	})
}
