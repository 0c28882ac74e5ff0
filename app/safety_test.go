package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

func init() {
	snapshotQueries = append(snapshotQueries,
		struct{ name, sql string }{"held posts", "SELECT COUNT(*) FROM posts WHERE held"},
		struct{ name, sql string }{"held questions", "SELECT COUNT(*) FROM questions WHERE held"},
		struct{ name, sql string }{"private questions", "SELECT COUNT(*) FROM questions WHERE private"},
		struct{ name, sql string }{"board counts", "SELECT CAST(COALESCE(SUM(question_count), 0) AS BIGINT) FROM boards"},
	)
	moreTemplateCases = append(moreTemplateCases, safetyTemplateCases)
	moreValidForms = append(moreValidForms, func(f *qaFixture) map[string]url.Values {
		return map[string]url.Values{
			"/q/:id/privacy":               {"private": {"1"}, "reason": {"Holds an invoice"}},
			"/moderation/held/:id/approve": {},
			"/moderation/held/:id/reject":  {"reason": {"Spam link"}},
			"/admin/safety": {models.SettingNewAccountHours: {"24"}, models.SettingNewAccountQuestions: {"3"},
				models.SettingNewAccountAnswers: {"10"}, models.SettingNewAccountHoldLinks: {"1"}},
		}
	})
	moreRouteParams = append(moreRouteParams, safetyRouteParam)
	moreDynamicIDs = append(moreDynamicIDs, func() map[string]string {
		out := map[string]string{}
		for _, k := range models.PrivateKinds {
			out["safety.kind."+k] = "templates/partials/safety.html (safety.kind.%s)"
		}
		for _, k := range []string{models.KindQuestion, models.KindAnswer} {
			out["safety.held.kind_"+k] = "templates/pages/moderation_held.html (safety.held.kind_%s)"
		}
		for _, n := range []string{models.SettingNewAccountHours, models.SettingNewAccountQuestions, models.SettingNewAccountAnswers, models.SettingNewAccountHoldLinks} {
			out["safety.setting."+n] = "templates/pages/admin_safety.html (safety.setting.%s)"
		}
		return out
	})
	moreSampleArgs = append(moreSampleArgs, "Until", "2026-12-02 09:00 UTC")
}

var heldForCSRF sync.Map // route → held post id, made once per fixture

// safetyRouteParam gives each held-post route its own held answer.
func safetyRouteParam(f *qaFixture, boardID, userID int64, route, param string) (string, bool) {
	if param != "id" || !strings.HasPrefix(route, "/moderation/held/") {
		return "", false
	}
	ts := f.asker.ts
	key := fmt.Sprintf("%p %s", ts, route)
	if v, ok := heldForCSRF.Load(key); ok {
		return v.(string), true
	}
	id := makeHeldAnswer(ts.t, ts, "omar", f.qID)
	heldForCSRF.Store(key, fmt.Sprint(id))
	return fmt.Sprint(id), true
}

// makeHeldAnswer has a new member (handle) post an answer with a link
// under the new-account rules, so it is held; it returns the post id.
func makeHeldAnswer(t *testing.T, ts *testServer, handle string, questionID int64) int64 {
	t.Helper()
	u := userByHandle(t, ts, handle)
	p, err := models.Answer(context.Background(), ts.App.DB, u, questionID, models.AnswerInput{
		Body: "See https://spam.example.net/deal for the fix", Screen: models.Screening{NewAccount: true}})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Held {
		t.Fatal("answer with a link by a new member was not held")
	}
	return p.ID
}

func userByHandle(t *testing.T, ts *testServer, handle string) *models.User {
	t.Helper()
	var u models.User
	if err := ts.App.DB.Where("handle = ?", handle).Take(&u).Error; err != nil {
		t.Fatalf("user %s: %v", handle, err)
	}
	return &u
}

