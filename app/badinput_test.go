package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crowdcare/crowdcare/models"
)

// snapshotQueries are figures that change whenever a request writes
// anything: row counts catch inserts and deletes, the sums catch updates
// (soft deletes, accepts, edits, settings).
var snapshotQueries = []struct{ name, sql string }{
	{"questions", "SELECT COUNT(*) FROM questions"},
	{"posts", "SELECT COUNT(*) FROM posts"},
	{"tags", "SELECT COUNT(*) FROM tags"},
	{"question_tags", "SELECT COUNT(*) FROM question_tags"},
	{"outbox", "SELECT COUNT(*) FROM outbox"},
	{"post_revisions", "SELECT COUNT(*) FROM post_revisions"},
	{"boards", "SELECT COUNT(*) FROM boards"},
	{"users", "SELECT COUNT(*) FROM users"},
	{"user_roles", "SELECT COUNT(*) FROM user_roles"},
	{"sessions", "SELECT COUNT(*) FROM sessions"},
	{"user_badges", "SELECT COUNT(*) FROM user_badges"},
	{"live questions", "SELECT COUNT(*) FROM questions WHERE deleted_at IS NULL"},
	{"live posts", "SELECT COUNT(*) FROM posts WHERE deleted_at IS NULL"},
	{"accepted", "SELECT COUNT(*) FROM questions WHERE accepted_answer_id IS NOT NULL"},
	{"accepted ids", "SELECT CAST(COALESCE(SUM(accepted_answer_id), 0) AS BIGINT) FROM questions"},
	{"answer counts", "SELECT CAST(COALESCE(SUM(answer_count), 0) AS BIGINT) FROM questions"},
	{"title text", "SELECT CAST(COALESCE(SUM(LENGTH(title)), 0) AS BIGINT) FROM questions"},
	{"post text", "SELECT CAST(COALESCE(SUM(LENGTH(body_md) + revision_count), 0) AS BIGINT) FROM posts"},
	{"board settings", "SELECT CAST(COALESCE(SUM(LENGTH(slug) + LENGTH(name) + LENGTH(description) + LENGTH(visibility) + position), 0) AS BIGINT) FROM boards"},
	{"user settings", "SELECT CAST(COALESCE(SUM(LENGTH(display_name) + LENGTH(locale) + LENGTH(time_zone)), 0) AS BIGINT) FROM users"},
	{"point_events", "SELECT COUNT(*) FROM point_events"},
	{"audit_log", "SELECT COUNT(*) FROM audit_log"},
	{"notifications", "SELECT COUNT(*) FROM notifications"},
	{"expert_applications", "SELECT CAST(COALESCE(SUM(id + LENGTH(status) + LENGTH(decision_note)), 0) AS BIGINT) FROM expert_applications"},
	{"accepted guidelines", "SELECT COUNT(*) FROM expert_applications WHERE guidelines_accepted_at IS NOT NULL"},
	{"experts", "SELECT CAST(COALESCE(SUM(user_id + tier_id + LENGTH(status) + LENGTH(reason)), 0) AS BIGINT) FROM experts"},
	{"expert_boards", "SELECT CAST(COALESCE(SUM(user_id * 1000 + board_id), 0) AS BIGINT) FROM expert_boards"},
	{"verified posts", "SELECT CAST(COALESCE(SUM(verified_by), 0) AS BIGINT) FROM posts"},
	{"official posts", "SELECT COUNT(*) FROM posts WHERE official"},
	{"expert_tiers", "SELECT CAST(COALESCE(SUM(LENGTH(name) + LENGTH(description)), 0) AS BIGINT) FROM expert_tiers"},
	{"settings", "SELECT CAST(COALESCE(SUM(LENGTH(value)), 0) AS BIGINT) FROM settings"},
}

// snapshot is the value of every snapshot query at one moment.
type snapshot map[string]int64

func takeSnapshot(t *testing.T, ts *testServer) snapshot {
	t.Helper()
	s := snapshot{}
	for _, q := range snapshotQueries {
		var n int64
		if err := ts.App.DB.Raw(q.sql).Scan(&n).Error; err != nil {
			t.Fatalf("snapshot %s: %v", q.name, err)
		}
		s[q.name] = n
	}
	return s
}

