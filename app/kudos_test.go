package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/models"
)

// pointRulesForm is a valid submission of the admin rules form: the
// default rules and settings.
func pointRulesForm() url.Values {
	return url.Values{
		"points_kudos_received": {"10"}, "capped_kudos_received": {"1"},
		"points_answer_accepted": {"15"}, "points_accepted_an_answer": {"2"}, "points_answer_validated": {"10"},
		"points_question_posted": {"2"}, "capped_question_posted": {"1"},
		"points_answer_posted": {"2"}, "capped_answer_posted": {"1"},
		"setting_points.daily_cap": {"200"}, "setting_kudos.daily_limit": {"50"},
		"setting_kudos.min_account_age_hours": {"24"}, "setting_kudos.min_points": {"5"},
	}
}

// makeVeteran backdates a user and gives them 10 points through the
// ledger, so their kudos count.
func makeVeteran(t *testing.T, db *gorm.DB, handle string) *models.User {
	t.Helper()
	u, err := models.UserByHandle(context.Background(), db, handle)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("UPDATE users SET created_at = ? WHERE id = ?", time.Now().UTC().Add(-72*time.Hour), u.ID).Error; err != nil {
		t.Fatal(err)
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		_, _, err := models.Award(tx, models.PointEvent{UserID: u.ID, Reason: models.ReasonAnswerValidated, AwardKey: "seed:" + handle})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func userPoints(t *testing.T, db *gorm.DB, handle string) int {
	t.Helper()
	var n int
	if err := db.Raw("SELECT points FROM users WHERE handle = ?", handle).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// kudosJSON sends the script's request: the token in X-CSRF-Token, JSON
// asked for.
func (c *client) kudosJSON(postID int64, give string) (response, map[string]any) {
	c.ts.t.Helper()
	token := c.token()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/posts/%d/kudos", c.ts.URL, postID), strings.NewReader(url.Values{"give": {give}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", token)
	r := c.do(req)
	var out map[string]any
	_ = json.Unmarshal([]byte(r.Body), &out)
	return r, out
}

func TestKudosOverHTTP(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		db := ts.App.DB
		giver := ts.client()
		giver.signIn("gita")
		makeVeteran(t, db, "gita")
		var answerAuthor string
		db.Raw("SELECT u.handle FROM posts p JOIN users u ON u.id = p.author_id WHERE p.id = ?", f.answerID).Scan(&answerAuthor)
		base := userPoints(t, db, answerAuthor)
		kudos := fmt.Sprintf("/posts/%d/kudos", f.answerID)

		// Without JavaScript: a form post and a redirect to the post.
		r := giver.post(kudos, url.Values{"give": {"1"}})
		mustStatus(t, r, http.StatusSeeOther)
		if want := fmt.Sprintf("/q/%d#post-%d", f.qID, f.answerID); r.Location != want {
			t.Fatalf("redirect to %q, want %q", r.Location, want)
		}
		mustStatus(t, giver.post(kudos, url.Values{"give": {"1"}}), http.StatusSeeOther) // a double click
		if got := userPoints(t, db, answerAuthor); got != base+10 {
			t.Fatalf("author has %d points, want %d", got, base+10)
		}
		page := giver.get(fmt.Sprintf("/q/%d", f.qID))
		if !strings.Contains(page.Body, `aria-pressed="true"`) || !strings.Contains(page.Body, "1 kudos") {
			t.Error("the giver's page does not show the pressed button and the count")
		}
		visitor := f.visitor.get(fmt.Sprintf("/q/%d", f.qID))
		if !strings.Contains(visitor.Body, "1 kudos") || strings.Contains(visitor.Body, `action="`+kudos+`"`) {
			t.Error("a visitor does not see the count, or sees the button")
		}

		// The script's path: JSON in, JSON out, the token in a header.
		r, out := giver.kudosJSON(f.answerID, "0")
		mustStatus(t, r, http.StatusOK)
		if out["count"] != float64(0) || out["given"] != false || out["label"] != "0 kudos" {
			t.Fatalf("withdraw JSON: %v", out)
		}
		r, out = giver.kudosJSON(f.answerID, "1")
		if r.Status != http.StatusOK || out["count"] != float64(1) || out["given"] != true {
			t.Fatalf("give JSON: %d %v", r.Status, out)
		}
		if got := userPoints(t, db, answerAuthor); got != base+10 {
			t.Fatalf("after withdraw and give again the author has %d points, want %d", got, base+10)
		}
		// Without the field the form toggles.
		mustStatus(t, giver.post(kudos, nil), http.StatusSeeOther)
		if got := userPoints(t, db, answerAuthor); got != base {
			t.Fatalf("after the toggle the author has %d points, want %d", got, base)
		}

		// Refusals.
		mustStatus(t, giver.postRaw(kudos, url.Values{"give": {"1"}}), http.StatusForbidden) // no CSRF token
		mustStatus(t, f.visitor.post(kudos, url.Values{"give": {"1"}}), http.StatusUnauthorized)
		mustStatus(t, giver.post("/posts/99999999/kudos", nil), http.StatusNotFound)
		var ownPost int64
		db.Raw("SELECT p.id FROM posts p JOIN users u ON u.id = p.author_id WHERE u.handle = ? AND p.deleted_at IS NULL LIMIT 1", answerAuthor).Scan(&ownPost)
		author := ts.client()
		author.signIn(answerAuthor)
		mustStatus(t, author.post(fmt.Sprintf("/posts/%d/kudos", ownPost), nil), http.StatusForbidden)
		if r, out := author.kudosJSON(ownPost, "1"); r.Status != http.StatusForbidden || out["error"] == "" {
			t.Errorf("own post over JSON: %d %v", r.Status, out)
		}
		privQ := mustAsk(t, f.admin, f.staffBoard, "Staff only: next firmware", "Not public yet.", "")
		var privPost int64
		db.Raw("SELECT id FROM posts WHERE question_id = ?", privQ).Scan(&privPost)
		mustStatus(t, giver.post(fmt.Sprintf("/posts/%d/kudos", privPost), nil), http.StatusNotFound)

		// The daily limit answers 429 with a message.
		db.Model(&models.Setting{}).Where("name = ?", models.SettingKudosDailyLimit).Update("value", "2") // two given already today
		r, out = giver.kudosJSON(f.answerID, "1")
		if r.Status != http.StatusTooManyRequests || !strings.Contains(fmt.Sprint(out["error"]), "today") {
			t.Fatalf("over the limit: %d %v", r.Status, out)
		}
		r = giver.post(kudos, url.Values{"give": {"1"}})
		mustStatus(t, r, http.StatusTooManyRequests)

		// The ledger explains the points.
		ledger := f.visitor.get("/u/" + answerAuthor + "/points")
		mustStatus(t, ledger, http.StatusOK)
		for _, want := range []string{"Kudos received", "Kudos withdrawn", fmt.Sprintf("#post-%d", f.answerID)} {
			if !strings.Contains(ledger.Body, want) {
				t.Errorf("ledger page lacks %q", want)
			}
		}
	})
}

