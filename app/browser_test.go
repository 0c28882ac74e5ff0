package app

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// TestBrowserJourney drives the forum in a real headless Chromium the way
// people use it: an admin makes a board through the admin form, a member
// asks through the ask form, another answers, the asker accepts, and the
// header search finds the question. It asserts on the rendered DOM, checks
// the skip link is the first Tab stop, and fails on any JavaScript error,
// uncaught exception or error the browser logs (a CSP that blocked our own
// script would show up here).
func TestBrowserJourney(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		b := newBrowserTab(t, ts.URL)
		b.open("/", 200)
		b.selfCheck()
		checkSkipLink(t, b)

		// An admin creates a board through the admin form.
		signInBrowser(t, b, "ada", "admin")
		b.open("/admin/boards/new", 200)
		b.do("fill the board form",
			chromedp.SendKeys(chromedp.ID("b-name"), "Inkjet printers"),
			chromedp.SendKeys(chromedp.ID("b-slug"), "inkjet"),
			chromedp.SendKeys(chromedp.ID("b-desc"), "Ink, cartridges and print quality"),
			chromedp.SetValue(chromedp.ID("b-vis"), "public"),
		)
		b.follow("create the board", 200, chromedp.Click(chromedp.CSS(`form[action="/admin/boards"] button[type=submit]`)))
		if got := b.text("main h1"); got != "Inkjet printers" {
			t.Fatalf("after creating the board the page shows %q", got)
		}
		if got := b.text(".pagehead .lead"); got != "Ink, cartridges and print quality" {
			t.Errorf("board description %q", got)
		}
		signOutBrowser(t, b)

		// A member asks, with Markdown in the body.
		signInBrowser(t, b, "asha")
		b.follow("open the ask form", 200, chromedp.Click(chromedp.CSS(`nav.account a[href="/ask"]`)))
		b.do("fill the ask form",
			chromedp.SetValue(chromedp.ID("ask-board"), "inkjet"),
			chromedp.SendKeys(chromedp.ID("ask-title"), "Colours streak after changing the cyan cartridge"),
			chromedp.SendKeys(chromedp.ID("ask-body"), "Every page has **magenta** stripes since Monday.\n\n- cleaned the heads\n- ran an alignment"),
			chromedp.SendKeys(chromedp.ID("ask-tags"), "cartridges, quality"),
		)
		b.follow("submit the question", 200, chromedp.Click(chromedp.CSS(`form[action="/ask"] button[type=submit]`)))
		qurl, err := chromedp.Run(b.ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		qpath := strings.TrimPrefix(qurl, ts.URL)
		if !strings.HasPrefix(qpath, "/q/") {
			t.Fatalf("after asking the browser is at %q", qurl)
		}
		if got := b.text("#qtitle"); got != "Colours streak after changing the cyan cartridge" {
			t.Errorf("question title %q", got)
		}
		if got := b.text("article.question .body strong"); got != "magenta" {
			t.Errorf("Markdown bold rendered as %q", got)
		}
		if n := eval[int](b, `document.querySelectorAll("article.question .body li").length`); n != 2 {
			t.Errorf("Markdown list has %d items, want 2", n)
		}
		if got := b.text("article.question .taglist"); !strings.Contains(got, "cartridges") || !strings.Contains(got, "quality") {
			t.Errorf("tags shown as %q", got)
		}
		signOutBrowser(t, b)

		// A second member answers.
		signInBrowser(t, b, "hari")
		b.open(qpath, 200)
		b.do("type the answer", chromedp.SendKeys(chromedp.ID("answer-body"), "Run a *deep clean* from the printer's maintenance menu."))
		b.follow("post the answer", 200, chromedp.Click(chromedp.CSS(`section.reply button[type=submit]`)))
		if got := b.text("section.answers .post .body em"); got != "deep clean" {
			t.Errorf("answer emphasis rendered as %q", got)
		}
		if n := eval[int](b, `[...document.querySelectorAll("button")].filter(e => e.textContent.trim() === "Accept as solution").length`); n != 0 {
			t.Errorf("the answerer sees %d accept buttons; only the asker may accept", n)
		}
		signOutBrowser(t, b)

		// The asker accepts it; the page then shows Solved and the solution first.
		signInBrowser(t, b, "asha")
		b.open(qpath, 200)
		b.follow("accept the answer", 200, chromedp.Click(`//button[normalize-space()="Accept as solution"]`))
		if got := b.text("#qtitle .badge.solved"); got != "Solved" {
			t.Errorf("solved badge %q", got)
		}
		if got := b.text("section.solution .post.accepted .body"); !strings.Contains(got, "deep clean") {
			t.Errorf("solution section shows %q", got)
		}
		if !eval[bool](b, `!!(document.querySelector("section.solution").compareDocumentPosition(document.querySelector("section.answers")) & Node.DOCUMENT_POSITION_FOLLOWING)`) {
			t.Error("the solution is not shown before the other answers")
		}

		// The header search finds it by a word of the body; click through.
		b.do("type a search", chromedp.SendKeys(chromedp.ID("site-search"), "stripes"))
		b.follow("search", 200, chromedp.Click(chromedp.CSS(`form.search button[type=submit]`)))
		if got := b.text("ol.questions"); !strings.Contains(got, "Colours streak after changing the cyan cartridge") {
			t.Fatalf("search results: %q", got)
		}
		b.follow("open the search result", 200, chromedp.Click(chromedp.CSS(`ol.questions a[href="`+qpath+`"]`)))
		if got := b.text("#qtitle"); !strings.HasPrefix(got, "Colours streak after changing the cyan cartridge") {
			t.Errorf("search result led to %q", got)
		}

		// Our own script ran under the CSP: it stores the browser's time zone.
		if !eval[bool](b, `document.cookie.indexOf("tz=") >= 0`) {
			t.Error("/static/app.js did not run (no tz cookie): blocked by the CSP or broken")
		}
		b.assertClean()
	})
}