// changes lists what differs between s and later.
func (s snapshot) changes(later snapshot) []string {
	var out []string
	for k, v := range s {
		if later[k] != v {
			out = append(out, fmt.Sprintf("%s %d→%d", k, v, later[k]))
		}
	}
	sort.Strings(out)
	return out
}

// noWrite runs f and fails the test if f changed anything in the database.
func noWrite(t *testing.T, ts *testServer, f func()) {
	t.Helper()
	before := takeSnapshot(t, ts)
	f()
	if ch := before.changes(takeSnapshot(t, ts)); len(ch) > 0 {
		t.Errorf("the request wrote to the database: %s", strings.Join(ch, ", "))
	}
}

// fieldInvalid reports whether the form control named name carries
// aria-invalid="true".
func fieldInvalid(body, name string) bool {
	re := regexp.MustCompile(`<(?:input|textarea|select)\b[^>]*\bname="` + regexp.QuoteMeta(name) + `"[^>]*>`)
	for _, tag := range re.FindAllString(body, -1) {
		if strings.Contains(tag, `aria-invalid="true"`) {
			return true
		}
	}
	return false
}

var fieldErrorText = regexp.MustCompile(`<p class="field-error"[^>]*>([^<]*)</p>`)

// fieldErrors returns the texts of every field error message on a page.
func fieldErrors(body string) []string {
	var out []string
	for _, m := range fieldErrorText.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

var h1Count = regexp.MustCompile(`<h1\b`)

// qaFixture is a small forum for bad-input tests: a public board, a staff
// board, two questions with an answer each and a deleted question.
type qaFixture struct {
	admin, asker, other, visitor *client
	board, staffBoard            string
	qID, qPostID, answerID       int64
	q2ID, answer2ID              int64
	deletedQID                   int64
}

func newQAFixture(t *testing.T, ts *testServer) *qaFixture {
	t.Helper()
	f := &qaFixture{admin: ts.client(), asker: ts.client(), other: ts.client(), visitor: ts.client(),
		board: "printers", staffBoard: "staff-room"}
	f.admin.signIn("ada", "admin")
	f.asker.signIn("asha")
	f.other.signIn("omar")
	mustStatus(t, f.admin.post("/admin/boards", url.Values{"name": {"Printers"}, "slug": {f.board}, "visibility": {"public"}}), http.StatusSeeOther)
	mustStatus(t, f.admin.post("/admin/boards", url.Values{"name": {"Staff room secrets"}, "slug": {f.staffBoard}, "visibility": {"staff"}}), http.StatusSeeOther)
	f.qID = mustAsk(t, f.asker, f.board, "Printer jams on every second page", "It jams.", "jam, paper")
	f.answerID = mustAnswer(t, f.other, f.qID, "Clean the rollers.")
	f.q2ID = mustAsk(t, f.other, f.board, "Scanner lid does not close", "It is stuck.", "scanner")
	f.answer2ID = mustAnswer(t, f.asker, f.q2ID, "Check the hinge.")
	f.deletedQID = mustAsk(t, f.asker, f.board, "Question that will be deleted", "Gone soon.", "")
	if err := ts.App.DB.Raw("SELECT id FROM posts WHERE question_id = ? AND kind = 'question'", f.qID).Scan(&f.qPostID).Error; err != nil || f.qPostID == 0 {
		t.Fatalf("question post id: %v", err)
	}
	var delPost int64
	ts.App.DB.Raw("SELECT id FROM posts WHERE question_id = ? AND kind = 'question'", f.deletedQID).Scan(&delPost)
	mustStatus(t, f.asker.post(fmt.Sprintf("/posts/%d/delete", delPost), nil), http.StatusSeeOther)
	// The jobs these posts started (badges, tag counts) finish now, not in
	// the middle of a test that checks nothing was written.
	waitTagCounts(t, ts)
	return f
}

// mustAsk posts a question over HTTP and returns its id.
func mustAsk(t *testing.T, c *client, board, title, body, tags string) int64 {
	t.Helper()
	r := c.post("/ask", url.Values{"board": {board}, "title": {title}, "body": {body}, "tags": {tags}})
	mustStatus(t, r, http.StatusSeeOther)
	id, err := strconv.ParseInt(strings.TrimPrefix(r.Location, "/q/"), 10, 64)
	if err != nil {
		t.Fatalf("ask redirected to %q", r.Location)
	}
	return id
}

// mustAnswer posts an answer over HTTP and returns its post id.
func mustAnswer(t *testing.T, c *client, questionID int64, body string) int64 {
	t.Helper()
	r := c.post(fmt.Sprintf("/q/%d/answers", questionID), url.Values{"body": {body}})
	mustStatus(t, r, http.StatusSeeOther)
	m := postAnchor.FindStringSubmatch(r.Location)
	if m == nil {
		t.Fatalf("answer redirected to %q", r.Location)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// formCase is one invalid form submission: it must get status, re-render
// the form with the message next to field, and write nothing.
type formCase struct {
	name    string
	path    string
	form    url.Values
	status  int
	field   string // "" when the answer is an error page, not a form
	message string // visible text the page must hold
}

func askForm(title, body, tags, board string) url.Values {
	return url.Values{"board": {board}, "title": {title}, "body": {body}, "tags": {tags}}
}

// TestBadFormInput submits every kind of invalid form: each gets a 422 page
// with the form, its values and a field error, and nothing is written.
func TestBadFormInput(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		okTitle, okBody := "Printer shows error E-301", "Since the update it blinks."
		cases := []formCase{
			{"title of 4 characters", "/ask", askForm("abcd", okBody, "", f.board), 422, "title", "At least 5 characters."},
			{"title of 201 characters", "/ask", askForm(strings.Repeat("t", 201), okBody, "", f.board), 422, "title", "At most 200 characters."},
			{"title of 201 Devanagari characters", "/ask", askForm(strings.Repeat("ह", 201), okBody, "", f.board), 422, "title", "At most 200 characters."},
			{"empty title", "/ask", askForm("   ", okBody, "", f.board), 422, "title", "This is required."},
			{"invalid UTF-8 in title", "/ask", askForm("Printer \xff\xfe broken", okBody, "", f.board), 422, "title", "This value is not valid."},
			{"body of 30,001 characters", "/ask", askForm(okTitle, strings.Repeat("b", 30001), "", f.board), 422, "body", "At most 30000 characters."},
			{"whitespace-only body", "/ask", askForm(okTitle, " \n\t\r\n  ", "", f.board), 422, "body", "This is required."},
			{"invalid UTF-8 in body", "/ask", askForm(okTitle, "Broken \xc3\x28 bytes", "", f.board), 422, "body", "This value is not valid."},
			{"six tags", "/ask", askForm(okTitle, okBody, "a1, b2, c3, d4, e5, f6", f.board), 422, "tags", "At most 5 tags."},
			{"invalid tag", "/ask", askForm(okTitle, okBody, "wifi, <script>alert(1)</script>", f.board), 422, "tags", "is not a valid tag"},
			{"tag of 41 characters", "/ask", askForm(okTitle, okBody, strings.Repeat("t", 41), f.board), 422, "tags", "is not a valid tag"},
			{"invalid UTF-8 in a tag", "/ask", askForm(okTitle, okBody, "wifi, bad\xff", f.board), 422, "tags", "is not a valid tag"},
			{"no board", "/ask", askForm(okTitle, okBody, "", ""), 422, "board", "This is required."},
			{"unknown board", "/ask", askForm(okTitle, okBody, "", "no-such-board"), 422, "board", "Choose one of the boards in the list."},
			{"staff board for a member", "/ask", askForm(okTitle, okBody, "", f.staffBoard), 422, "board", "Choose one of the boards in the list."},
			{"invalid UTF-8 board", "/ask", askForm(okTitle, okBody, "", "print\xffers"), 422, "board", "Choose one of the boards in the list."},
			{"empty answer", fmt.Sprintf("/q/%d/answers", f.qID), url.Values{"body": {"  "}}, 422, "body", "This is required."},
			{"answer of one character", fmt.Sprintf("/q/%d/answers", f.qID), url.Values{"body": {"k"}}, 422, "body", "At least 2 characters."},
			{"answer of 30,001 characters", fmt.Sprintf("/q/%d/answers", f.qID), url.Values{"body": {strings.Repeat("é", 30001)}}, 422, "body", "At most 30000 characters."},
			{"answer with invalid UTF-8", fmt.Sprintf("/q/%d/answers", f.qID), url.Values{"body": {"ok \xff"}}, 422, "body", "This value is not valid."},
			{"edit with a short title", fmt.Sprintf("/posts/%d/edit", f.qPostID), url.Values{"title": {"abc"}, "body": {okBody}}, 422, "title", "At least 5 characters."},
			{"edit with an empty body", fmt.Sprintf("/posts/%d/edit", f.qPostID), url.Values{"title": {okTitle}, "body": {""}}, 422, "body", "This is required."},
			{"edit with six tags", fmt.Sprintf("/posts/%d/edit", f.qPostID), url.Values{"title": {okTitle}, "body": {okBody}, "tags": {"a b c d e f"}}, 422, "tags", "At most 5 tags."},
			{"settings: empty display name", "/settings", url.Values{"display_name": {" "}}, 422, "display_name", "This is required."},
			{"settings: display name of 81 characters", "/settings", url.Values{"display_name": {strings.Repeat("n", 81)}}, 422, "display_name", "At most 80 characters."},
			{"settings: invalid UTF-8 display name", "/settings", url.Values{"display_name": {"Asha \xff"}}, 422, "display_name", "This value is not valid."},
			{"settings: unknown time zone", "/settings", url.Values{"display_name": {"Asha"}, "time_zone": {"Mars/Olympus"}}, 422, "time_zone", "This value is not valid."},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var r response
				noWrite(t, ts, func() { r = f.asker.post(tc.path, tc.form) })
				checkFormError(t, r, tc)
			})
		}
	})
}

