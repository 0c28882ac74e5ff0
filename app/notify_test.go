package app

import (
	"context"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crowdcare/crowdcare/jobs"
	"github.com/crowdcare/crowdcare/models"
)

func init() {
	snapshotQueries = append(snapshotQueries,
		struct{ name, sql string }{"follows", "SELECT COUNT(*) FROM follows"},
		struct{ name, sql string }{"notification_prefs", "SELECT COUNT(*) FROM notification_prefs"},
		struct{ name, sql string }{"notification prefs modes", "SELECT COALESCE(SUM(LENGTH(email_mode)), 0) FROM notification_prefs"},
		struct{ name, sql string }{"notifications", "SELECT COUNT(*) FROM notifications"},
		struct{ name, sql string }{"notification_digests", "SELECT COUNT(*) FROM notification_digests"},
		struct{ name, sql string }{"asker_reminders", "SELECT COUNT(*) FROM asker_reminders"},
		struct{ name, sql string }{"time zones", "SELECT COALESCE(SUM(LENGTH(time_zone)), 0) FROM users"})
	moreValidForms = append(moreValidForms, func(f *qaFixture) map[string]url.Values {
		tok := models.SignUnsubscribe(f.admin.ts.App.secret, models.Unsubscribe{UserID: 1, Action: models.UnsubscribeAll, Expires: time.Now().Add(time.Hour)})
		return map[string]url.Values{
			"/follow":                 {"type": {"board"}, "target": {f.board}, "action": {"follow"}},
			"/settings/notifications": {"email_mode": {"daily"}, "time_zone": {"Asia/Kolkata"}},
			"/unsubscribe":            {"t": {tok}},
		}
	})
	moreDynamicIDs = append(moreDynamicIDs, func() map[string]string {
		out := map[string]string{}
		for _, m := range models.EmailModes {
			out["notify.mode."+m] = "templates/pages/notify_settings.html (notify.mode.%s)"
		}
		for _, typ := range []string{models.FollowBoard, models.FollowTag, models.FollowQuestion} {
			out["notify.target."+typ] = "templates/pages/notify_settings.html (notify.target.%s)"
			out["notify.follow_"+typ] = "templates/partials/follow.html (notify.follow_%s)"
			out["notify.unfollow_"+typ] = "templates/partials/follow.html (notify.unfollow_%s)"
		}
		for _, m := range []string{models.EmailDaily, models.EmailWeekly} {
			out["notify.digest.subject_"+m] = "jobs/notify.go (notify.digest.subject_%s)"
			out["notify.digest.intro_"+m] = "jobs/notify.go (notify.digest.intro_%s)"
		}
		for _, id := range []string{"notify.mail.footer", "notify.mail.preferences", "notify.mail.unfollow", "notify.mail.unsubscribe", "status.410"} {
			out[id] = "jobs/notify.go"
		}
		return out
	})
	moreSampleArgs = append(moreSampleArgs, "Email", "asha@example.com", "URL", "https://example.com/x", "Date", "2026-11-02")
	moreTemplateCases = append(moreTemplateCases, notifyTemplateCases)
}