// checkSkipLink loads the home page and presses Tab once: focus must land on
// the skip link, which must point at #main, be visible when focused, and
// move focus to the main region when followed.
func checkSkipLink(t *testing.T, b *browserTab) {
	t.Helper()
	b.open("/", 200)
	b.do("press Tab", chromedp.KeyEvent(kb.Tab))
	if got := eval[string](b, `document.activeElement.className + " " + document.activeElement.getAttribute("href")`); got != "skip #main" {
		t.Errorf("first Tab stop is %q, want the skip link to #main", got)
	}
	if !eval[bool](b, `(r => r.left >= 0 && r.top >= 0 && r.width > 0)(document.activeElement.getBoundingClientRect())`) {
		t.Error("the focused skip link is off screen")
	}
	b.do("press Enter", chromedp.KeyEvent(kb.Enter))
	if got := eval[string](b, `location.hash + " " + document.activeElement.id`); got != "#main main" {
		t.Errorf("after following the skip link: %q, want focus on #main", got)
	}
}

// signInBrowser signs in through the development sign-in form.
func signInBrowser(t *testing.T, b *browserTab, handle string, roles ...string) {
	t.Helper()
	b.open("/dev/signin", 200)
	steps := []chromedp.Action[chromedp.Void]{chromedp.SendKeys(chromedp.ID("dev-handle"), handle)}
	for _, r := range roles {
		steps = append(steps, chromedp.Click(chromedp.CSS(`input[name=role][value="`+r+`"]`)))
	}
	b.do("fill the sign-in form", steps...)
	b.follow("sign in as "+handle, 200, chromedp.Click(chromedp.CSS(`form[action="/dev/signin"] button[type=submit]`)))
	if got := b.text("nav.account a.who"); got == "" {
		t.Fatalf("signed in as %s but the header shows no name", handle)
	}
}