func safetyTemplateCases() []templateCase {
	asker, _, _, moderator, _ := sampleUsers()
	boards := sampleBoards()
	now := time.Now()
	held := []models.HeldPost{{Post: models.Post{ID: 31, QuestionID: 7, Kind: models.KindAnswer, BodyHTML: "<p>See <a href=\"https://x.example\">this</a></p>", CreatedAt: now, Held: true},
		Title: "Printer shows error E-301", BoardName: "LaserJet printers", AuthorHandle: "newbie"}}
	notice := &safetyNotice{Question: true, Findings: models.FindPrivateData("mail jane@gmail.com or call +1 555 123 4567")}
	_, _, _, _, admin := sampleUsers()
	vals := map[string]int{models.SettingNewAccountHours: 24, models.SettingNewAccountQuestions: 3, models.SettingNewAccountAnswers: 10, models.SettingNewAccountHoldLinks: 1}
	return []templateCase{
		{name: "admin_safety", label: "saved", status: 200, path: "/admin/safety", user: admin,
			page: &Page{Title: "safety.settings.title", Data: &safetySettingsData{Names: models.SafetySettingNames, Values: vals, Saved: true}},
			want: []string{"New-account limits", "Settings saved.", "Questions a new account may ask"}},
		{name: "admin_safety", label: "bad value", status: 422, path: "/admin/safety", user: admin,
			page: &Page{Title: "safety.settings.title", Data: &safetySettingsData{Names: models.SafetySettingNames},
				Errors: fieldErr("setting."+models.SettingNewAccountHoldLinks, "points.error.range", map[string]any{"Min": 0, "Max": 1}),
				Form:   url.Values{models.SettingNewAccountHoldLinks: {"7"}}},
			want: []string{`value="7"`}},
		{name: "moderation_held", label: "queue", status: 200, path: "/moderation/held", user: moderator,
			page: &Page{Title: "safety.held.title", Data: &heldData{Posts: held}},
			want: []string{"Posts held for review", "Printer shows error E-301", "Approve and publish", "newbie"}},
		{name: "moderation_held", label: "empty", status: 200, path: "/moderation/held", user: moderator,
			page: &Page{Title: "safety.held.title", Data: &heldData{}}, want: []string{"No post is waiting for review."}},
		{name: "ask", label: "private data warning", status: 422, path: "/ask", user: asker,
			page: &Page{Title: "ask.title", Data: &askData{Boards: boards, Safety: notice}, Errors: fieldErr("body", "safety.private_data.field", nil),
				Form: url.Values{"title": {"My printer"}, "body": {"mail jane@gmail.com or call +1 555 123 4567"}}},
			want: []string{"This may be private information", "jane@gmail.com", "a phone number", "Post anyway", "Post as a private thread with staff"}},
		{name: "ask", label: "first-day limit", status: 429, path: "/ask", user: asker,
			page: &Page{Title: "ask.title", Data: &askData{Boards: boards}, Errors: fieldErr("body", "safety.error.first_day_questions", map[string]any{"Count": 3, "Until": "2026-12-02 09:00 UTC"}),
				Form: url.Values{"title": {"Kept title"}}},
			want: []string{"New members can ask 3 questions during their first day", "Kept title"}},
	}
}

// safetyServer is a server with the posting limits on.
func forEachSafetyServer(t *testing.T, f func(t *testing.T, ts *testServer)) {
	for _, b := range testenv.Backends() {
		t.Run(string(b), func(t *testing.T) {
			f(t, startServerWith(t, b, map[string]string{"CROWDCARE_POSTING_LIMITS": "on"}))
		})
	}
}

func makeBoard(t *testing.T, admin *client, slug, vis string) {
	t.Helper()
	mustStatus(t, admin.post("/admin/boards", url.Values{"name": {slug}, "slug": {slug}, "visibility": {vis}}), http.StatusSeeOther)
}