func notifyTemplateCases() []templateCase {
	u := &models.User{ID: 3, Handle: "asha", DisplayName: "Asha", Email: "asha@example.com", EmailVerified: true, TimeZone: "Asia/Kolkata"}
	follows := []models.FollowTarget{{Type: "board", ID: 1, Key: "printers", Name: "LaserJet printers", URL: "/b/printers"},
		{Type: "tag", ID: 2, Key: "wifi", Name: "#wifi", URL: "/tags/wifi"}, {Type: "question", ID: 7, Key: "7", Name: "Printer shows E-301", URL: "/q/7"}}
	qid := int64(7)
	now := time.Now()
	var items []models.NotificationView
	for i, k := range []string{models.NotifyAnswered, models.NotifyReplyFollowed, models.NotifyQuestionFollow, models.NotifyMention,
		models.NotifyAccepted, models.NotifyKudos, models.NotifyBadgeEarned, models.NotifyRankReached, models.NotifyRemindAccept} {
		n := models.NotificationView{Notification: models.Notification{ID: int64(20 - i), Kind: k, URL: "/q/7", CreatedAt: now}, QuestionTitle: "Printer shows E-301", ActorName: "Omar"}
		switch k {
		case models.NotifyKudos:
			n.Detail = "3"
		case models.NotifyBadgeEarned:
			n.Detail, n.QuestionID = "First answer", nil
		case models.NotifyRankReached:
			n.Detail = "Helper"
		case models.NotifyRemindAccept:
			n.Detail = "3"
		default:
			n.QuestionID = &qid
		}
		items = append(items, n)
	}
	return []templateCase{
		{name: "notify_settings", label: "saved", status: 200, path: "/settings/notifications?saved=1", user: u,
			page: &Page{Title: "notify.settings.title", Form: url.Values{"email_mode": {"daily"}, "time_zone": {"Asia/Kolkata"}},
				Data: &notifySettingsData{Modes: models.EmailModes, Follows: follows, Saved: true, Email: u.Email, Verified: true}},
			want: []string{"Notification settings saved.", "A daily digest", `value="daily" checked`, "LaserJet printers", "#wifi", "Mails go to asha@example.com"}},
		{name: "notify_settings", label: "bad time zone", status: 422, path: "/settings/notifications", user: u,
			page: &Page{Title: "notify.settings.title", Form: url.Values{"email_mode": {"event"}, "time_zone": {"Mars/Olympus"}},
				Errors: fieldErr("time_zone", "error.invalid", nil), Data: &notifySettingsData{Modes: models.EmailModes}},
			want: []string{`value="Mars/Olympus"`, "You follow nothing yet", "no verified email"}},
		{name: "unsubscribe", label: "ask", status: 200, path: "/unsubscribe?t=x",
			page: &Page{Title: "notify.unsubscribe.title", Data: &unsubscribeData{Token: "tok123"}},
			want: []string{"Stop all notification mails", `value="tok123"`}},
		{name: "unsubscribe", label: "done follow", status: 200, path: "/unsubscribe",
			page: &Page{Title: "notify.unsubscribe.title", Data: &unsubscribeData{Subject: "LaserJet printers", Follow: true, Done: true}},
			want: []string{"you no longer follow “LaserJet printers”"}},
		{name: "notifications", label: "member activity", status: 200, path: "/notifications", user: u,
			page: &Page{Title: "notify.title", Data: &notificationsData{Items: items}},
			want: []string{"Omar answered your question “Printer shows E-301”", "3 people gave kudos to your post", "You earned the badge “First answer”",
				"You reached the rank Helper", "Omar mentioned you", "please accept it"}},
	}
}

// dropMemberNotifications deletes, once the jobs are done, the
// notifications of members' activity (answers, mentions, kudos, automatic
// badges), for tests about other kinds.
func dropMemberNotifications(t *testing.T, ts *testServer) {
	t.Helper()
	waitTagCounts(t, ts)
	kinds := []string{models.NotifyAnswered, models.NotifyReplyFollowed, models.NotifyQuestionFollow, models.NotifyMention,
		models.NotifyAccepted, models.NotifyKudos, models.NotifyBadgeEarned, models.NotifyRankReached, models.NotifyRemindAccept}
	if err := ts.App.DB.Exec("DELETE FROM notifications WHERE kind IN ?", kinds).Error; err != nil {
		t.Fatal(err)
	}
}

// notifyMux is the worker's task handlers with a clock of the test's.
func notifyMux(ts *testServer, now time.Time) *asynq.ServeMux {
	d := ts.App.jobDeps(jobs.DirMailer{Dir: ts.App.Cfg.MailDir(), From: ts.App.Cfg.MailFrom})
	d.Now = func() time.Time { return now }
	return jobs.NewMux(d)
}

// redeliver runs every outbox task of the given kinds again, twice, as
// asynq's at-least-once delivery may.
func redeliver(t *testing.T, ts *testServer, after int64, kinds ...string) {
	t.Helper()
	var ms []models.OutboxMessage
	ts.App.DB.Where("kind IN ? AND id > ?", kinds, after).Order("id").Find(&ms)
	mux := notifyMux(ts, time.Now())
	for i := 0; i < 2; i++ {
		for _, m := range ms {
			if err := mux.ProcessTask(context.Background(), asynq.NewTask(m.Kind, []byte(m.Payload))); err != nil {
				t.Fatalf("redeliver %s: %v", m.Kind, err)
			}
		}
	}
	waitTagCounts(t, ts)
}

type notifRow struct {
	Handle, Kind, Detail string
	QuestionID           *int64
}

// notifs lists every notification as "handle kind" (with detail for kudos).
func notifs(t *testing.T, ts *testServer) []string {
	t.Helper()
	var rows []notifRow
	ts.App.DB.Raw("SELECT u.handle, n.kind, n.detail, n.question_id FROM notifications n JOIN users u ON u.id = n.user_id ORDER BY u.handle, n.kind, n.id").Scan(&rows)
	var out []string
	for _, r := range rows {
		s := r.Handle + " " + r.Kind
		if r.Kind == models.NotifyKudos {
			s += " " + r.Detail
		}
		out = append(out, s)
	}
	return out
}