func checkFormError(t *testing.T, r response, tc formCase) {
	t.Helper()
	mustStatus(t, r, tc.status)
	if !strings.Contains(r.Body, "<form") {
		t.Error("the form is not shown again")
	}
	if !strings.Contains(r.Body, "Please correct the fields marked below.") && !strings.Contains(r.Body, `role="alert"`) {
		t.Error("no summary of the errors")
	}
	if !fieldInvalid(r.Body, tc.field) {
		t.Errorf("field %q is not marked aria-invalid", tc.field)
	}
	errs := fieldErrors(r.Body)
	found := false
	for _, e := range errs {
		found = found || strings.Contains(strings.ReplaceAll(e, "&#34;", `"`), tc.message) || strings.Contains(e, tc.message)
	}
	if !found {
		t.Errorf("no field error %q; field errors: %q", tc.message, errs)
	}
	if strings.Contains(r.Body, "<script>alert(1)") {
		t.Error("submitted markup echoed unescaped")
	}
	if n := len(h1Count.FindAllString(r.Body, -1)); n != 1 {
		t.Errorf("%d <h1> on the page", n)
	}
}

// TestBadInputErrorPages sends requests no form can fix: each gets a clear
// error page with the right status, and nothing is written.
func TestBadInputErrorPages(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		q := func(id int64, rest string) string { return fmt.Sprintf("/q/%d%s", id, rest) }
		p := func(id int64, rest string) string { return fmt.Sprintf("/posts/%d%s", id, rest) }
		wrongContent := base64.RawURLEncoding.EncodeToString([]byte("hello world"))
		cases := []struct {
			name   string
			who    *client
			method string
			path   string
			form   url.Values
			status int
		}{
			{"unknown question", f.visitor, "GET", "/q/999999", nil, 404},
			{"non-numeric question id", f.visitor, "GET", "/q/abc", nil, 404},
			{"question id zero", f.visitor, "GET", "/q/0", nil, 404},
			{"negative question id", f.visitor, "GET", "/q/-3", nil, 404},
			{"question id past int64", f.visitor, "GET", "/q/99999999999999999999", nil, 404},
			{"deleted question", f.visitor, "GET", q(f.deletedQID, ""), nil, 404},
			{"unknown board", f.visitor, "GET", "/b/no-such-board", nil, 404},
			{"staff board for a member", f.asker, "GET", "/b/" + f.staffBoard, nil, 404},
			{"invalid UTF-8 board", f.visitor, "GET", "/b/%FF%FE", nil, 404},
			{"unknown tag", f.visitor, "GET", "/tags/no-such-tag", nil, 404},
			{"NUL in a tag", f.visitor, "GET", "/tags/jam%00", nil, 404},
			{"NUL in a board", f.visitor, "GET", "/b/printers%00", nil, 404},
			{"tag of 200 characters", f.visitor, "GET", "/tags/" + strings.Repeat("t", 200), nil, 404},
			{"invalid UTF-8 tag", f.visitor, "GET", "/tags/%FF", nil, 404},
			{"revisions of an unknown post", f.visitor, "GET", "/posts/999999/revisions", nil, 404},
			{"revisions of a non-numeric post", f.visitor, "GET", "/posts/x/revisions", nil, 404},
			{"edit form of an unknown post", f.asker, "GET", "/posts/999999/edit", nil, 404},
			{"garbage cursor", f.visitor, "GET", "/?cursor=garbage!!", nil, 400},
			{"base64 cursor with wrong content", f.visitor, "GET", "/?cursor=" + wrongContent, nil, 400},
			{"cursor with a negative id", f.visitor, "GET", "/?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("1700000000000000:-4")), nil, 400},
			{"cursor past the year 9999", f.visitor, "GET", "/?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("9223372036854775807:1")), nil, 400},
			{"cursor past int64", f.visitor, "GET", "/?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("99999999999999999999:1")), nil, 400},
			{"oversized cursor", f.visitor, "GET", "/?cursor=" + strings.Repeat("QUFB", 100), nil, 400},
			{"garbage cursor on unanswered", f.visitor, "GET", "/unanswered?cursor=%00%01", nil, 400},
			{"garbage cursor on a board", f.visitor, "GET", "/b/" + f.board + "?cursor=zz", nil, 400},
			{"garbage cursor on a tag", f.visitor, "GET", "/tags/jam?cursor=" + wrongContent, nil, 400},
			{"search of 201 characters", f.visitor, "GET", "/search?q=" + strings.Repeat("a", 201), nil, 400},
			{"search page 0", f.visitor, "GET", "/search?q=printer&page=0", nil, 400},
			{"search page 9999", f.visitor, "GET", "/search?q=printer&page=9999", nil, 400},
			{"search page not a number", f.visitor, "GET", "/search?q=printer&page=two", nil, 400},
			{"search with invalid UTF-8", f.visitor, "GET", "/search?q=%FF%FEprinter", nil, 400},
			{"unknown list kind", f.visitor, "GET", "/b/" + f.board + "?list=bogus", nil, 400},
			{"visitor asks", f.visitor, "POST", "/ask", askForm("A perfectly good title", "Body.", "", f.board), 401},
			{"visitor answers", f.visitor, "POST", q(f.qID, "/answers"), url.Values{"body": {"An answer."}}, 401},
			{"answer to a deleted question", f.other, "POST", q(f.deletedQID, "/answers"), url.Values{"body": {"Too late."}}, 404},
			{"answer to an unknown question", f.other, "POST", "/q/999999/answers", url.Values{"body": {"Nobody asked."}}, 404},
			{"answer to a non-numeric question", f.other, "POST", "/q/abc/answers", url.Values{"body": {"Nobody asked."}}, 404},
			{"accept an answer of another question", f.asker, "POST", q(f.qID, "/accept"), url.Values{"answer_id": {strconv.FormatInt(f.answer2ID, 10)}}, 404},
			{"accept the question post itself", f.asker, "POST", q(f.qID, "/accept"), url.Values{"answer_id": {strconv.FormatInt(f.qPostID, 10)}}, 404},
			{"accept with a non-numeric answer id", f.asker, "POST", q(f.qID, "/accept"), url.Values{"answer_id": {"first"}}, 400},
			{"accept on someone else's question", f.other, "POST", q(f.qID, "/accept"), url.Values{"answer_id": {strconv.FormatInt(f.answerID, 10)}}, 403},
			{"accept on a deleted question", f.asker, "POST", q(f.deletedQID, "/accept"), url.Values{"answer_id": {""}}, 404},
			{"edit someone else's post", f.other, "POST", p(f.qPostID, "/edit"), url.Values{"title": {"Hijacked title here"}, "body": {"hijack"}}, 403},
			{"edit form of someone else's post", f.other, "GET", p(f.qPostID, "/edit"), nil, 403},
			{"delete someone else's post", f.other, "POST", p(f.qPostID, "/delete"), nil, 403},
			{"edit an unknown post", f.asker, "POST", "/posts/999999/edit", url.Values{"body": {"x y"}}, 404},
			{"unknown language", f.visitor, "POST", "/locale", url.Values{"lang": {"xx"}}, 400},
			{"member opens admin", f.asker, "GET", "/admin/boards", nil, 403},
			{"member creates a board", f.asker, "POST", "/admin/boards", url.Values{"name": {"Mine"}, "slug": {"mine"}, "visibility": {"public"}}, 403},
			{"visitor creates a board", f.visitor, "POST", "/admin/boards", url.Values{"name": {"Mine"}, "slug": {"mine"}, "visibility": {"public"}}, 401},
			{"member edits a board", f.asker, "POST", "/admin/boards/1", url.Values{"name": {"Mine"}, "slug": {"mine"}, "visibility": {"public"}}, 403},
			{"admin edits an unknown board", f.admin, "POST", "/admin/boards/999999", url.Values{"name": {"Mine"}, "slug": {"mine"}, "visibility": {"public"}}, 404},
			{"admin opens an unknown board", f.admin, "GET", "/admin/boards/999999/edit", nil, 404},
			{"unknown page", f.visitor, "GET", "/no/such/page", nil, 404},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var r response
				noWrite(t, ts, func() {
					if tc.method == "POST" {
						r = tc.who.post(tc.path, tc.form)
					} else {
						r = tc.who.get(tc.path)
					}
				})
				checkErrorPage(t, r, tc.status)
			})
		}
	})
}