func questionCount(t *testing.T, ts *testServer) int64 {
	var n int64
	ts.App.DB.Raw("SELECT COUNT(*) FROM questions").Scan(&n)
	return n
}

// TestPrivateDataWarning: text that looks private is not published until
// the author confirms it or makes the question a private thread.
func TestPrivateDataWarning(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		admin := ts.client()
		admin.signIn("ada", "admin")
		makeBoard(t, admin, "printers", "public")
		asker := ts.client()
		asker.signIn("asha")
		form := url.Values{"board": {"printers"}, "title": {"Refund for my printer"}, "body": {"Card 4111 1111 1111 1111, mail me at asha.rao@gmail.com"}}
		var r response
		noWrite(t, ts, func() { r = asker.post("/ask", form) })
		mustStatus(t, r, http.StatusUnprocessableEntity)
		for _, want := range []string{"This may be private information", "asha.rao@gmail.com", "•••• •••• •••• 1111", "Post anyway", "private thread", "Refund for my printer"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("warning page lacks %q", want)
			}
		}
		if strings.Contains(r.Body, "4111 1111 1111 1111</mark>") {
			t.Error("the card number is shown unmasked")
		}
		// Make it private: the asker and staff see it, nobody else.
		form.Set("private_data", "private")
		qID := mustAskForm(t, asker, form)
		checkSeen(t, ts, qID, map[string]bool{"": false, "omar": false, "asha": true, "emil:employee": true, "mona:moderator": true, "ezra:expert": false, "pia:product": false})
		// Post anyway: public.
		form.Set("private_data", "post")
		form.Set("title", "Second refund question")
		q2 := mustAskForm(t, asker, form)
		checkSeen(t, ts, q2, map[string]bool{"": true})
		// Answers are warned too, and nothing is written.
		other := ts.client()
		other.signIn("omar")
		noWrite(t, ts, func() {
			r = other.post(fmt.Sprintf("/q/%d/answers", q2), url.Values{"body": {"Call me on +44 20 7946 0958"}})
		})
		mustStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.Body, "a phone number") || strings.Contains(r.Body, "Post as a private thread") {
			t.Error("answer warning wrong")
		}
		// Versions, error codes and dates pass without a warning.
		mustAskForm(t, asker, url.Values{"board": {"printers"}, "title": {"Firmware 4.2.1 shows E-301"}, "body": {"Since 2024-01-15 10:30, order #12345."}})
	})
}

func mustAskForm(t *testing.T, c *client, form url.Values) int64 {
	t.Helper()
	r := c.post("/ask", form)
	mustStatus(t, r, http.StatusSeeOther)
	var id int64
	if _, err := fmt.Sscanf(r.Location, "/q/%d", &id); err != nil {
		t.Fatalf("ask redirected to %q", r.Location)
	}
	return id
}

// checkSeen checks who may open question id: "" is a visitor, else
// "handle[:role]".
func checkSeen(t *testing.T, ts *testServer, id int64, who map[string]bool) {
	t.Helper()
	for w, want := range who {
		c := ts.client()
		if w != "" {
			h, role, _ := strings.Cut(w, ":")
			if role != "" {
				c.signIn(h, role)
			} else {
				c.signIn(h)
			}
		}
		r := c.get(fmt.Sprintf("/q/%d", id))
		if got := r.Status == http.StatusOK; got != want {
			t.Errorf("%q opens question %d: status %d, want seen=%v", w, id, r.Status, want)
		}
	}
}