func userID(t *testing.T, ts *testServer, handle string) int64 {
	t.Helper()
	var id int64
	ts.App.DB.Raw("SELECT id FROM users WHERE handle = ?", handle).Scan(&id)
	if id == 0 {
		t.Fatalf("no user %s", handle)
	}
	return id
}

func setEmail(t *testing.T, ts *testServer, handle string) {
	t.Helper()
	if err := ts.App.DB.Exec("UPDATE users SET email = ?, email_verified = ? WHERE handle = ?", handle+"@example.com", true, handle).Error; err != nil {
		t.Fatal(err)
	}
}

// TestNotificationsArriveOnce: answers, follows, mentions, acceptance,
// kudos (batched) and badges each notify the right people once, however
// often their tasks are delivered, and never the actor.
func TestNotificationsArriveOnce(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		mina, lee := ts.client(), ts.client()
		mina.signIn("mina")
		lee.signIn("lee")
		waitTagCounts(t, ts)
		ts.App.DB.Exec("DELETE FROM notifications") // the fixture's own
		var mark int64
		ts.App.DB.Raw("SELECT COALESCE(MAX(id), 0) FROM outbox").Scan(&mark)
		q := mustAsk(t, f.asker, f.board, "Scanner jams on page two", "It jams. @omar have you seen this? Also @asha (me) and @nobody.", "scanner")
		mustStatus(t, mina.post("/follow", url.Values{"type": {"question"}, "target": {fmt.Sprint(q)}, "action": {"follow"}, "next": {"//evil.example"}}), http.StatusSeeOther)
		a1 := mustAnswer(t, f.other, q, "Clean the rollers, @mina.")
		a2 := mustAnswer(t, lee, q, "Same here, and updating the firmware fixed it.")
		waitTagCounts(t, ts)
		mustStatus(t, f.asker.post(fmt.Sprintf("/q/%d/accept", q), url.Values{"answer_id": {fmt.Sprint(a1)}}), http.StatusSeeOther)
		for _, c := range []*client{mina, lee, f.admin} {
			mustStatus(t, c.post(fmt.Sprintf("/posts/%d/kudos", a1), url.Values{"give": {"1"}}), http.StatusSeeOther)
		}
		mustStatus(t, f.other.post(fmt.Sprintf("/posts/%d/kudos", a2), url.Values{"give": {"1"}}), http.StatusSeeOther)
		waitTagCounts(t, ts)
		want := []string{
			"asha answered", "asha answered", // a1 and a2, each once
			"lee kudos 1",
			"mina mention", "mina reply_followed", // a1 mentions her; a2 is a reply in a question she follows
			"omar answer_accepted", "omar kudos 3", "omar mention", "omar reply_followed",
		}
		badges := func() int64 {
			var n int64
			ts.App.DB.Raw("SELECT COUNT(*) FROM notifications WHERE kind IN ?", []string{models.NotifyBadgeEarned, models.NotifyRankReached}).Scan(&n)
			return n
		}
		nBadges := badges()
		check := func(when string) {
			t.Helper()
			var got []string
			for _, g := range notifs(t, ts) {
				if !strings.Contains(g, models.NotifyBadgeEarned) && !strings.Contains(g, models.NotifyRankReached) {
					got = append(got, g)
				}
			}
			sort.Strings(got)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: notifications\n%s\nwant\n%s", when, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if b := badges(); b != nBadges || b == 0 {
				t.Errorf("%s: %d badge and rank notifications, want %d (not 0)", when, b, nBadges)
			}
		}
		check("first delivery")
		redeliver(t, ts, mark, models.TaskNotifyPost, models.TaskNotifyKudos, models.TaskNotifyAccepted, models.TaskBadgeCheck)
		check("after redelivery")
		// The kudos notification is one row that came back unread.
		var unread int64
		ts.App.DB.Raw("SELECT COUNT(*) FROM notifications WHERE kind = ? AND read_at IS NULL", models.NotifyKudos).Scan(&unread)
		if unread != 2 {
			t.Errorf("unread kudos notifications: %d", unread)
		}
		page := f.other.get("/notifications")
		mustStatus(t, page, http.StatusOK)
		if !strings.Contains(page.Body, "3 people gave kudos to your post in “Scanner jams on page two”") {
			t.Errorf("omar's notifications page lacks the kudos sentence")
		}
		// The asker and answerers follow the question; the follow page lists it.
		for _, c := range []*client{f.asker, f.other, lee} {
			s := c.get("/settings/notifications")
			mustStatus(t, s, http.StatusOK)
			if !strings.Contains(s.Body, "Scanner jams on page two") {
				t.Error("a participant does not follow the question")
			}
		}
		qp := mina.get(fmt.Sprintf("/q/%d", q))
		if !strings.Contains(qp.Body, "Unfollow this question") {
			t.Error("the question page shows no unfollow button to a follower")
		}
	})
}