// checkErrorPage asserts a clear, complete error page with the status.
func checkErrorPage(t *testing.T, r response, status int) {
	t.Helper()
	mustStatus(t, r, status)
	if !strings.Contains(r.Body, `class="narrow errorpage"`) || !strings.Contains(r.Body, "</html>") {
		t.Errorf("not the error page:\n%.1000s", r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
}

// TestAdminBoardBadInput: invalid board forms are refused field by field.
func TestAdminBoardBadInput(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		admin := ts.client()
		admin.signIn("ada", "admin")
		mustStatus(t, admin.post("/admin/boards", url.Values{"name": {"Printers"}, "slug": {"printers"}, "visibility": {"public"}}), http.StatusSeeOther)
		var id int64
		ts.App.DB.Raw("SELECT id FROM boards WHERE slug = 'printers'").Scan(&id)
		board := func(slug, vis, pos string) url.Values {
			return url.Values{"name": {"Scanners"}, "slug": {slug}, "visibility": {vis}, "position": {pos}, "description": {"d"}}
		}
		cases := []formCase{
			{"slug with spaces", "/admin/boards", board("bad slug", "public", "1"), 422, "slug", "Use lower-case letters, digits and single dashes."},
			{"slug with a double dash", "/admin/boards", board("a--b", "public", "1"), 422, "slug", "Use lower-case letters, digits and single dashes."},
			{"slug of 61 characters", "/admin/boards", board(strings.Repeat("s", 61), "public", "1"), 422, "slug", "Use lower-case letters, digits and single dashes."},
			{"empty slug", "/admin/boards", board("", "public", "1"), 422, "slug", "This is required."},
			{"slug taken", "/admin/boards", board("printers", "public", "1"), 422, "slug", "Another board uses that address."},
			{"unknown visibility", "/admin/boards", board("scanners", "secret", "1"), 422, "visibility", "This value is not valid."},
			{"position not a number", "/admin/boards", board("scanners", "public", "first"), 422, "position", "This value is not valid."},
			{"position out of range", "/admin/boards", board("scanners", "public", "99999999999"), 422, "position", "This value is not valid."},
			{"name of 81 characters", "/admin/boards", url.Values{"name": {strings.Repeat("n", 81)}, "slug": {"scanners"}, "visibility": {"public"}}, 422, "name", "At most 80 characters."},
			{"invalid UTF-8 name", "/admin/boards", url.Values{"name": {"Scan\xffners"}, "slug": {"scanners"}, "visibility": {"public"}}, 422, "name", "This value is not valid."},
			{"update with a bad slug", fmt.Sprintf("/admin/boards/%d", id), board("Bad_Slug!", "public", "1"), 422, "slug", "Use lower-case letters, digits and single dashes."},
			{"update with a bad visibility", fmt.Sprintf("/admin/boards/%d", id), board("printers", "everyone", "1"), 422, "visibility", "This value is not valid."},
			{"update with a bad position", fmt.Sprintf("/admin/boards/%d", id), board("printers", "public", "1.5"), 422, "position", "This value is not valid."},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var r response
				noWrite(t, ts, func() { r = admin.post(tc.path, tc.form) })
				checkFormError(t, r, tc)
			})
		}
	})
}