func TestAdminPoints(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		db := ts.App.DB
		admin, member := ts.client(), ts.client()
		admin.signIn("ada", "admin")
		member.signIn("max", "moderator")
		mustStatus(t, ts.client().get("/admin/points"), http.StatusUnauthorized)
		mustStatus(t, member.get("/admin/points"), http.StatusForbidden)
		mustStatus(t, member.post("/admin/points/rules", pointRulesForm()), http.StatusForbidden)
		page := admin.get("/admin/points")
		mustStatus(t, page, http.StatusOK)
		if !strings.Contains(page.Body, `name="points_kudos_received"`) || !strings.Contains(page.Body, "Guru") {
			t.Fatal("admin points page lacks the rules or ranks")
		}

		rule := func(reason string) (p int) {
			db.Raw("SELECT points FROM point_rules WHERE reason = ?", reason).Scan(&p)
			return
		}
		setting := func(name string) (v string) {
			db.Raw("SELECT value FROM settings WHERE name = ?", name).Scan(&v)
			return
		}
		audits := func(action string) (n int64) {
			db.Table("audit_log").Where("action = ?", action).Count(&n)
			return
		}

		// One bad value saves nothing, not even the good ones beside it.
		for _, bad := range []url.Values{
			{"points_kudos_received": {"100000"}},
			{"points_kudos_received": {"ten"}},
			{"setting_points.daily_cap": {"-1"}},
			{"setting_kudos.daily_limit": {""}},
		} {
			form := pointRulesForm()
			form.Set("points_answer_accepted", "20")
			for k, v := range bad {
				form[k] = v
			}
			r := admin.post("/admin/points/rules", form)
			mustStatus(t, r, http.StatusUnprocessableEntity)
			if rule(models.ReasonAnswerAccepted) != 15 || setting(models.SettingDailyCap) != "200" {
				t.Fatalf("a refused form (%v) wrote something", bad)
			}
		}
		form := pointRulesForm()
		form.Set("points_kudos_received", "12")
		form.Set("setting_points.daily_cap", "300")
		form.Del("capped_question_posted")
		mustStatus(t, admin.post("/admin/points/rules", form), http.StatusSeeOther)
		var capped bool
		db.Raw("SELECT daily_capped FROM point_rules WHERE reason = ?", models.ReasonQuestionPosted).Scan(&capped)
		if rule(models.ReasonKudosReceived) != 12 || setting(models.SettingDailyCap) != "300" || capped {
			t.Fatal("valid rules were not saved")
		}
		if audits("points.rule") != 2 || audits("points.setting") != 1 {
			t.Fatalf("audit: %d rule and %d setting entries, want 2 and 1", audits("points.rule"), audits("points.setting"))
		}

		// Ranks: validation, creation with a perk board, the base rank stays.
		r := admin.post("/admin/boards", url.Values{"name": {"Early access"}, "slug": {"early-access"}, "visibility": {"experts"}})
		mustStatus(t, r, http.StatusSeeOther)
		var boardID int64
		db.Raw("SELECT id FROM boards WHERE slug = 'early-access'").Scan(&boardID)
		for _, bad := range []url.Values{
			{"name": {"Dup"}, "threshold": {"50"}},
			{"name": {""}, "threshold": {"10"}},
			{"name": {"Neg"}, "threshold": {"-5"}},
			{"name": {"Board"}, "threshold": {"10"}, "perk_board": {"999999"}},
		} {
			mustStatus(t, admin.post("/admin/points/ranks", bad), http.StatusUnprocessableEntity)
		}
		mustStatus(t, admin.post("/admin/points/ranks", url.Values{"name": {"Insider"}, "threshold": {"100"}, "perk_board": {fmt.Sprint(boardID)}}), http.StatusSeeOther)
		var perk int64
		db.Raw("SELECT perk_board_id FROM ranks WHERE name = 'Insider'").Scan(&perk)
		if perk != boardID || audits("rank.create") != 1 {
			t.Fatalf("rank not created with its perk (perk %d)", perk)
		}
		var baseID int64
		db.Raw("SELECT id FROM ranks WHERE threshold = 0").Scan(&baseID)
		mustStatus(t, admin.post(fmt.Sprintf("/admin/points/ranks/%d/delete", baseID), nil), http.StatusUnprocessableEntity)
		mustStatus(t, admin.post(fmt.Sprintf("/admin/points/ranks/%d", baseID), url.Values{"name": {"Newbie"}, "threshold": {"5"}}), http.StatusUnprocessableEntity)
		mustStatus(t, admin.post(fmt.Sprintf("/admin/points/ranks/%d", baseID), url.Values{"name": {"Newbie"}, "threshold": {"0"}}), http.StatusSeeOther)
		mustStatus(t, member.post(fmt.Sprintf("/admin/points/ranks/%d", baseID), url.Values{"name": {"Hacked"}, "threshold": {"0"}}), http.StatusForbidden)
		var name string
		db.Raw("SELECT name FROM ranks WHERE id = ?", baseID).Scan(&name)
		if name != "Newbie" || audits("rank.update") != 1 {
			t.Fatalf("base rank is %q after the updates", name)
		}

		// The perk: a member reaching Insider reads the experts-only board.
		qID := mustAsk(t, admin, "early-access", "Firmware 5.0 preview notes", "For insiders.", "")
		pia := ts.client()
		pia.signIn("pia")
		paths := []string{"/b/early-access", fmt.Sprintf("/q/%d", qID)}
		for _, p := range paths {
			mustStatus(t, pia.get(p), http.StatusNotFound)
		}
		for _, p := range []string{"/", "/search?q=firmware+preview", "/u/ada"} {
			if strings.Contains(pia.get(p).Body, "Firmware 5.0 preview") {
				t.Fatalf("%s shows a perk board's question to a member without the rank", p)
			}
		}
		u := makeVeteran(t, db, "pia")
		err := db.Transaction(func(tx *gorm.DB) error {
			_, _, err := models.Award(tx, models.PointEvent{UserID: u.ID, Reason: models.ReasonAnswerAccepted, Points: 90, AwardKey: "test:pia"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			mustStatus(t, pia.get(p), http.StatusOK)
		}
		for _, p := range []string{"/", "/b/early-access", "/search?q=firmware+preview", "/u/ada"} {
			if !strings.Contains(pia.get(p).Body, "Firmware 5.0 preview") {
				t.Errorf("%s does not list the perk board's question to an Insider", p)
			}
		}
		if !strings.Contains(pia.get("/boards").Body, "/b/early-access") {
			t.Error("the boards page does not list the perk board to an Insider")
		}
		mustStatus(t, pia.post(fmt.Sprintf("/q/%d/answers", qID), url.Values{"body": {"Thanks for the preview."}}), http.StatusSeeOther)
	})
}

// TestBrowserKudos presses the kudos button in headless Chromium: the
// script sends it with fetch and updates the count and the pressed state
// without reloading the page; pressing again withdraws.
func TestBrowserKudos(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		b := newBrowserTab(t, ts.URL)
		signInBrowser(t, b, "gita")
		makeVeteran(t, ts.App.DB, "gita")
		b.open(fmt.Sprintf("/q/%d", f.qID), 200)
		b.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
		button := fmt.Sprintf("#post-%d .kudos-button", f.answerID)
		count := fmt.Sprintf(`document.querySelector("#post-%d .kudos-count").textContent`, f.answerID)
		press := func(wantCount, wantPressed string) {
			t.Helper()
			b.do("press kudos", chromedp.Click(chromedp.CSS(button)))
			deadline := time.Now().Add(10 * time.Second)
			for eval[string](b, count) != wantCount {
				if time.Now().After(deadline) {
					t.Fatalf("count shows %q, want %q", eval[string](b, count), wantCount)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if got := eval[string](b, fmt.Sprintf(`document.querySelector(%q).getAttribute("aria-pressed")`, button)); got != wantPressed {
				t.Errorf("aria-pressed %q, want %q", got, wantPressed)
			}
			if !eval[bool](b, `window.notReloaded === true`) {
				t.Fatal("the page reloaded")
			}
		}
		press("1 kudos", "true")
		var live int64
		ts.App.DB.Model(&models.Kudos{}).Where("post_id = ? AND withdrawn_at IS NULL", f.answerID).Count(&live)
		if live != 1 {
			t.Fatalf("%d live kudos after the press, want 1", live)
		}
		press("0 kudos", "false")
		press("1 kudos", "true")
		b.assertClean()
	})
}