// TestNotificationsRespectVisibility: mentions and follows of a private
// board never notify someone who cannot read it, and a notification about
// a board that becomes private later disappears from the list, the count
// and the mails.
func TestNotificationsRespectVisibility(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		mina := ts.client()
		mina.signIn("mina")
		setEmail(t, ts, "mina")
		waitTagCounts(t, ts)
		noWrite(t, ts, func() {
			checkErrorPage(t, mina.post("/follow", url.Values{"type": {"board"}, "target": {f.staffBoard}, "action": {"follow"}}), http.StatusNotFound)
			checkErrorPage(t, mina.post("/follow", url.Values{"type": {"board"}, "target": {"no-such-board"}, "action": {"follow"}}), http.StatusNotFound)
			checkErrorPage(t, mina.post("/follow", url.Values{"type": {"question"}, "target": {"999999"}, "action": {"follow"}}), http.StatusNotFound)
			checkErrorPage(t, mina.post("/follow", url.Values{"type": {"tag"}, "target": {"no-such-tag"}, "action": {"follow"}}), http.StatusNotFound)
			checkErrorPage(t, mina.post("/follow", url.Values{"type": {"user"}, "target": {"1"}, "action": {"follow"}}), http.StatusNotFound)
			checkErrorPage(t, mina.post("/follow", url.Values{"type": {"board"}, "target": {f.board}, "action": {"maybe"}}), http.StatusBadRequest)
		})
		mustAsk(t, f.admin, f.staffBoard, "Internal: recall plan", "@mina should never hear of this.", "wifi")
		mustStatus(t, mina.post("/follow", url.Values{"type": {"board"}, "target": {f.board}, "action": {"follow"}}), http.StatusSeeOther)
		mustStatus(t, mina.post("/follow", url.Values{"type": {"tag"}, "target": {"wifi"}, "action": {"follow"}}), http.StatusSeeOther)
		mustAsk(t, f.asker, f.board, "Wi-Fi drops on the printer", "Every hour it drops.", "printer")
		waitTagCounts(t, ts)
		mustAsk(t, f.admin, f.staffBoard, "Internal: wifi chip shortage", "Tagged wifi, staff only. @mina", "wifi")
		waitTagCounts(t, ts)
		got := notifs(t, ts)
		var minas []string
		for _, g := range got {
			if strings.HasPrefix(g, "mina ") {
				minas = append(minas, g)
			}
		}
		if strings.Join(minas, ",") != "mina question_followed" {
			t.Fatalf("mina's notifications: %v", minas)
		}
		page := mina.get("/notifications")
		if !strings.Contains(page.Body, "Wi-Fi drops on the printer") || strings.Contains(page.Body, "Internal") {
			t.Errorf("notifications page:\n%s", page.Body)
		}
		sweepMails(t, ts)
		mails := waitMails(t, ts, 1)
		if len(mails) != 1 || !strings.Contains(mails[0].Text, "Wi-Fi drops on the printer") {
			t.Fatalf("mina's per-event mails: %+v", mails)
		}
		m := mails[0]
		if !strings.HasPrefix(m.Header.Get("List-Unsubscribe"), "<"+ts.URL+"/unsubscribe/one-click?t=") || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Errorf("unsubscribe headers: %v", m.Header)
		}
		if !strings.Contains(m.Text, "Stop following Printers: "+ts.URL+"/unsubscribe?t=") {
			t.Errorf("the mail has no link to stop following the board:\n%s", m.Text)
		}
		// The board turns private: the notification is hidden everywhere.
		mustStatus(t, f.admin.post(fmt.Sprintf("/admin/boards/%d", boardID(t, ts, f.board)),
			url.Values{"name": {"Printers"}, "slug": {f.board}, "visibility": {"staff"}}), http.StatusSeeOther)
		page = mina.get("/notifications")
		if strings.Contains(page.Body, "Wi-Fi drops on the printer") {
			t.Error("a notification about a board that became private is still listed")
		}
		var n models.User
		ts.App.DB.Where("handle = ?", "mina").Take(&n)
		if c, _ := models.UnreadNotifications(context.Background(), ts.App.DB, &n); c != 0 {
			t.Errorf("unread count %d after the board became private", c)
		}
		var nid int64
		ts.App.DB.Raw("SELECT id FROM notifications WHERE user_id = ?", n.ID).Scan(&nid)
		ts.App.DB.Exec("UPDATE notifications SET emailed_at = NULL WHERE id = ?", nid)
		if v, r, err := models.NotificationForMail(context.Background(), ts.App.DB, nid); err != nil || v != nil || r != nil {
			t.Errorf("a hidden notification would still be mailed: %v %v %v", v, r, err)
		}
	})
}