// bigForm is a form-encoded body of about n bytes.
func bigForm(token string, n int) []byte {
	var b bytes.Buffer
	b.WriteString("csrf_token=" + url.QueryEscape(token) + "&board=printers&title=A+big+question+here&body=")
	b.Write(bytes.Repeat([]byte("a"), n-b.Len()))
	return b.Bytes()
}

// hideLength makes the client send a body chunked, with no Content-Length.
type hideLength struct{ io.Reader }

// TestTenMegabyteBodies: a 10 MB form gets 413, whether its size is
// announced or streamed chunked, and nothing is written.
func TestTenMegabyteBodies(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		for _, path := range []string{"/ask", fmt.Sprintf("/q/%d/answers", f.qID), "/dev/signin", "/settings"} {
			for _, chunked := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s chunked=%v", path, chunked), func(t *testing.T) {
					body := bigForm(f.asker.token(), 10<<20)
					var r response
					noWrite(t, ts, func() {
						var rd io.Reader = bytes.NewReader(body)
						if chunked {
							rd = hideLength{rd}
						}
						req, _ := http.NewRequest("POST", ts.URL+path, rd)
						req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
						var err error
						r, err = doAllowingEarlyClose(f.asker, req)
						if err != nil {
							t.Fatalf("no response: %v", err)
						}
					})
					mustStatus(t, r, http.StatusRequestEntityTooLarge)
					if !strings.Contains(r.Body, "too large") && !strings.Contains(r.Body, "Too large") {
						t.Errorf("413 page does not say why:\n%.500s", r.Body)
					}
				})
			}
		}
		// Just under the limit is not refused for its size.
		r := f.asker.post(fmt.Sprintf("/q/%d/answers", f.qID), url.Values{"body": {strings.Repeat("x", MaxBodyBytes-2000)}})
		mustStatus(t, r, http.StatusUnprocessableEntity)
	})
}