// TestFirstDayLimits: a new member may ask three questions on their first
// day; the fourth gets a clear message, keeps what they typed and writes
// nothing. Staff and experts are not limited.
func TestFirstDayLimits(t *testing.T) {
	forEachSafetyServer(t, func(t *testing.T, ts *testServer) {
		admin := ts.client()
		admin.signIn("ada", "admin")
		makeBoard(t, admin, "printers", "public")
		newbie := ts.client()
		newbie.signIn("newbie")
		for i := 0; i < 3; i++ {
			mustAsk(t, newbie, "printers", fmt.Sprintf("New member question %d", i), "Body text.", "")
		}
		var r response
		noWrite(t, ts, func() {
			r = newbie.post("/ask", url.Values{"board": {"printers"}, "title": {"The fourth question"}, "body": {"Typed text kept"}})
		})
		mustStatus(t, r, http.StatusTooManyRequests)
		for _, want := range []string{"New members can ask 3 questions during their first day", "You can ask again after", "The fourth question", "Typed text kept"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("limit page lacks %q", want)
			}
		}
		if r.Header.Get("Retry-After") == "" {
			t.Error("no Retry-After")
		}
		// An expert and an employee, new as well, are not limited.
		for _, who := range []struct{ h, role string }{{"ezra", "expert"}, {"emil", "employee"}} {
			c := ts.client()
			c.signIn(who.h, who.role)
			for i := 0; i < 4; i++ {
				mustAsk(t, c, "printers", fmt.Sprintf("%s asks question %d", who.h, i), "See https://docs.example.org/x", "")
			}
		}
		// After the first day the member is limited no more.
		ts.App.DB.Exec("UPDATE users SET created_at = ? WHERE handle = 'newbie'", time.Now().Add(-25*time.Hour))
		mustAsk(t, newbie, "printers", "The fourth question", "Typed text kept", "")
		// An admin changes the allowance: answers are limited to one.
		if err := ts.App.DB.Exec("INSERT INTO settings (name, value, updated_at) VALUES (?, '1', ?)", models.SettingNewAccountAnswers, time.Now()).Error; err != nil {
			t.Fatal(err)
		}
		fresh := ts.client()
		fresh.signIn("fresh")
		qID := mustAsk(t, admin, "printers", "A question to answer twice", "Body.", "")
		mustAnswer(t, fresh, qID, "First answer.")
		r = fresh.post(fmt.Sprintf("/q/%d/answers", qID), url.Values{"body": {"Second answer."}})
		mustStatus(t, r, http.StatusTooManyRequests)
		if !strings.Contains(r.Body, "New members can post 1 answer during their first day") {
			t.Error("answer limit message missing")
		}
	})
}

// TestPostingRateLimit: past ten questions an hour the next is refused with
// 429 and a message saying when, nothing is written and the form keeps it.
func TestPostingRateLimit(t *testing.T) {
	forEachSafetyServer(t, func(t *testing.T, ts *testServer) {
		admin := ts.client()
		admin.signIn("ada", "admin")
		makeBoard(t, admin, "printers", "public")
		c := ts.client()
		c.signIn("busy")
		ts.App.DB.Exec("UPDATE users SET created_at = ? WHERE handle = 'busy'", time.Now().Add(-30*24*time.Hour))
		for i := 0; i < 10; i++ {
			mustAsk(t, c, "printers", fmt.Sprintf("Busy question number %d", i), "Body.", "")
		}
		var r response
		noWrite(t, ts, func() {
			r = c.post("/ask", url.Values{"board": {"printers"}, "title": {"One too many"}, "body": {"Still here"}})
		})
		mustStatus(t, r, http.StatusTooManyRequests)
		if !strings.Contains(r.Body, "You are posting faster than the forum allows") || !strings.Contains(r.Body, "One too many") ||
			!strings.Contains(r.Body, "Still here") || r.Header.Get("Retry-After") == "" {
			t.Errorf("rate limit page wrong: %s", r.Header)
		}
		// Another user is not affected; answers have their own count.
		o := ts.client()
		o.signIn("calm")
		mustAsk(t, o, "printers", "Calm question here", "Body.", "")
	})
}

