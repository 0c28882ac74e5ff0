package app

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crowdcare/crowdcare/models"
)

// viewer is one kind of reader, with the boards they may read. The matrix
// is written out by hand and checked against models.VisibleTo, so a change
// to the rule shows up here as a decision, not silently.
type viewer struct {
	name   string
	handle string // "" for a visitor
	roles  []string
	sees   []models.Visibility
}

var (
	pub, mem, exp, stf = models.VisibilityPublic, models.VisibilityMembers, models.VisibilityExperts, models.VisibilityStaff
	viewers            = []viewer{
		{"visitor", "", nil, []models.Visibility{pub}},
		{"member", "mina", nil, []models.Visibility{pub, mem}},
		{"product team", "pete", []string{"product"}, []models.Visibility{pub, mem}},
		{"expert", "ezra", []string{"expert"}, []models.Visibility{pub, mem, exp}},
		{"employee", "emil", []string{"employee"}, []models.Visibility{pub, mem, exp, stf}},
		{"moderator", "mona", []string{"moderator"}, []models.Visibility{pub, mem, exp, stf}},
		{"admin", "ada", []string{"admin"}, []models.Visibility{pub, mem, exp, stf}},
	}
)

// TestVisibilityMatrixMatchesRule keeps the matrix honest.
func TestVisibilityMatrixMatchesRule(t *testing.T) {
	for _, v := range viewers {
		var u *models.User
		if v.handle != "" {
			u = &models.User{ID: 1, Handle: v.handle}
			for _, r := range v.roles {
				u.Roles = append(u.Roles, models.Role(r))
			}
		}
		got := models.VisibleTo(u)
		slices.Sort(got)
		want := slices.Clone(v.sees)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: VisibleTo = %v, matrix says %v", v.name, got, want)
		}
	}
}

// visBoard is a board of one visibility with a solved and an open question,
// each carrying words found nowhere else.
type visBoard struct {
	vis                              models.Visibility
	slug, name, tag                  string
	solvedTitle, openTitle, bodyWord string
	titleWord                        string
	answerWord                       string
	solvedID, openID, qPostID, ansID int64
}

// secrets are the strings that must never reach a reader who cannot see b.
func (b *visBoard) secrets() []string {
	return []string{b.slug, b.name, b.tag, b.solvedTitle, b.openTitle, b.bodyWord, b.answerWord}
}

func makeVisBoards(t *testing.T, ts *testServer, admin *client) []*visBoard {
	t.Helper()
	var out []*visBoard
	for _, vis := range models.Visibilities {
		v := string(vis)
		b := &visBoard{vis: vis, slug: "vis-" + v, name: "Nightjar " + v + " board", tag: "tag-" + v,
			solvedTitle: "Quokka" + v + " solved question", openTitle: "Numbat" + v + " open question",
			titleWord: "quokka" + v, bodyWord: "wombat" + v, answerWord: "kiwi" + v}
		mustStatus(t, admin.post("/admin/boards", url.Values{"name": {b.name}, "slug": {b.slug}, "visibility": {v}}), http.StatusSeeOther)
		b.solvedID = mustAsk(t, admin, b.slug, b.solvedTitle, "Details "+b.bodyWord, b.tag+", shared")
		b.openID = mustAsk(t, admin, b.slug, b.openTitle, "Still open "+b.bodyWord, b.tag+", shared")
		b.ansID = mustAnswer(t, admin, b.solvedID, "Try this "+b.answerWord)
		mustStatus(t, admin.post(fmt.Sprintf("/q/%d/accept", b.solvedID), url.Values{"answer_id": {fmt.Sprint(b.ansID)}}), http.StatusSeeOther)
		ts.App.DB.Raw("SELECT id FROM posts WHERE question_id = ? AND kind = 'question'", b.solvedID).Scan(&b.qPostID)
		out = append(out, b)
	}
	return out
}

