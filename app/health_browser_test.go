package app

import (
	"context"
	"os"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// TestSavedReplyInsertsInBrowser: a moderator on a question page presses
// "Insert saved reply", picks one and finds it in the answer editor,
// after what they had typed. With CROWDCARE_HEALTH_SHOTS=DIR it also
// captures the health dashboard at 1280 and 360 px (DESIGN's phone checks
// apply).
func TestSavedReplyInsertsInBrowser(t *testing.T) {
	ts := startServer(t, testenv.SQLite)
	ctx := context.Background()
	if _, err := models.SeedDemo(ctx, ts.App.DB); err != nil {
		t.Fatalf("seed: %v", err)
	}
	b := newBrowserTab(t, ts.URL)
	signInBrowser(t, b, "ada", "admin")
	var admin models.User
	ts.App.DB.Where("handle = ?", "ada").First(&admin)
	admin.Roles = []models.Role{models.RoleAdmin}
	for _, r := range []models.SavedReplyInput{{Title: "Warranty", Body: "See the warranty page."}, {Title: "Reset the printer", Body: "Hold the **power** button for 10 s."}} {
		if _, err := models.SaveSavedReply(ctx, ts.App.DB, &admin, 0, r); err != nil {
			t.Fatal(err)
		}
	}
	q := busiestSolved(t, ts)
	b.open(q, 200)
	b.do("type a greeting", chromedp.SendKeys(chromedp.ID("answer-body"), "Hello!"))
	b.do("open the saved replies", chromedp.Click(chromedp.CSS("a.saved-reply-link")))
	b.do("wait for the list", chromedp.WaitVisible(chromedp.ID("saved-reply-select")))
	b.do("pick a reply", chromedp.SetValue(chromedp.ID("saved-reply-select"), "2"))
	b.do("insert it", chromedp.Click(chromedp.CSS(".saved-reply-picker button")))
	got := eval[string](b, `document.getElementById("answer-body").value`)
	if got != "Hello!\nHold the **power** button for 10 s." {
		t.Errorf("editor holds %q", got)
	}
	if dir := os.Getenv("CROWDCARE_HEALTH_SHOTS"); dir != "" {
		for _, v := range []viewport{{"desktop", 1280, false}, {"mobile", 360, true}} {
			b.screenshot(dir, "health-"+v.Name+".png", v, func() { b.open("/admin/health?period=90", 200) })
			if v.Mobile {
				checkPhoneLayout(t, b, "health")
			}
			b.screenshot(dir, "exports-"+v.Name+".png", v, func() { b.open("/admin/exports", 200) })
		}
	}
	b.assertClean()
}
