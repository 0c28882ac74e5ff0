package app

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var postAnchor = regexp.MustCompile(`#post-(\d+)`)

// TestQuestionJourney walks the Q&A core over HTTP: an admin makes a board,
// a member asks, another answers, the asker accepts and un-accepts, edits
// keep revisions, search finds it, deletes hide it.
func TestQuestionJourney(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		admin := ts.client()
		admin.signIn("ada", "admin")
		r := admin.post("/admin/boards", url.Values{"name": {"LaserJet printers"}, "slug": {"laserjet"}, "visibility": {"public"}, "description": {"Home and office laser printers"}})
		mustStatus(t, r, http.StatusSeeOther)

		asker := ts.client()
		asker.signIn("asha")
		r = asker.post("/ask", url.Values{"board": {"laserjet"}, "title": {"Printer shows error E-301 after firmware 4.2.1"},
			"body": {"Since the update it blinks **orange**.\n\n```\nE-301 paper path\n```"}, "tags": {"firmware, errors"}})
		mustStatus(t, r, http.StatusSeeOther)
		qpath := r.Location
		if !strings.HasPrefix(qpath, "/q/") {
			t.Fatalf("redirect to %q", qpath)
		}

		helper := ts.client()
		helper.signIn("hari")
		r = helper.post(qpath+"/answers", url.Values{"body": {"Open the rear door and remove the jammed sheet."}})
		mustStatus(t, r, http.StatusSeeOther)
		answerID := postAnchor.FindStringSubmatch(r.Location)[1]

		// Only the asker may accept.
		mustStatus(t, helper.post(qpath+"/accept", url.Values{"answer_id": {answerID}}), http.StatusForbidden)
		mustStatus(t, asker.post(qpath+"/accept", url.Values{"answer_id": {answerID}}), http.StatusSeeOther)

		page := ts.client().get(qpath)
		mustStatus(t, page, http.StatusOK)
		for _, want := range []string{"Solved", "Solution", "rear door", `<strong>orange</strong>`, "E-301 paper path", `datetime="`} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("question page lacks %q", want)
			}
		}
		if strings.Index(page.Body, "rear door") > strings.Index(page.Body, `id="answers-h"`) {
			t.Error("the solution is not shown before the other answers")
		}
		for _, path := range []string{"/", "/solved", "/b/laserjet", "/tags/firmware"} {
			if body := ts.client().get(path).Body; !strings.Contains(body, "E-301 after firmware") {
				t.Errorf("%s does not list the question", path)
			}
		}
		if body := ts.client().get("/unanswered").Body; strings.Contains(body, "E-301 after firmware") {
			t.Error("/unanswered lists an answered question")
		}
		if body := ts.client().get("/search?q=e-301").Body; !strings.Contains(body, "E-301 after firmware") {
			t.Error("search for e-301 misses the question")
		}

		mustStatus(t, asker.post(qpath+"/accept", url.Values{"answer_id": {""}}), http.StatusSeeOther)
		if body := ts.client().get("/solved").Body; strings.Contains(body, "E-301 after firmware") {
			t.Error("un-accepted question still listed as solved")
		}

		// Edit: only the author; the old text is kept as a revision.
		mustStatus(t, asker.post("/posts/"+answerID+"/edit", url.Values{"body": {"hijack"}}), http.StatusForbidden)
		r = helper.post("/posts/"+answerID+"/edit", url.Values{"body": {"Open the rear door, then restart the printer."}})
		mustStatus(t, r, http.StatusSeeOther)
		rev := ts.client().get("/posts/" + answerID + "/revisions")
		mustStatus(t, rev, http.StatusOK)
		if !strings.Contains(rev.Body, "remove the jammed sheet") || !strings.Contains(rev.Body, "then restart the printer") {
			t.Error("revision history lacks the old or new text")
		}

		// Soft delete the answer; it disappears and the count drops.
		mustStatus(t, helper.post("/posts/"+answerID+"/delete", nil), http.StatusSeeOther)
		if body := ts.client().get(qpath).Body; strings.Contains(body, "restart the printer") {
			t.Error("deleted answer still shown")
		}
		if body := ts.client().get("/unanswered").Body; !strings.Contains(body, "E-301 after firmware") {
			t.Error("question with its only answer deleted is not unanswered again")
		}
	})
}