// TestPrivateBoardsNeverLeak reads every page as every kind of reader and
// checks that a board, its questions, answers and tags show up exactly for
// the readers the matrix allows, and that writing to a hidden board looks
// like writing to nothing at all.
func TestPrivateBoardsNeverLeak(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		admin := ts.client()
		admin.signIn("ada", "admin")
		boards := makeVisBoards(t, ts, admin)
		waitTagCounts(t, ts)
		for _, v := range viewers {
			t.Run(v.name, func(t *testing.T) {
				c := ts.client()
				if v.handle != "" {
					c.signIn(v.handle, v.roles...)
				}
				checkListPages(t, c, v, boards)
				for _, b := range boards {
					if slices.Contains(v.sees, b.vis) {
						checkVisibleBoard(t, c, b)
					} else {
						checkHiddenBoard(t, ts, c, v, b, boards)
					}
				}
			})
		}
	})
}

// waitTagCounts waits for the job that counts tags to catch up, so the
// popular-tags sidebar is tested with its counts in place.
func waitTagCounts(t *testing.T, ts *testServer) {
	t.Helper()
	for i := 0; i < 200; i++ {
		var pending int64
		ts.App.DB.Raw("SELECT COUNT(*) FROM outbox WHERE done_at IS NULL").Scan(&pending)
		if pending == 0 {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("outbox not drained")
}

// leakCheck fails if page shows a secret of a board the viewer cannot see.
// A page may echo what the reader typed (the path and query), so secrets in
// the request itself are not counted.
func leakCheck(t *testing.T, v viewer, path string, page response, boards []*visBoard) {
	t.Helper()
	for _, b := range boards {
		if slices.Contains(v.sees, b.vis) {
			continue
		}
		for _, s := range b.secrets() {
			if strings.Contains(path, s) || strings.Contains(unescape(path), s) {
				continue
			}
			if strings.Contains(page.Body, s) {
				t.Errorf("%s (%d) shows %q of the %s board", path, page.Status, s, b.vis)
			}
		}
	}
}

// checkListPages: every list shows the questions of visible boards only.
func checkListPages(t *testing.T, c *client, v viewer, boards []*visBoard) {
	t.Helper()
	type expect struct{ solved, open bool }
	pages := map[string]expect{
		"/":            {true, true},
		"/unanswered":  {false, true},
		"/solved":      {true, false},
		"/tags/shared": {true, true},
		"/boards":      {false, false},
	}
	if v.handle != "" {
		pages["/ask"] = expect{false, false}
	}
	for path, want := range pages {
		page := c.get(path)
		mustStatus(t, page, http.StatusOK)
		leakCheck(t, v, path, page, boards)
		for _, b := range boards {
			if !slices.Contains(v.sees, b.vis) {
				continue
			}
			if want.solved != strings.Contains(page.Body, b.solvedTitle) {
				t.Errorf("%s: shows %q = %v, want %v", path, b.solvedTitle, !want.solved, want.solved)
			}
			if want.open != strings.Contains(page.Body, b.openTitle) {
				t.Errorf("%s: shows %q = %v, want %v", path, b.openTitle, !want.open, want.open)
			}
			if (path == "/boards" || path == "/ask" || path == "/") && !strings.Contains(page.Body, b.name) {
				t.Errorf("%s lacks the visible %s board", path, b.vis)
			}
		}
	}
}

// checkVisibleBoard: every read path of a visible board works.
func checkVisibleBoard(t *testing.T, c *client, b *visBoard) {
	t.Helper()
	reads := map[string]string{
		"/b/" + b.slug:                              b.openTitle,
		"/b/" + b.slug + "?list=solved":             b.solvedTitle,
		"/b/" + b.slug + "?list=unanswered":         b.openTitle,
		fmt.Sprintf("/q/%d", b.solvedID):            b.answerWord,
		fmt.Sprintf("/q/%d", b.openID):              b.openTitle,
		"/tags/" + b.tag:                            b.solvedTitle,
		"/search?q=" + b.titleWord:                  b.solvedTitle,
		"/search?q=" + b.bodyWord:                   b.openTitle,
		"/search?q=" + b.answerWord:                 b.solvedTitle,
		fmt.Sprintf("/posts/%d/revisions", b.ansID): b.answerWord,
	}
	for path, want := range reads {
		page := c.get(path)
		mustStatus(t, page, http.StatusOK)
		if !strings.Contains(page.Body, want) {
			t.Errorf("%s (%s board) lacks %q", path, b.vis, want)
		}
	}
}

// checkHiddenBoard: every path into a hidden board answers as if it did
// not exist, and no write reaches it.
func checkHiddenBoard(t *testing.T, ts *testServer, c *client, v viewer, b *visBoard, boards []*visBoard) {
	t.Helper()
	missing := []string{
		"/b/" + b.slug,
		"/b/" + b.slug + "?list=solved",
		fmt.Sprintf("/q/%d", b.solvedID),
		fmt.Sprintf("/q/%d", b.openID),
		fmt.Sprintf("/posts/%d/revisions", b.ansID),
		fmt.Sprintf("/posts/%d/revisions", b.qPostID),
		"/tags/" + b.tag,
	}
	if v.handle != "" {
		missing = append(missing, fmt.Sprintf("/posts/%d/edit", b.ansID), fmt.Sprintf("/posts/%d/edit", b.qPostID))
	}
	for _, path := range missing {
		page := c.get(path)
		checkErrorPage(t, page, http.StatusNotFound)
		leakCheck(t, v, path, page, boards)
	}
	for _, q := range []string{b.titleWord, b.bodyWord, b.answerWord, "question"} {
		path := "/search?q=" + q
		page := c.get(path)
		mustStatus(t, page, http.StatusOK)
		leakCheck(t, v, path, page, boards)
	}
	// Writes: a visitor is asked to sign in; a member finds nothing there.
	status := http.StatusNotFound
	if v.handle == "" {
		status = http.StatusUnauthorized
	}
	writes := []struct {
		path string
		form url.Values
	}{
		{fmt.Sprintf("/q/%d/answers", b.openID), url.Values{"body": {"Sneaky answer"}}},
		{fmt.Sprintf("/q/%d/answers", b.openID), url.Values{"body": {""}}},
		{fmt.Sprintf("/q/%d/accept", b.solvedID), url.Values{"answer_id": {""}}},
		{fmt.Sprintf("/q/%d/accept", b.solvedID), url.Values{"answer_id": {fmt.Sprint(b.ansID)}}},
		{fmt.Sprintf("/posts/%d/edit", b.ansID), url.Values{"body": {"Rewritten"}}},
		{fmt.Sprintf("/posts/%d/edit", b.qPostID), url.Values{"title": {"Rewritten title"}, "body": {"Rewritten"}}},
		{fmt.Sprintf("/posts/%d/delete", b.ansID), nil},
		{fmt.Sprintf("/posts/%d/delete", b.qPostID), nil},
	}
	for _, w := range writes {
		noWrite(t, ts, func() {
			page := c.post(w.path, w.form)
			checkErrorPage(t, page, status)
			leakCheck(t, v, w.path, page, boards)
		})
	}
	noWrite(t, ts, func() {
		page := c.post("/ask", url.Values{"board": {b.slug}, "title": {"Sneaky question here"}, "body": {"x"}})
		if v.handle == "" {
			checkErrorPage(t, page, http.StatusUnauthorized)
			return
		}
		mustStatus(t, page, http.StatusUnprocessableEntity)
		if !strings.Contains(page.Body, "Choose one of the boards in the list.") {
			t.Errorf("asking on the hidden %s board is not refused like an unknown board", b.vis)
		}
		leakCheck(t, v, "/ask", page, boards)
	})
}