// TestHeldPostLife: a new member's post with a link waits for review,
// seen only by its author and moderators; approved, it is public and the
// author told; rejected, it is gone. A member cannot decide.
func TestHeldPostLife(t *testing.T) {
	forEachSafetyServer(t, func(t *testing.T, ts *testServer) {
		admin := ts.client()
		admin.signIn("ada", "admin")
		makeBoard(t, admin, "printers", "public")
		newbie := ts.client()
		newbie.signIn("newbie")
		qID := mustAsk(t, newbie, "printers", "Cheap toner offer inside", "Buy at https://toner.example.net/deal", "toner")
		if r := newbie.get(fmt.Sprintf("/q/%d", qID)); r.Status != 200 || !strings.Contains(r.Body, "waiting for review") {
			t.Fatalf("author's view: %d", r.Status)
		}
		checkSeen(t, ts, qID, map[string]bool{"": false, "omar": false, "emil:employee": false, "ezra:expert": false, "mona:moderator": true})
		visitor := ts.client()
		for _, path := range []string{"/", "/b/printers", "/unanswered", "/search?q=toner", "/u/newbie", "/b/printers/feed.atom"} {
			if r := visitor.get(path); strings.Contains(r.Body, "Cheap toner offer") {
				t.Errorf("%s shows the held question", path)
			}
		}
		var bc int
		ts.App.DB.Raw("SELECT question_count FROM boards WHERE slug = 'printers'").Scan(&bc)
		if bc != 0 {
			t.Errorf("board count %d with only a held question", bc)
		}
		mod := ts.client()
		mod.signIn("mona", "moderator")
		if r := mod.get("/moderation/held"); r.Status != 200 || !strings.Contains(r.Body, "Cheap toner offer inside") {
			t.Fatalf("queue: %d", r.Status)
		}
		var postID int64
		ts.App.DB.Raw("SELECT id FROM posts WHERE question_id = ? AND kind = 'question'", qID).Scan(&postID)
		// A member forging the approval: 403, nothing changed.
		other := ts.client()
		other.signIn("omar")
		noWrite(t, ts, func() {
			checkErrorPage(t, other.post(fmt.Sprintf("/moderation/held/%d/approve", postID), nil), http.StatusForbidden)
			checkErrorPage(t, other.get("/moderation/held"), http.StatusForbidden)
			checkErrorPage(t, mod.post("/moderation/held/999999/approve", nil), http.StatusNotFound)
			mustStatus(t, mod.post(fmt.Sprintf("/moderation/held/%d/reject", postID), url.Values{"reason": {""}}), http.StatusUnprocessableEntity)
		})
		mustStatus(t, mod.post(fmt.Sprintf("/moderation/held/%d/approve", postID), nil), http.StatusSeeOther)
		checkSeen(t, ts, qID, map[string]bool{"": true})
		waitTagCounts(t, ts)
		if r := visitor.get("/"); !strings.Contains(r.Body, "Cheap toner offer inside") {
			t.Error("approved question not listed")
		}
		if r := newbie.get("/notifications"); !strings.Contains(r.Body, "approved your post") {
			t.Error("author not told of the approval")
		}
		// Approving twice is not found: one decision.
		checkErrorPage(t, mod.post(fmt.Sprintf("/moderation/held/%d/approve", postID), nil), http.StatusNotFound)
		// A held answer, rejected, is gone and never counted.
		aID := makeHeldAnswer(t, ts, "newbie", qID)
		if r := visitor.get(fmt.Sprintf("/q/%d", qID)); strings.Contains(r.Body, "spam.example.net") {
			t.Error("a visitor sees the held answer")
		}
		if r := newbie.get(fmt.Sprintf("/q/%d", qID)); !strings.Contains(r.Body, "Waiting for review") {
			t.Error("the author does not see their held answer marked")
		}
		mustStatus(t, mod.post(fmt.Sprintf("/moderation/held/%d/reject", aID), url.Values{"reason": {"Spam link"}}), http.StatusSeeOther)
		if r := newbie.get(fmt.Sprintf("/q/%d", qID)); strings.Contains(r.Body, "spam.example.net") {
			t.Error("rejected answer still shown")
		}
		var ac int
		ts.App.DB.Raw("SELECT answer_count FROM questions WHERE id = ?", qID).Scan(&ac)
		if ac != 0 {
			t.Errorf("answer count %d after a rejected answer", ac)
		}
		if r := newbie.get("/notifications"); !strings.Contains(r.Body, "Spam link") {
			t.Error("author not told of the rejection")
		}
		var audits int64
		ts.App.DB.Raw("SELECT COUNT(*) FROM audit_log WHERE action IN ('safety.approve', 'safety.reject')").Scan(&audits)
		if audits != 2 {
			t.Errorf("%d audit entries, want 2", audits)
		}
	})
}