// doAllowingEarlyClose sends req; a server may answer 413 and close the
// connection before the whole body is sent, which is a response, not an
// error.
func doAllowingEarlyClose(c *client, req *http.Request) (response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := c.http.Do(req.WithContext(ctx))
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return response{}, err
	}
	return response{Status: resp.StatusCode, Body: string(b), Location: resp.Header.Get("Location"), Header: resp.Header}, nil
}

// malformedMarkdown are bodies that have broken or slowed Markdown
// renderers; each is at most BodyMax characters.
func malformedMarkdown() map[string]string {
	nested := ""
	for i := 0; len(nested) < models.BodyMax-400; i++ {
		nested += strings.Repeat("  ", i) + "- level\n"
	}
	refs := ""
	for i := 0; len(refs) < models.BodyMax-200; i++ {
		refs += fmt.Sprintf("[r%d]: https://example.com/%d\n[r%d] ", i, i, i)
	}
	return map[string]string{
		"unclosed code fence":        "Look:\n\n```go\nfunc main() {\n" + strings.Repeat("\tprintln(1)\n", 500),
		"unclosed tilde fence":       "~~~\n<script>alert(1)</script>\n",
		"10,000 blockquote markers":  strings.Repeat(">", 10000) + " deep",
		"10,000 nested list markers": strings.Repeat("- ", 10000) + "deep",
		"nested quotes and lists":    strings.Repeat("> - ", 7000) + "deep",
		"deeply indented list":       nested,
		"huge link reference":        "[a]: https://example.com/" + strings.Repeat("a", 29000) + "\n\nSee [a].",
		"thousands of references":    refs,
		"unclosed brackets":          strings.Repeat("[", 29000),
		"unclosed link targets":      strings.Repeat("[a](", 7000),
		"unbalanced emphasis":        strings.Repeat("*a_", 9000),
		"raw HTML and scripts":       "<script>alert(1)</script><img src=x onerror=alert(2)><iframe src=//evil.example></iframe>",
		"javascript link":            "[click](javascript:alert(1)) and <javascript:alert(2)>",
		"wide table":                 "|" + strings.Repeat("a|", 4000) + "\n|" + strings.Repeat("-|", 4000) + "\n",
		"NUL and control bytes":      "before\x00after\x01\x02\x1b[31m",
	}
}