// parsedMail is one .eml file of the mail folder.
type parsedMail struct {
	Header  mail.Header
	Subject string
	Text    string
	Date    time.Time
}

func readMails(t *testing.T, ts *testServer) []parsedMail {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(ts.App.Cfg.MailDir(), "*.eml"))
	sort.Strings(files)
	var out []parsedMail
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(fh)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var body io.Reader = m.Body
		if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(m.Body)
		}
		b, _ := io.ReadAll(body)
		fh.Close()
		subj, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		d, _ := m.Header.Date()
		out = append(out, parsedMail{Header: m.Header, Subject: subj, Text: strings.ReplaceAll(string(b), "\r\n", "\n"), Date: d})
	}
	return out
}

// sweepMails runs the per-event mail sweep as if a minute had passed.
func sweepMails(t *testing.T, ts *testServer) {
	t.Helper()
	waitTagCounts(t, ts)
	if err := notifyMux(ts, time.Now().Add(time.Minute)).ProcessTask(context.Background(), asynq.NewTask(jobs.TaskNotifyMails, nil)); err != nil {
		t.Fatal(err)
	}
}

// waitMails waits until the mail folder holds n mails.
func waitMails(t *testing.T, ts *testServer, n int) []parsedMail {
	t.Helper()
	waitTagCounts(t, ts)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ms := readMails(t, ts)
		if len(ms) >= n || time.Now().After(deadline) {
			return ms
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestEmailPreferences: a mail per event goes only to verified emails that
// want it; digest and none modes get no per-event mail; a bad time zone or
// mode is refused with nothing saved.
func TestEmailPreferences(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		sweepMails(t, ts) // the fixture's notifications, before anyone has an email
		var mark int64
		ts.App.DB.Raw("SELECT COALESCE(MAX(id), 0) FROM notifications").Scan(&mark)
		for _, h := range []string{"asha", "omar"} {
			setEmail(t, ts, h)
		}
		noWrite(t, ts, func() {
			r := f.asker.post("/settings/notifications", url.Values{"email_mode": {"daily"}, "time_zone": {"Mars/Olympus_Mons"}})
			mustStatus(t, r, http.StatusUnprocessableEntity)
			if len(fieldErrors(r.Body)) == 0 {
				t.Error("no field error for a bad time zone")
			}
			mustStatus(t, f.asker.post("/settings/notifications", url.Values{"email_mode": {"hourly"}, "time_zone": {""}}), http.StatusUnprocessableEntity)
			mustStatus(t, f.asker.post("/settings/notifications", url.Values{"email_mode": {"daily"}, "time_zone": {"Local"}}), http.StatusUnprocessableEntity)
		})
		// asha: none; omar: per event (the default); ada has no email.
		mustStatus(t, f.asker.post("/settings/notifications", url.Values{"email_mode": {"none"}, "time_zone": {"Asia/Kolkata"}}), http.StatusSeeOther)
		q := mustAsk(t, f.asker, f.board, "Toner smears on the left", "Smears. @omar @ada", "toner")
		mustAnswer(t, f.other, q, "Replace the drum.")
		mustAnswer(t, f.admin, q, "Or the fuser.")
		sweepMails(t, ts)
		waitMails(t, ts, 2)
		time.Sleep(200 * time.Millisecond)
		ms := readMails(t, ts)
		var to []string
		for _, m := range ms {
			to = append(to, m.Header.Get("To")+": "+m.Subject)
		}
		sort.Strings(to)
		if len(to) != 2 || !strings.HasPrefix(to[0], "<omar@example.com>: ") || !strings.HasSuffix(to[0], " answered “Toner smears on the left”, a question you follow.") ||
			!strings.HasPrefix(to[1], "<omar@example.com>: ") || !strings.HasSuffix(to[1], " mentioned you in “Toner smears on the left”.") {
			t.Errorf("mails:\n%s", strings.Join(to, "\n"))
		}
		// Digest mode: no per-event mail.
		mustStatus(t, f.other.post("/settings/notifications", url.Values{"email_mode": {"weekly"}, "time_zone": {"America/Los_Angeles"}}), http.StatusSeeOther)
		mustAnswer(t, f.admin, q, "Or the paper.")
		sweepMails(t, ts)
		waitTagCounts(t, ts)
		time.Sleep(200 * time.Millisecond)
		if n := len(readMails(t, ts)); n != 2 {
			t.Errorf("%d mails after omar chose a weekly digest, want still 2", n)
		}
		// The sweep run again from the start mails nothing twice.
		if err := models.SetMailWatermark(context.Background(), ts.App.DB, mark); err != nil {
			t.Fatal(err)
		}
		ts.App.DB.Exec("UPDATE notification_prefs SET email_mode = 'event' WHERE user_id = ?", userID(t, ts, "omar"))
		sweepMails(t, ts)
		sweepMails(t, ts)
		waitTagCounts(t, ts)
		time.Sleep(200 * time.Millisecond)
		if n := len(readMails(t, ts)); n != 3 {
			t.Errorf("%d mails after sweeping again, want 3 (the third answer's, once)", n)
		}
		var tz string
		ts.App.DB.Raw("SELECT time_zone FROM users WHERE handle = 'omar'").Scan(&tz)
		if tz != "America/Los_Angeles" {
			t.Errorf("time zone %q", tz)
		}
	})
}