// TestPrivateThreadMove: staff move a public thread private and back, with
// a reason, audited and the asker told; a member cannot.
func TestPrivateThreadMove(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		emp := ts.client()
		emp.signIn("emil", "employee")
		noWrite(t, ts, func() {
			checkErrorPage(t, f.other.post(fmt.Sprintf("/q/%d/privacy", f.qID), url.Values{"private": {"1"}, "reason": {"x"}}), http.StatusForbidden)
			checkErrorPage(t, emp.post(fmt.Sprintf("/q/%d/privacy", f.qID), url.Values{"private": {"maybe"}, "reason": {"x"}}), http.StatusBadRequest)
			mustStatus(t, emp.post(fmt.Sprintf("/q/%d/privacy", f.qID), url.Values{"private": {"1"}, "reason": {""}}), http.StatusUnprocessableEntity)
		})
		mustStatus(t, emp.post(fmt.Sprintf("/q/%d/privacy", f.qID), url.Values{"private": {"1"}, "reason": {"Holds an invoice number"}}), http.StatusSeeOther)
		checkSeen(t, ts, f.qID, map[string]bool{"": false, "omar": false, "asha": true, "emil:employee": true, "ezra:expert": false})
		if r := f.asker.get("/notifications"); !strings.Contains(r.Body, "Holds an invoice number") {
			t.Error("asker not told")
		}
		// The answerer (omar) is not the asker: the thread is gone for him,
		// and so is its notification and his answer on his profile.
		if r := f.visitor.get("/u/omar"); strings.Contains(r.Body, "Printer jams") {
			t.Error("profile shows the private thread")
		}
		mustStatus(t, emp.post(fmt.Sprintf("/q/%d/privacy", f.qID), url.Values{"private": {"0"}, "reason": {"Invoice removed"}}), http.StatusSeeOther)
		checkSeen(t, ts, f.qID, map[string]bool{"": true})
		var audits int64
		ts.App.DB.Raw("SELECT COUNT(*) FROM audit_log WHERE action IN ('safety.private', 'safety.public')").Scan(&audits)
		if audits != 2 {
			t.Errorf("%d audit entries, want 2", audits)
		}
	})
}