// signOutBrowser presses the header's sign-out button.
func signOutBrowser(t *testing.T, b *browserTab) {
	t.Helper()
	b.follow("sign out", 200, chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	b.do("wait for the sign-in link", chromedp.WaitVisible(chromedp.CSS(`nav.account a[href="/signin"]`)))
}

// TestScreenshots captures the README screenshots from a server seeded with
// the demo content, at desktop and phone widths. It writes files, so it runs
// only when asked:
//
//	CROWDCARE_SCREENSHOTS=docs/screenshots go test ./app -run TestScreenshots
//
// A relative directory is taken from the repository root.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("CROWDCARE_SCREENSHOTS")
	if dir == "" {
		t.Skip("set CROWDCARE_SCREENSHOTS=docs/screenshots to capture the README screenshots")
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(testenv.Root(t), dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, testenv.SQLite)
	ctx := context.Background()
	if _, err := models.SeedDemo(ctx, ts.App.DB); err != nil {
		t.Fatalf("seed: %v", err)
	}
	solved := busiestSolved(t, ts)
	hindi := questionTitled(t, ts, "प्रिंटर वाई-फ़ाई से कनेक्ट नहीं हो रहा है")

	b := newBrowserTab(t, ts.URL)
	// The ask form with errors answers 422 on purpose; Chromium logs that.
	b.ignoreLogEntries(func(e *log.Entry) bool {
		return e.Source == log.EntrySourceNetwork && strings.Contains(e.Text, "status of 422")
	})
	signInBrowser(t, b, "kavya")
	for _, v := range []viewport{{"desktop", 1280, false}, {"mobile", 360, true}} {
		shot := func(name string, load func()) {
			b.screenshot(dir, name+"-"+v.Name+".png", v, load)
			if v.Mobile {
				checkPhoneLayout(t, b, name)
			}
		}
		shot("home", func() { b.open("/", 200) })
		shot("question", func() { b.open(solved, 200) })
		shot("unanswered", func() { b.open("/unanswered", 200) })
		shot("ask-errors", func() {
			b.open("/ask", 200)
			b.do("fill the ask form badly", chromedp.SendKeys(chromedp.ID("ask-title"), "Help"))
			b.follow("submit the bad question", 422, chromedp.Click(chromedp.CSS(`form[action="/ask"] button[type=submit]`)))
		})
	}
	// The expert program: the program page as an applicant, a thread with
	// a verified and an official answer, and the admins' review queue.
	verified := questionTitled(t, ts, "Ethernet adapter shows 'Limited connectivity'")
	official := questionTitled(t, ts, "Mesh router firmware 2.0.7 broke port forwarding")
	for _, v := range []viewport{{"desktop", 1280, false}, {"mobile", 360, true}} {
		shot := func(name string, load func()) {
			b.screenshot(dir, name+"-"+v.Name+".png", v, load)
			if v.Mobile {
				checkPhoneLayout(t, b, name)
			}
		}
		shot("experts", func() { b.open("/experts", 200) })
		shot("verified", func() { b.open(verified, 200) })
		shot("official", func() { b.open(official, 200) })
	}
	signOutBrowser(t, b)
	signInBrowser(t, b, "mira")
	for _, v := range []viewport{{"desktop", 1280, false}, {"mobile", 360, true}} {
		b.screenshot(dir, "dashboard-"+v.Name+".png", v, func() { b.open("/experts/dashboard", 200) })
		if v.Mobile {
			checkPhoneLayout(t, b, "dashboard")
		}
	}
	signOutBrowser(t, b)
	signInBrowser(t, b, "ada")
	for _, v := range []viewport{{"desktop", 1280, false}, {"mobile", 360, true}} {
		b.screenshot(dir, "admin-experts-"+v.Name+".png", v, func() { b.open("/admin/experts", 200) })
	}
	// Hindi, as a visitor who picks it in the footer's language form.
	signOutBrowser(t, b)
	b.open("/", 200)
	b.do("choose Hindi", chromedp.SetValue(chromedp.ID("lang-select"), "hi"))
	b.follow("switch language", 200, chromedp.Click(chromedp.CSS(`form.lang button[type=submit]`)))
	if lang := eval[string](b, `document.documentElement.lang`); lang != "hi" {
		t.Fatalf("after choosing Hindi the page is in %q", lang)
	}
	for _, v := range []viewport{{"desktop", 1280, false}, {"mobile", 360, true}} {
		b.screenshot(dir, "hindi-"+v.Name+".png", v, func() { b.open(hindi, 200) })
		if v.Mobile {
			checkPhoneLayout(t, b, "hindi")
		}
	}
	b.assertClean()
	screenshotProductDashboard(t, dir)
}

// screenshotProductDashboard imports ten days of a labelled trends-eval
// stream ending now, runs the detector over it, and captures the emerging
// issues and the busiest one as the product team sees them, on a forum of
// its own (the stream's questions would crowd the demo's).
func screenshotProductDashboard(t *testing.T, dir string) {
	t.Helper()
	ts := startServer(t, testenv.SQLite)
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Log("python3 is not installed: no product dashboard screenshots")
		return
	}
	gen := testenv.Shared(t, "trends-eval", "gen.py")
	out := t.TempDir()
	start := time.Now().UTC().Add(-10 * 24 * time.Hour).Truncate(time.Hour).Format("2006-01-02T15:04:05Z")
	cmd := exec.Command(python, gen, "--bank", filepath.Join(filepath.Dir(gen), "bank-public.json"), "--out", out,
		"--seed", "3", "--days", "10", "--rate", "6", "--start", start)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen.py: %v\n%s", err, msg)
	}
	f, err := os.Open(filepath.Join(out, "stream.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	if _, err := models.ImportJSONL(ctx, ts.App.DB, f, models.ImportOptions{}); err != nil {
		t.Fatalf("import: %v", err)
	}
	// The detector as the periodic job would have run it, hour by hour.
	from, _ := time.Parse("2006-01-02T15:04:05Z", start)
	for at := from.Add(time.Hour); at.Before(time.Now()); at = at.Add(time.Hour) {
		if _, err := models.RunTrends(ctx, ts.App.DB, models.TrendRunOptions{Until: at}); err != nil {
			t.Fatalf("detect: %v", err)
		}
	}
	var busiest int64
	ts.App.DB.Raw("SELECT id FROM emerging_issues WHERE scope = 0 ORDER BY question_count DESC, id LIMIT 1").Scan(&busiest)
	if busiest == 0 {
		t.Fatal("the detector found no issue in the imported stream")
	}
	b := newBrowserTab(t, ts.URL)
	signInBrowser(t, b, "nora", "product")
	for _, v := range []viewport{{"desktop", 1280, false}, {"mobile", 360, true}} {
		b.screenshot(dir, "product-issues-"+v.Name+".png", v, func() { b.open("/product/issues", 200) })
		b.screenshot(dir, "product-issue-"+v.Name+".png", v, func() { b.open(fmt.Sprintf("/product/issues/%d", busiest), 200) })
		if v.Mobile {
			checkPhoneLayout(t, b, "product-issue")
		}
	}
	b.assertClean()
}