// TestUnsubscribeLinks: a signed link works without signing in, by the
// page or by one-click POST; a tampered or expired one is refused with a
// clear page and changes nothing.
func TestUnsubscribeLinks(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		waitTagCounts(t, ts)
		asha := userID(t, ts, "asha")
		mustStatus(t, f.asker.post("/follow", url.Values{"type": {"board"}, "target": {f.board}, "action": {"follow"}}), http.StatusSeeOther)
		sign := func(u models.Unsubscribe) string { return models.SignUnsubscribe(ts.App.secret, u) }
		all := sign(models.Unsubscribe{UserID: asha, Action: models.UnsubscribeAll, Expires: time.Now().Add(time.Hour)})
		expired := sign(models.Unsubscribe{UserID: asha, Action: models.UnsubscribeAll, Expires: time.Now().Add(-time.Minute)})
		other := models.SignUnsubscribe([]byte("another-secret-of-at-least-32-characters"), models.Unsubscribe{UserID: asha, Action: models.UnsubscribeAll, Expires: time.Now().Add(time.Hour)})
		tampered := strings.Replace(all, all[:4], "eyJ4", 1)
		visitor := ts.client()
		noWrite(t, ts, func() {
			r := visitor.get("/unsubscribe?t=" + url.QueryEscape(all))
			mustStatus(t, r, http.StatusOK)
			if !strings.Contains(r.Body, "Stop all notification mails") {
				t.Error("the unsubscribe page does not say what it stops")
			}
			for _, bad := range []string{tampered, other, "", "abc", all + "x"} {
				checkErrorPage(t, visitor.get("/unsubscribe?t="+url.QueryEscape(bad)), http.StatusBadRequest)
				checkErrorPage(t, visitor.post("/unsubscribe", url.Values{"t": {bad}}), http.StatusBadRequest)
				resp, err := http.Post(ts.URL+"/unsubscribe/one-click?t="+url.QueryEscape(bad), "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
				if err != nil || resp.StatusCode != http.StatusBadRequest {
					t.Errorf("one-click with a bad token: %v %v", resp.StatusCode, err)
				}
				resp.Body.Close()
			}
			r = visitor.get("/unsubscribe?t=" + url.QueryEscape(expired))
			checkErrorPage(t, r, http.StatusGone)
			if !strings.Contains(r.Body, "has expired") {
				t.Error("the expired page does not say so")
			}
			checkErrorPage(t, visitor.post("/unsubscribe", url.Values{"t": {expired}}), http.StatusGone)
		})
		mode := func() string {
			m, _, _ := models.EmailModeOf(context.Background(), ts.App.DB, asha)
			return m
		}
		// Unfollow one board by its link, through the page.
		one := sign(models.Unsubscribe{UserID: asha, Action: models.UnsubscribeFollow, TargetType: models.FollowBoard, TargetID: boardID(t, ts, f.board), Expires: time.Now().Add(time.Hour)})
		r := visitor.post("/unsubscribe", url.Values{"t": {one}})
		mustStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Body, "you no longer follow “Printers”") {
			t.Errorf("unfollow page:\n%s", r.Body)
		}
		if ok, _ := models.IsFollowing(context.Background(), ts.App.DB, asha, models.FollowBoard, boardID(t, ts, f.board)); ok || mode() != models.EmailEvent {
			t.Error("the unfollow link did not unfollow just the board")
		}
		// One-click, as a mail provider sends it: no cookie, no CSRF token.
		resp, err := http.Post(ts.URL+"/unsubscribe/one-click?t="+url.QueryEscape(all), "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("one-click: %v %v", resp, err)
		}
		resp.Body.Close()
		if mode() != models.EmailNone {
			t.Errorf("mode after one-click: %s", mode())
		}
		// Again is harmless.
		mustStatus(t, visitor.post("/unsubscribe", url.Values{"t": {all}}), http.StatusOK)
	})
}