// TestPrivateThreadsOnEveryPath extends the role × path matrix of
// TestPrivateBoardsOnEveryPath and TestPrivateBoardsNeverLeak to private
// threads and held posts: on a public board, a private thread is read by
// its asker and staff only, and a held question or answer by its author and
// moderators only, on every page; nothing else ever names them.
func TestPrivateThreadsOnEveryPath(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		admin := ts.client()
		admin.signIn("ada", "admin")
		makeBoard(t, admin, "open", "public")
		asker := ts.client()
		asker.signIn("asha")
		newbie := ts.client()
		newbie.signIn("newbie")
		// A private thread with its own tag, answered by the admin.
		privID := mustAskForm(t, asker, url.Values{"board": {"open"}, "title": {"Zebrafinch refund request"},
			"body": {"My card 4111 1111 1111 1111 zebrafinchbody"}, "tags": {"secretag, shared"}, "private_data": {"private"}})
		mustAnswer(t, admin, privID, "We refunded it zebrafinchanswer")
		// A private unanswered thread (experts' queue) and a public question.
		privOpenID := mustAskForm(t, asker, url.Values{"board": {"open"}, "title": {"Zebrafinch second open thread"},
			"body": {"Mail asha.rao@gmail.com"}, "tags": {"shared"}, "private_data": {"private"}})
		pubID := mustAsk(t, asker, "open", "Public toucan question", "Public body", "shared")
		// Held: a question and an answer by a new member, with links.
		nb := userByHandle(t, ts, "newbie")
		hq, err := models.Ask(t.Context(), ts.App.DB, nb, models.AskInput{Board: "open", Title: "Heldtoucan cheap ink",
			Body: "Buy at https://ink.example.net heldtoucanbody", Tags: []string{"heldtag"}, Screen: models.Screening{NewAccount: true}})
		if err != nil || !hq.Held {
			t.Fatalf("held question: %v %+v", err, hq)
		}
		makeHeldAnswer(t, ts, "newbie", pubID)
		waitTagCounts(t, ts)
		secrets := []string{"Zebrafinch", "zebrafinch", "Heldtoucan", "heldtoucan", "spam.example.net", "secretag", "heldtag"}
		type who struct {
			viewer
			private, held bool // may read the private thread / the held question
		}
		all := []who{
			{viewer{"visitor", "", nil, nil}, false, false},
			{viewer{"member", "mina", nil, nil}, false, false},
			{viewer{"asker", "asha", nil, nil}, true, false},
			{viewer{"held author", "newbie", nil, nil}, false, true},
			{viewer{"product team", "pete", []string{"product"}, nil}, false, false},
			{viewer{"expert", "ezra", []string{"expert"}, nil}, false, false},
			{viewer{"employee", "emil", []string{"employee"}, nil}, true, false},
			{viewer{"moderator", "mona", []string{"moderator"}, nil}, true, true},
			{viewer{"admin", "ada", []string{"admin"}, nil}, true, true},
		}
		// Only the notifications below are counted: the ones the fixture's
		// posts caused (answers, follows) go.
		dropMemberNotifications(t, ts)
		for _, v := range all {
			t.Run(v.name, func(t *testing.T) {
				c := ts.client()
				if v.handle != "" {
					c.signIn(v.handle, v.roles...)
					uid := userIDOf(t, ts, v.handle)
					for _, q := range []int64{privID, hq.ID} {
						err := ts.App.DB.Transaction(func(tx *gorm.DB) error {
							_, err := models.Notify(tx, models.Notification{UserID: uid, Kind: models.NotifyAnswerVerified, QuestionID: &q,
								URL: fmt.Sprintf("/q/%d", q), DedupKey: fmt.Sprintf("safety-matrix:%d", q)})
							return err
						})
						if err != nil {
							t.Fatal(err)
						}
					}
				}
				// The pages themselves.
				for id, want := range map[int64]bool{privID: v.private, privOpenID: v.private, hq.ID: v.held} {
					r := c.get(fmt.Sprintf("/q/%d", id))
					if want {
						mustStatus(t, r, http.StatusOK)
					} else {
						checkErrorPage(t, r, http.StatusNotFound)
					}
				}
				pub := c.get(fmt.Sprintf("/q/%d", pubID))
				mustStatus(t, pub, http.StatusOK)
				if got := strings.Contains(pub.Body, "spam.example.net"); got != (v.handle == "newbie" || v.held) {
					t.Errorf("held answer shown=%v on the public question", got)
				}
				// Every list, search, tag, feed, profile, points and board page.
				paths := []string{"/", "/unanswered", "/solved", "/b/open", "/b/open?list=unanswered", "/boards",
					"/search?q=refund", "/search?q=refunded", "/search?q=cheap", "/search?q=ink", "/search?q=mail",
					"/tags/shared", "/b/open/feed.atom", "/tags/shared/feed.atom",
					"/u/asha", "/u/ada", "/u/newbie", "/u/asha/points", "/u/ada/points", "/leaderboard"}
				if v.handle != "" {
					paths = append(paths, "/notifications")
				}
				for _, path := range paths {
					r := c.get(path)
					mustStatus(t, r, http.StatusOK)
					canPrivate := v.private && path != "/boards" && !strings.Contains(path, "feed.atom")
					for _, s := range secrets {
						allowed := (canPrivate && strings.Contains(strings.ToLower(s), "zebrafinch")) ||
							(canPrivate && s == "secretag") ||
							(v.held && path == "/notifications" && strings.Contains(strings.ToLower(s), "heldtoucan"))
						if !allowed && strings.Contains(r.Body, s) {
							t.Errorf("%s shows %q to %s", path, s, v.name)
						}
					}
				}
				if v.private {
					for _, path := range []string{"/", "/search?q=refund", "/tags/secretag", "/u/asha", "/b/open"} {
						if r := c.get(path); !strings.Contains(r.Body, "Zebrafinch refund request") {
							t.Errorf("%s lacks the private thread for %s", path, v.name)
						}
					}
				}
				for _, tag := range []string{"secretag", "heldtag"} {
					r := c.get("/tags/" + tag)
					if tag == "secretag" && v.private {
						mustStatus(t, r, http.StatusOK)
					} else {
						checkErrorPage(t, r, http.StatusNotFound)
					}
					checkErrorPage(t, c.get("/tags/"+tag+"/feed.atom"), http.StatusNotFound)
				}
				// The bell counts only what the reader may open.
				if v.handle != "" {
					want := 0
					if v.private {
						want++
					}
					// A held thread is in nobody's bell, its author's included.
					u := userByHandle(t, ts, v.handle)
					u.Roles = nil
					for _, r := range v.roles {
						u.Roles = append(u.Roles, models.Role(r))
					}
					n, err := models.UnreadNotifications(t.Context(), ts.App.DB, u)
					if err != nil {
						t.Fatal(err)
					}
					home := c.get("/")
					if int(n) != want || (want > 0) != strings.Contains(home.Body, `class="bell-count"`) {
						t.Errorf("unread %d, want %d (bell shown %v)", n, want, strings.Contains(home.Body, `class="bell-count"`))
					}
				}
				// Writing to a thread one may not read is writing to nothing.
				if v.handle != "" && !v.private {
					noWrite(t, ts, func() {
						checkErrorPage(t, c.post(fmt.Sprintf("/q/%d/answers", privID), url.Values{"body": {"Sneaky answer"}}), http.StatusNotFound)
						checkErrorPage(t, c.post(fmt.Sprintf("/q/%d/privacy", privID), url.Values{"private": {"0"}, "reason": {"x"}}), http.StatusForbidden)
					})
				}
			})
		}
		// Experts' queue: the private unanswered thread is not in it.
		ex := ts.client()
		ex.signIn("ezra", "expert")
		if r := ex.get("/experts/dashboard"); strings.Contains(r.Body, "Zebrafinch") || strings.Contains(r.Body, "Heldtoucan") {
			t.Error("expert dashboard lists a private or held thread")
		}
		// Counts: the board counts its public question only; tags count public ones.
		var bc, shared, secret int
		ts.App.DB.Raw("SELECT question_count FROM boards WHERE slug = 'open'").Scan(&bc)
		ts.App.DB.Raw("SELECT question_count FROM tags WHERE name = 'shared'").Scan(&shared)
		ts.App.DB.Raw("SELECT question_count FROM tags WHERE name = 'secretag'").Scan(&secret)
		if bc != 1 || shared != 1 || secret != 0 {
			t.Errorf("board count %d, shared tag %d, secret tag %d; want 1, 1, 0", bc, shared, secret)
		}
	})
}