// TestMalformedMarkdown: broken or hostile Markdown is stored and the page
// renders (200, quickly), with no script, handler or javascript: URL.
func TestMalformedMarkdown(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		for name, src := range malformedMarkdown() {
			t.Run(name, func(t *testing.T) {
				if n := len([]rune(src)); n > models.BodyMax {
					t.Fatalf("test body has %d characters", n)
				}
				qid := mustAsk(t, f.asker, f.board, "Markdown case "+name, src, "")
				aid := mustAnswer(t, f.other, qid, src)
				start := time.Now()
				page := f.visitor.get(fmt.Sprintf("/q/%d", qid))
				mustStatus(t, page, http.StatusOK)
				if d := time.Since(start); d > 3*time.Second {
					t.Errorf("page took %v", d)
				}
				if !strings.Contains(page.Body, fmt.Sprintf(`id="post-%d"`, aid)) {
					t.Error("the answer is not on the page")
				}
				checkNoActiveContent(t, page.Body)
				mustStatus(t, f.visitor.get(fmt.Sprintf("/posts/%d/revisions", aid)), http.StatusOK)
			})
		}
	})
}

var (
	scriptTag    = regexp.MustCompile(`(?i)<script\b[^>]*>([^<]*)`)
	eventHandler = regexp.MustCompile(`(?i)<[a-z][^>]*\son[a-z]+\s*=`)
	jsURL        = regexp.MustCompile(`(?i)(href|src)\s*=\s*"\s*javascript:`)
)