// TestDigestOverAWeek seeds a week of notifications for a member in
// Asia/Kolkata (daily) and one in America/Los_Angeles (weekly, across the
// end of daylight saving time), runs the digest job every 30 minutes of
// the week, twice each time, and checks the mails: one per period with
// notifications, at 08:00 local time, with exactly that period's unread
// notifications they may see.
func TestDigestOverAWeek(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		priya, lee := ts.client(), ts.client()
		priya.signIn("priya")
		lee.signIn("lee")
		mustStatus(t, priya.post("/settings/notifications", url.Values{"email_mode": {"daily"}, "time_zone": {"Asia/Kolkata"}}), http.StatusSeeOther)
		mustStatus(t, lee.post("/settings/notifications", url.Values{"email_mode": {"weekly"}, "time_zone": {"America/Los_Angeles"}}), http.StatusSeeOther)
		setEmail(t, ts, "priya")
		setEmail(t, ts, "lee")
		staffQ := mustAsk(t, f.admin, f.staffBoard, "Internal roadmap", "Staff only.", "")
		waitTagCounts(t, ts)
		// They chose digests before the week began.
		ts.App.DB.Exec("UPDATE notification_prefs SET updated_at = ?", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC))
		pid, lid := userID(t, ts, "priya"), userID(t, ts, "lee")
		ts.App.DB.Exec("DELETE FROM notifications WHERE user_id IN ?", []int64{pid, lid})
		utc := func(s string) time.Time {
			v, err := time.Parse("2006-01-02 15:04", s)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		qid, sq := f.qID, staffQ
		seed := []struct {
			user   int64
			at     string
			q      *int64
			detail string
			read   bool
		}{
			{pid, "2026-10-26 01:00", &qid, "", false}, // before Mon 02:30 UTC (08:00 IST): in the 26th's digest
			{pid, "2026-10-26 03:00", &qid, "", false}, // after it: the 27th's
			{pid, "2026-10-26 20:00", &qid, "", true},  // read: left out
			{pid, "2026-10-27 02:29", nil, "First answer", false},
			{pid, "2026-10-27 10:00", &sq, "", false}, // a staff board: never shown to priya
			{pid, "2026-10-30 12:00", &qid, "", false},
			{lid, "2026-10-25 12:00", &qid, "", false}, // before Mon 26 08:00 PDT (15:00 UTC)
			{lid, "2026-10-26 15:30", &qid, "", false}, // the week to Mon 2 Nov 08:00 PST (16:00 UTC)
			{lid, "2026-11-01 23:00", nil, "Helper", false},
			{lid, "2026-11-02 15:59", &qid, "", false},
			{lid, "2026-11-02 16:00", &qid, "", false}, // the next week
		}
		for i, s := range seed {
			kind := models.NotifyAnswered
			if s.q == nil {
				kind = models.NotifyBadgeEarned
				if s.user == lid {
					kind = models.NotifyRankReached
				}
			}
			n := models.Notification{UserID: s.user, Kind: kind, QuestionID: s.q, Detail: s.detail, URL: "/q/1", DedupKey: fmt.Sprintf("seed:%d", i), CreatedAt: utc(s.at)}
			if _, err := models.Notify(ts.App.DB, n); err != nil {
				t.Fatal(err)
			}
			if s.read {
				ts.App.DB.Exec("UPDATE notifications SET read_at = ? WHERE dedup_key = ?", utc(s.at), n.DedupKey)
			}
		}
		sweepMails(t, ts)
		if n := len(readMails(t, ts)); n != 0 {
			t.Fatalf("%d per-event mails to digest readers", n)
		}
		ctx := context.Background()
		for at := utc("2026-10-25 00:00"); !at.After(utc("2026-11-03 00:00")); at = at.Add(30 * time.Minute) {
			mux := notifyMux(ts, at)
			for i := 0; i < 2; i++ {
				if err := mux.ProcessTask(ctx, asynq.NewTask(jobs.TaskNotifyDigest, nil)); err != nil {
					t.Fatalf("digest at %s: %v", at, err)
				}
			}
		}
		ms := waitMails(t, ts, 5)
		type got struct{ to, date, subject string }
		var gs []got
		for _, m := range ms {
			gs = append(gs, got{m.Header.Get("To"), m.Date.Format("2006-01-02 15:04 -0700"), m.Subject})
		}
		sort.Slice(gs, func(i, j int) bool { return gs[i].to+gs[i].date < gs[j].to+gs[j].date })
		want := []got{
			{"<lee@example.com>", "2026-10-26 08:00 -0700", "Your weekly digest: 1 notification"},
			{"<lee@example.com>", "2026-11-02 08:00 -0800", "Your weekly digest: 3 notifications"},
			{"<priya@example.com>", "2026-10-26 08:00 +0530", "Your daily digest: 1 notification"},
			{"<priya@example.com>", "2026-10-27 08:00 +0530", "Your daily digest: 2 notifications"},
			{"<priya@example.com>", "2026-10-31 08:00 +0530", "Your daily digest: 1 notification"},
		}
		if fmt.Sprint(gs) != fmt.Sprint(want) {
			t.Errorf("digests:\n%v\nwant\n%v", gs, want)
		}
		for _, m := range ms {
			if m.Header.Get("To") == "<priya@example.com>" && strings.Contains(m.Subject, "2 notifications") {
				for _, s := range []string{"day up to 2026-10-27 08:00", "You earned the badge “First answer”", ts.URL + "/unsubscribe?t="} {
					if !strings.Contains(m.Text, s) {
						t.Errorf("priya's digest lacks %q:\n%s", s, m.Text)
					}
				}
				if strings.Contains(m.Text, "Internal roadmap") {
					t.Error("priya's digest reveals a staff board question")
				}
				if m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
					t.Error("the digest has no one-click unsubscribe")
				}
			}
			if m.Header.Get("To") == "<lee@example.com>" && strings.Contains(m.Subject, "3 notifications") && !strings.Contains(m.Text, "You reached the rank Helper") {
				t.Errorf("lee's digest:\n%s", m.Text)
			}
		}
		var periods int64
		ts.App.DB.Raw("SELECT COUNT(*) FROM notification_digests").Scan(&periods)
		// priya: every day from the 24th to 2 Nov (mailed or empty); lee: three Mondays.
		if periods != 10+3 {
			t.Errorf("%d digest periods recorded", periods)
		}
	})
}