// checkPhoneLayout fails on what makes a phone layout look broken: a page
// wider than the screen, main tabs that need scrolling, or header account
// links broken over two lines.
func checkPhoneLayout(t *testing.T, b *browserTab, name string) {
	t.Helper()
	for _, p := range eval[[]string](b, `(() => {
	  const bad = [];
	  const w = document.documentElement.scrollWidth;
	  if (w > window.innerWidth) bad.push("the page is " + w + " px wide on a " + window.innerWidth + " px screen");
	  const tabs = document.querySelector("nav.tabs");
	  if (tabs.scrollWidth > tabs.clientWidth) bad.push("the main tabs overflow by " + (tabs.scrollWidth - tabs.clientWidth) + " px");
	  for (const el of document.querySelectorAll("nav.account > *")) {
	    if (el.getBoundingClientRect().height > 40) bad.push("header item wraps: " + el.textContent.trim());
	  }
	  return bad;
	})()`) {
		t.Errorf("%s at phone width: %s", name, p)
	}
}

// busiestSolved returns the path of the solved question with most answers.
func busiestSolved(t *testing.T, ts *testServer) string {
	t.Helper()
	qs, _, err := models.ListQuestions(context.Background(), ts.App.DB, nil, models.ListOptions{Kind: models.ListSolved})
	if err != nil || len(qs) == 0 {
		t.Fatalf("no solved question in the demo seed: %v", err)
	}
	best := qs[0]
	for _, q := range qs {
		if q.AnswerCount > best.AnswerCount {
			best = q
		}
	}
	return "/q/" + strconv.FormatInt(best.ID, 10)
}

// questionTitled returns the path of the latest question with this title.
func questionTitled(t *testing.T, ts *testServer, title string) string {
	t.Helper()
	var q models.Question
	if err := ts.App.DB.Where("title = ?", title).Order("id DESC").First(&q).Error; err != nil {
		t.Fatalf("question %q: %v", title, err)
	}
	return "/q/" + strconv.FormatInt(q.ID, 10)
}