// checkNoActiveContent fails if a page carries any script other than the
// site's own external one, an inline event handler or a javascript: URL.
func checkNoActiveContent(t *testing.T, body string) {
	t.Helper()
	for _, m := range scriptTag.FindAllStringSubmatch(body, -1) {
		if !strings.Contains(m[0], `src="/static/`) || strings.TrimSpace(m[1]) != "" {
			t.Errorf("script on the page: %.200s", m[0])
		}
	}
	if m := eventHandler.FindString(body); m != "" {
		t.Errorf("event handler on the page: %.200s", m)
	}
	if m := jsURL.FindString(body); m != "" {
		t.Errorf("javascript: URL on the page: %.200s", m)
	}
	if strings.Contains(body, "<iframe") {
		t.Error("iframe on the page")
	}
}

// TestNULCharactersAreDropped: NUL means nothing in text and PostgreSQL
// cannot store it, so it is dropped from titles, bodies and names instead
// of failing the request.
func TestNULCharactersAreDropped(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		qid := mustAsk(t, f.asker, f.board, "Printer\x00 jams badly", "Body\x00 text", "")
		var title, body string
		ts.App.DB.Raw("SELECT title FROM questions WHERE id = ?", qid).Scan(&title)
		ts.App.DB.Raw("SELECT body_md FROM posts WHERE question_id = ?", qid).Scan(&body)
		if title != "Printer jams badly" || body != "Body text" {
			t.Errorf("stored %q / %q", title, body)
		}
		mustAnswer(t, f.other, qid, "An\x00swer")
		mustStatus(t, f.asker.post("/settings", url.Values{"display_name": {"As\x00ha"}}), http.StatusSeeOther)
		mustStatus(t, f.admin.post("/admin/boards", url.Values{"name": {"Scan\x00ners"}, "slug": {"scanners"}, "visibility": {"public"}, "description": {"\x00"}}), http.StatusSeeOther)
		mustStatus(t, f.visitor.get(fmt.Sprintf("/q/%d", qid)), http.StatusOK)
	})
}