// TestRemindTheAsker: an asker with answers from others and none accepted
// after N days is reminded once, however often the job runs.
func TestRemindTheAsker(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		q1 := mustAsk(t, f.asker, f.board, "Fax line is silent", "No tone at all.", "")
		mustAnswer(t, f.other, q1, "Check the cable.")
		q2 := mustAsk(t, f.asker, f.board, "Duplex prints upside down", "Every second page.", "")
		a2 := mustAnswer(t, f.other, q2, "Flip the setting.")
		mustStatus(t, f.asker.post(fmt.Sprintf("/q/%d/accept", q2), url.Values{"answer_id": {fmt.Sprint(a2)}}), http.StatusSeeOther)
		q3 := mustAsk(t, f.asker, f.board, "Only my own answer here", "Hmm.", "")
		mustAnswer(t, f.asker, q3, "I answered myself.")
		q4 := mustAsk(t, f.asker, f.board, "Asked just now", "Fresh.", "")
		mustAnswer(t, f.other, q4, "Fresh answer.")
		waitTagCounts(t, ts)
		old := time.Now().UTC().Add(-4 * 24 * time.Hour)
		ts.App.DB.Exec("UPDATE questions SET created_at = ? WHERE id IN ?", old, []int64{q1, q2, q3})
		ts.App.DB.Exec("DELETE FROM notifications")
		for i := 0; i < 3; i++ {
			if err := notifyMux(ts, time.Now().Add(time.Duration(i)*time.Hour)).ProcessTask(context.Background(), asynq.NewTask(jobs.TaskRemindAskers, nil)); err != nil {
				t.Fatal(err)
			}
		}
		var rows []struct {
			Kind       string
			QuestionID int64
		}
		ts.App.DB.Raw("SELECT kind, question_id FROM notifications").Scan(&rows)
		if len(rows) != 1 || rows[0].Kind != models.NotifyRemindAccept || rows[0].QuestionID != q1 {
			t.Errorf("reminders: %+v (want one, for question %d)", rows, q1)
		}
		page := f.asker.get("/notifications")
		if !strings.Contains(page.Body, "Your question “Fax line is silent” has answers") {
			t.Error("the reminder is not on the asker's notifications page")
		}
		// A setting of 7 days: the same old question would not be due yet.
		ts.App.DB.Exec("DELETE FROM asker_reminders")
		ts.App.DB.Exec("DELETE FROM notifications")
		ts.App.DB.Exec("INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?)", models.RemindAskerDaysSetting, "7", time.Now().UTC())
		if err := notifyMux(ts, time.Now()).ProcessTask(context.Background(), asynq.NewTask(jobs.TaskRemindAskers, nil)); err != nil {
			t.Fatal(err)
		}
		var n int64
		ts.App.DB.Raw("SELECT COUNT(*) FROM notifications").Scan(&n)
		if n != 0 {
			t.Errorf("%d reminders with N = 7", n)
		}
	})
}
