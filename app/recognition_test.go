package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crowdcare/crowdcare/models"
)

func init() { moreTemplateCases = append(moreTemplateCases, recognitionTemplateCases) }

// recognitionTemplateCases are the pages of manual badges, time-limited
// grants, the contributors export and employee volunteers.
func recognitionTemplateCases() []templateCase {
	now := time.Now()
	_, employee, _, _, admin := sampleUsers()
	badges := groupBadges(sampleBadges())
	var flat []badgeView
	for _, g := range badges {
		flat = append(flat, g.Badges...)
	}
	created := badgeView{Badge: models.Badge{ID: 30, Slug: "summit-guest-2027", Name: "Summit <Guest> 2027", Description: "Came in 2027", Tier: models.TierGold, Kind: models.BadgeManual}}
	badgeErrs := &models.ValidationError{}
	badgeErrs.Add("name", "error.badge_name_taken", nil)
	badgeErrs.Add("description", "error.too_long", map[string]any{"Max": models.BadgeDescMax})
	badgeErrs.Add("tier", "error.invalid", nil)
	until := now.AddDate(0, 2, 0).UTC().Truncate(24 * time.Hour)
	limited := sampleHolders(now)
	limited[0].ExpiresAt = &until
	grant := func(g *badgeData) *badgeData {
		g.Badge, g.CanGrant, g.UntilMin, g.UntilMax, g.UntilYears = badgeView{Badge: sampleBadges()[3].Badge}, true, "2026-03-19", "2031-03-18", models.BadgeUntilMaxYears
		return g
	}
	contributors := &contributorsData{From: "2026-03-01", To: "2026-04-01", Audience: "staff", Board: "laserjet", Limit: 50, Mods: true,
		MaxLimit: models.ContributorMaxLimit, Boards: sampleBoards(), Preview: true, Rows: []models.Contributor{
			{Place: 1, Handle: "emil", DisplayName: "Emil <P>", Email: "emil@corp.example", Roles: []models.Role{models.RoleEmployee}, Points: 120, Answers: 9, Accepted: 4},
			{Place: 1, Handle: "erin", Email: "", Roles: []models.Role{models.RoleEmployee, models.RoleModerator}, Points: 120},
		}}
	stats := []models.VolunteerStats{
		{UserID: 2, Handle: "emil", DisplayName: "Emil Petrov", QuestionsAnswered: 5, Answers: 6, Accepted: 1, Verified: 2, Sessions: 3, TimeGiven: 80 * time.Minute, StaffPoints: 15},
		{UserID: 8, Handle: "erin", TimeGiven: 45 * time.Minute},
	}
	return []templateCase{
		{name: "admin_badges", label: "list and form, created", status: 200, path: "/admin/badges?created=summit-guest-2027", user: admin,
			page: &Page{Title: "recognition.badges_title", Data: &adminBadgesData{Badges: append(flat, created), Tiers: models.BadgeTiers, Created: &created},
				Form: url.Values{"tier": {"bronze"}}},
			want: []string{"Manage badges", "Badge “Summit &lt;Guest&gt; 2027” created.", `href="/badges/summit-guest-2027"`, `action="/admin/badges"`,
				`name="name"`, `name="description"`, `value="bronze" selected`, "Night &lt;owl&gt;", "Great answer", "Automatic", "Awarded by the team", `scope="col"`}},
		{name: "admin_badges", label: "refused", status: 422, path: "/admin/badges", user: admin,
			page: &Page{Title: "recognition.badges_title", Data: &adminBadgesData{Tiers: models.BadgeTiers}, Errors: badgeErrs,
				Form: url.Values{"name": {"Summit <guest>"}, "description": {"d"}, "tier": {"platinum"}}},
			want: []string{"Please correct the fields marked below.", "A badge with this name already exists.", "At most 500 characters.",
				"This value is not valid.", `value="Summit &lt;guest&gt;"`, `aria-invalid="true"`, "No badges yet."}},
		{name: "badge", label: "admin, time-limited holder", status: 200, path: "/badges/summit-guest", user: admin,
			page: &Page{Title: "badges.title", Data: grant(&badgeData{Holders: limited})},
			want: []string{"until " + until.Add(-time.Nanosecond).Format("2006-01-02"), `name="until"`, `type="date"`, `min="2026-03-19"`, `max="2031-03-18"`,
				"at most 5 years ahead"}},
		{name: "badge", label: "admin, bad date", status: 422, path: "/badges/summit-guest/grant", user: admin,
			page: &Page{Title: "badges.title", Data: grant(&badgeData{}), Errors: fieldErr("until", "error.until_too_far", map[string]any{"Count": 5}),
				Form: url.Values{"handle": {"asha"}, "reason": {"r"}, "until": {"2099-01-01"}}},
			want: []string{"At most 5 years ahead.", `value="2099-01-01"`, `aria-invalid="true"`}},
		{name: "admin_contributors", label: "blank form", status: 200, path: "/admin/contributors", user: admin,
			page: &Page{Title: "recognition.contributors_title", Data: &contributorsData{From: "2026-02-01", To: "2026-03-01", Audience: "member",
				Limit: 100, MaxLimit: models.ContributorMaxLimit, Boards: sampleBoards()}},
			want: []string{"Top contributors", `action="/admin/contributors/export.csv"`, `formaction="/admin/contributors"`, `value="2026-02-01"`,
				`value="member" selected`, "From 1 to 1000.", "Download CSV", "Staff room"}},
		{name: "admin_contributors", label: "preview", status: 200, path: "/admin/contributors?from=2026-03-01", user: admin,
			page: &Page{Title: "recognition.contributors_title", Data: contributors},
			want: []string{"2 contributors", "Emil &lt;P&gt;", "emil@corp.example", `href="/u/erin"`, ">Moderator<",
				`href="/admin/contributors/export.csv?audience=staff&amp;board=laserjet&amp;from=2026-03-01&amp;limit=50&amp;mods=1&amp;to=2026-04-01"`,
				`value="laserjet" selected`, "checked"}},
		{name: "admin_contributors", label: "empty preview", status: 200, path: "/admin/contributors?from=2026-03-01", user: admin,
			page: &Page{Title: "recognition.contributors_title", Data: &contributorsData{From: "2026-03-01", To: "2026-04-01", Audience: "member", Limit: 100,
				MaxLimit: models.ContributorMaxLimit, Preview: true}},
			want: []string{"0 contributors", "Nobody in this audience earned points in this period."}},
		{name: "admin_employees", label: "month with next page", status: 200, path: "/admin/employees?period=month", user: admin,
			page: &Page{Title: "recognition.employees_title", Data: &employeesData{Period: "month", Rows: stats, Next: "erin"}},
			want: []string{"Employee volunteers", `href="/admin/employees/2"`, "Emil Petrov", "1 hour 20 minutes", "45 minutes",
				`href="/leaderboard?audience=staff&amp;period=month"`, `href="/admin/employees?period=month&amp;after=erin"`,
				"no more than 30 minutes apart", "adds 10 minutes", `aria-current="page">This month`}},
		{name: "admin_employees", label: "none", status: 200, path: "/admin/employees", user: admin,
			page: &Page{Title: "recognition.employees_title", Data: &employeesData{Period: "week"}},
			want: []string{"No employees yet.", `href="/leaderboard?audience=staff"`}},
		{name: "admin_employee", label: "admin reads one", status: 200, path: "/admin/employees/2", user: admin,
			page: &Page{Title: "recognition.employee_title", Data: &employeeData{Employee: employee, Periods: []models.VolunteerStats{stats[0], stats[0], stats[1]}}},
			want: []string{"Emil Petrov", "This week", "All time", "Sittings", "1 hour 20 minutes", `href="/admin/employees"`, `scope="row"`, `href="/u/emil"`}},
		{name: "admin_employee", label: "an employee reads their own", status: 200, path: "/me/volunteering", user: employee,
			page: &Page{Title: "recognition.employee_title", Data: &employeeData{Employee: employee, Self: true, Periods: []models.VolunteerStats{{}, {}, stats[0]}}},
			want: []string{"Your volunteering", "0 minutes", `href="/leaderboard?audience=staff"`}},
		{name: "profile", label: "an employee's own profile", status: 200, path: "/u/emil", user: employee,
			page: &Page{Title: "profile.title", Data: &profileData{P: &models.Profile{User: employee}}},
			want: []string{`href="/me/volunteering"`}},
	}
}

// TestAdminBadgeCreation: only admins create manual badges; every bad
// input is refused on its field with nothing written; a forged POST is
// refused; a created badge shows its stored name and description (the
// catalogue does not know it) in both languages and can be granted.
func TestAdminBadgeCreation(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		admin, member, mod, visitor := ts.client(), ts.client(), ts.client(), ts.client()
		admin.signIn("ada", "admin")
		member.signIn("asha")
		mod.signIn("mona", "moderator")
		db := ts.App.DB
		r := admin.get("/admin/badges")
		mustStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Body, `action="/admin/badges"`) || !strings.Contains(r.Body, `href="/badges/summit-guest"`) {
			t.Errorf("the admin badge page lacks its form or list\n%.2000s", r.Body)
		}
		mustStatus(t, member.get("/admin/badges"), http.StatusForbidden)
		mustStatus(t, mod.get("/admin/badges"), http.StatusForbidden)
		mustStatus(t, visitor.get("/admin/badges"), http.StatusUnauthorized)
		// A badge whose seeded row is gone keeps its catalogue entry: its
		// slug stays reserved.
		if err := db.Exec(`DELETE FROM badges WHERE slug = 'quick-draw'`).Error; err != nil {
			t.Fatal(err)
		}
		good := url.Values{"name": {"Summit Guest 2027"}, "description": {"Invited to the <2027> summit."}, "tier": {"gold"}}
		with := func(k, v string) url.Values {
			f := url.Values{}
			for key, vals := range good {
				f[key] = vals
			}
			f.Set(k, v)
			return f
		}
		cases := []formCase{
			{"empty name", "/admin/badges", with("name", "  "), 422, "name", "This is required."},
			{"name of 81 characters", "/admin/badges", with("name", strings.Repeat("ह", 81)), 422, "name", "At most 80 characters."},
			{"invalid UTF-8 name", "/admin/badges", with("name", "Summit \xff"), 422, "name", "This value is not valid."},
			{"the name of a seeded badge", "/admin/badges", with("name", "Summit guest"), 422, "name", "A badge with this name already exists."},
			{"a reserved name", "/admin/badges", with("name", "Quick draw"), 422, "name", "A badge with this name already exists."},
			{"empty description", "/admin/badges", with("description", ""), 422, "description", "This is required."},
			{"description of 501 characters", "/admin/badges", with("description", strings.Repeat("d", 501)), 422, "description", "At most 500 characters."},
			{"invalid UTF-8 description", "/admin/badges", with("description", "bad \xc3\x28"), 422, "description", "This value is not valid."},
			{"unknown tier", "/admin/badges", with("tier", "platinum"), 422, "tier", "This value is not valid."},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var r response
				noRecognitionWrite(t, ts, func() { r = admin.post(tc.path, tc.form) })
				checkFormError(t, r, tc)
			})
		}
		noRecognitionWrite(t, ts, func() {
			mustStatus(t, member.post("/admin/badges", good), http.StatusForbidden)
			mustStatus(t, visitor.post("/admin/badges", good), http.StatusUnauthorized)
			forged := url.Values{}
			for k, v := range good {
				forged[k] = v
			}
			mustStatus(t, admin.postRaw("/admin/badges", forged), http.StatusForbidden)
			forged.Set("csrf_token", "forged")
			mustStatus(t, admin.postRaw("/admin/badges", forged), http.StatusForbidden)
		})

		r = admin.post("/admin/badges", good)
		mustStatus(t, r, http.StatusSeeOther)
		if r.Location != "/admin/badges?created=summit-guest-2027" {
			t.Fatalf("created: redirect to %q", r.Location)
		}
		if r := admin.get(r.Location); !strings.Contains(r.Body, "Badge “Summit Guest 2027” created.") || !strings.Contains(r.Body, `href="/badges/summit-guest-2027"`) {
			t.Errorf("no confirmation after creating\n%.3000s", r.Body)
		}
		if n := badgeTestCount(t, ts, "SELECT COUNT(*) FROM audit_log WHERE action = 'badge.create' AND detail = 'summit-guest-2027: Summit Guest 2027 (gold)'"); n != 1 {
			t.Errorf("%d audit entries for the new badge", n)
		}
		for _, lang := range []string{"en", "hi"} {
			r := visitor.getIn("/badges", lang)
			if !strings.Contains(r.Body, "Summit Guest 2027") || !strings.Contains(r.Body, "Invited to the &lt;2027&gt; summit.") {
				t.Errorf("%s: /badges does not show the new badge's stored text", lang)
			}
			r = visitor.getIn("/badges/summit-guest-2027", lang)
			mustStatus(t, r, http.StatusOK)
			if !strings.Contains(r.Body, "<title>Summit Guest 2027 · Crowdcare</title>") {
				t.Errorf("%s: the badge page is not titled with the stored name", lang)
			}
		}
		r = admin.post("/admin/badges", with("name", "summit guest 2027!"))
		mustStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.Body, "A badge with this name already exists.") {
			t.Error("the same badge twice is not refused as a duplicate")
		}
		r = admin.post("/admin/badges", with("name", "शिखर अतिथि"))
		mustStatus(t, r, http.StatusSeeOther)
		slug := strings.TrimPrefix(r.Location, "/admin/badges?created=")
		if r := visitor.get("/badges/" + slug); r.Status != http.StatusOK || !strings.Contains(r.Body, "शिखर अतिथि") {
			t.Errorf("the Hindi-named badge at %q: %d", slug, r.Status)
		}
		r = admin.post("/badges/summit-guest-2027/grant", url.Values{"handle": {"asha"}, "reason": {"Came to the summit"}})
		mustStatus(t, r, http.StatusSeeOther)
		if r := visitor.get("/u/asha"); !strings.Contains(r.Body, `href="/badges/summit-guest-2027"`) || !strings.Contains(r.Body, "Summit Guest 2027") {
			t.Error("the profile does not show the new badge")
		}
	})
}

// noRecognitionWrite is noWrite that also watches the tables this feature
// writes and the shared snapshot does not: badges, audit entries and
// notifications.
func noRecognitionWrite(t *testing.T, ts *testServer, f func()) {
	t.Helper()
	count := func() string {
		var b, a, n int64
		ts.App.DB.Raw("SELECT COUNT(*) FROM badges").Scan(&b)
		ts.App.DB.Raw("SELECT COUNT(*) FROM audit_log").Scan(&a)
		ts.App.DB.Raw("SELECT COUNT(*) FROM notifications").Scan(&n)
		return fmt.Sprintf("badges %d, audit %d, notifications %d", b, a, n)
	}
	before := count()
	noWrite(t, ts, f)
	if after := count(); after != before {
		t.Errorf("the request wrote: %s → %s", before, after)
	}
}

// TestTimeLimitedBadgeGrant: a grant until a day is listed with "until"
// and counted until it expires, then hidden everywhere while its row and
// audit entry stay; the person is notified once per grant; bad dates are
// refused on the field with nothing written.
func TestTimeLimitedBadgeGrant(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		db := ts.App.DB
		today := time.Now().UTC()
		day := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }
		grant := func(until string) url.Values {
			return url.Values{"handle": {"asha"}, "reason": {"Summit 2026 guest"}, "until": {until}}
		}
		for _, tc := range []formCase{
			{"a day in the past", "/badges/summit-guest/grant", grant("2020-01-01"), 422, "until", "Choose a date in the future."},
			{"today", "/badges/summit-guest/grant", grant(day(0)), 422, "until", "Choose a date in the future."},
			{"six years ahead", "/badges/summit-guest/grant", grant(today.AddDate(6, 0, 0).Format(time.DateOnly)), 422, "until", "At most 5 years ahead."},
			{"not a date", "/badges/summit-guest/grant", grant("31/12/2027"), 422, "until", "Enter the date as YYYY-MM-DD."},
			{"invalid UTF-8", "/badges/summit-guest/grant", grant("2027-\xff"), 422, "until", "Enter the date as YYYY-MM-DD."},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var r response
				noRecognitionWrite(t, ts, func() { r = f.admin.post(tc.path, tc.form) })
				checkFormError(t, r, tc)
			})
		}
		last := day(30)
		r := f.admin.post("/badges/summit-guest/grant", grant(last))
		mustStatus(t, r, http.StatusSeeOther)
		if r.Location != "/badges/summit-guest?granted=asha" {
			t.Fatalf("grant redirects to %q", r.Location)
		}
		r = f.visitor.get("/badges/summit-guest")
		if !strings.Contains(r.Body, `href="/u/asha"`) || !strings.Contains(r.Body, "until "+last) {
			t.Errorf("the badge page does not list the limited grant with its last day\n%.3000s", r.Body)
		}
		if !strings.Contains(f.visitor.get("/u/asha").Body, `href="/badges/summit-guest"`) || holderCount(t, f.visitor, "summit-guest") != "1 holder" {
			t.Error("the limited grant is not shown before it expires")
		}
		mustStatus(t, f.admin.post("/badges/summit-guest/grant", grant(day(40))), http.StatusSeeOther) // held: a no-op
		var asha int64
		db.Raw("SELECT id FROM users WHERE handle = 'asha'").Scan(&asha)
		var awardID int64
		db.Raw("SELECT id FROM user_badges WHERE user_id = ?", asha).Scan(&awardID)
		if n := badgeTestCount(t, ts, "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = ? AND url = '/badges/summit-guest' AND dedup_key = ?",
			asha, models.NotifyBadgeGranted, fmt.Sprintf("badge:%d", awardID)); n != 1 {
			t.Errorf("%d notifications of the grant, want 1", n)
		}
		dropMemberNotifications(t, ts) // answers, automatic badges: not this test's
		if n := badgeTestCount(t, ts, "SELECT COUNT(*) FROM notifications"); n != 1 {
			t.Errorf("%d notifications in all after granting twice", n)
		}
		if r := f.asker.get("/notifications"); !strings.Contains(r.Body, "You were awarded the badge “Summit guest”.") {
			t.Errorf("the notifications page does not tell asha of the badge\n%.3000s", r.Body)
		}
		if n := badgeTestCount(t, ts, "SELECT COUNT(*) FROM audit_log WHERE action = 'badge.grant' AND detail = ?", "summit-guest until "+last+": Summit 2026 guest"); n != 1 {
			t.Errorf("%d audit entries naming the last day", n)
		}

		if err := db.Exec("UPDATE user_badges SET expires_at = ? WHERE id = ?", time.Now().UTC().Add(-time.Minute), awardID).Error; err != nil {
			t.Fatal(err)
		}
		r = f.visitor.get("/badges/summit-guest")
		if strings.Contains(r.Body, `href="/u/asha"`) || !strings.Contains(r.Body, "Nobody holds this badge yet.") {
			t.Error("the badge page still lists an expired award")
		}
		if strings.Contains(f.visitor.get("/u/asha").Body, `href="/badges/summit-guest"`) {
			t.Error("the profile still shows an expired award")
		}
		if got := holderCount(t, f.visitor, "summit-guest"); got != "0 holders" {
			t.Errorf("/badges counts %q after expiry", got)
		}
		if n := badgeTestCount(t, ts, "SELECT COUNT(*) FROM user_badges WHERE id = ?", awardID); n != 1 {
			t.Error("the expired award was deleted")
		}
		// Granted again after it expired: a new award and a new notification.
		r = f.admin.post("/badges/summit-guest/grant", grant(""))
		if r.Location != "/badges/summit-guest?granted=asha" {
			t.Errorf("re-grant after expiry redirects to %q", r.Location)
		}
		dropMemberNotifications(t, ts)
		if n := badgeTestCount(t, ts, "SELECT COUNT(*) FROM notifications WHERE user_id = ?", asha); n != 2 {
			t.Errorf("%d notifications after the re-grant, want 2", n)
		}
		if got := holderCount(t, f.visitor, "summit-guest"); got != "1 holder" {
			t.Errorf("/badges counts %q after the re-grant", got)
		}
	})
}

var badgeItem = regexp.MustCompile(`(?s)<li>\s*<a class="medal [a-z]+" href="/badges/([a-z0-9-]+)">.*?<p class="meta">([^<]*)</p>`)

// holderCount returns the holder count /badges shows for a badge.
func holderCount(t *testing.T, c *client, slug string) string {
	t.Helper()
	for _, m := range badgeItem.FindAllStringSubmatch(c.get("/badges").Body, -1) {
		if m[1] == slug {
			return m[2]
		}
	}
	t.Fatalf("/badges does not list %s", slug)
	return ""
}

// exportFixture writes a hand-made ledger for March 2026 through the
// database (the points rules would cap and date rows themselves).
type exportFixture struct {
	ts    *testServer
	users map[string]int64
	board map[string]int64
	key   int
}

func newExportFixture(t *testing.T, ts *testServer) *exportFixture {
	t.Helper()
	ctx := context.Background()
	db := ts.App.DB
	x := &exportFixture{ts: ts, users: map[string]int64{}, board: map[string]int64{}}
	for _, b := range []struct {
		slug string
		vis  models.Visibility
	}{{"printers", models.VisibilityPublic}, {"scanners", models.VisibilityPublic}, {"staff-room", models.VisibilityStaff}} {
		bd, err := models.CreateBoard(ctx, db, models.BoardInput{Slug: b.slug, Name: b.slug, Visibility: b.vis})
		if err != nil {
			t.Fatal(err)
		}
		x.board[b.slug] = bd.ID
	}
	for _, u := range []struct {
		handle, name, email string
		roles               []models.Role
	}{
		{"asha", "Asha Rao", "asha@example.com", nil},
		{"omar", "@omar", "", nil},
		{"eve", "=HYPERLINK(\"http://evil.example\",\"x\")", "-eve@example.com", nil},
		{"ray", "\tRay", "ray@example.com", []models.Role{models.RoleExpert}},
		{"cara", "+Cara", "", nil},
		{"dan", "Dan", "", nil},
		{"emil", "Emil", "emil@corp.example", []models.Role{models.RoleEmployee}},
		{"mona", "Mona", "", []models.Role{models.RoleModerator}},
	} {
		nu := &models.User{Handle: u.handle, Roles: u.roles}
		if err := models.CreateUser(ctx, db, nu); err != nil {
			t.Fatal(err)
		}
		db.Model(nu).Updates(map[string]any{"display_name": u.name, "email": u.email})
		x.users[u.handle] = nu.ID
	}
	return x
}

func (x *exportFixture) points(t *testing.T, handle string, n int, board, at string) {
	t.Helper()
	x.key++
	e := models.PointEvent{UserID: x.users[handle], Points: n, Reason: models.ReasonKudosReceived, AwardKey: fmt.Sprintf("x:%d", x.key), CreatedAt: exportTime(t, at)}
	if board != "" {
		id := x.board[board]
		e.BoardID = &id
	}
	if err := x.ts.App.DB.Create(&e).Error; err != nil {
		t.Fatal(err)
	}
}

func (x *exportFixture) post(t *testing.T, author string, question int64, kind string, at string) int64 {
	t.Helper()
	tm := exportTime(t, at)
	p := models.Post{QuestionID: question, AuthorID: x.users[author], Kind: kind, BodyMD: "b", BodyHTML: "<p>b</p>", CreatedAt: tm, UpdatedAt: tm}
	if err := x.ts.App.DB.Create(&p).Error; err != nil {
		t.Fatal(err)
	}
	return p.ID
}

func (x *exportFixture) question(t *testing.T, author, board, at string) int64 {
	t.Helper()
	tm := exportTime(t, at)
	q := models.Question{BoardID: x.board[board], AuthorID: x.users[author], Title: "A question", CreatedAt: tm, UpdatedAt: tm, LastActivityAt: tm}
	if err := x.ts.App.DB.Create(&q).Error; err != nil {
		t.Fatal(err)
	}
	x.post(t, author, q.ID, models.KindQuestion, at)
	return q.ID
}

func exportTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.DateTime, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestContributorsExport checks the CSV byte for byte on a hand-made
// ledger: the period [from, to), members and employees apart, a board,
// moderators on request, the limit, and cells guarded against formulas;
// bad parameters are a 400 page and only admins may export.
func TestContributorsExport(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		admin, member, mod, visitor := ts.client(), ts.client(), ts.client(), ts.client()
		x := newExportFixture(t, ts)
		admin.signIn("ada", "admin")
		member.signIn("asha")
		mod.signIn("mona")
		x.points(t, "asha", 15, "printers", "2026-03-01 00:00:00") // the first instant counts
		x.points(t, "asha", 10, "printers", "2026-03-31 23:59:59")
		x.points(t, "asha", 10, "printers", "2026-04-01 00:00:00") // the end does not
		x.points(t, "omar", 25, "", "2026-03-15 12:00:00")
		x.points(t, "eve", 12, "staff-room", "2026-03-10 08:00:00")
		x.points(t, "ray", 5, "scanners", "2026-03-11 08:00:00")
		x.points(t, "cara", 4, "scanners", "2026-03-12 08:00:00")
		x.points(t, "cara", 10, "scanners", "2026-03-13 08:00:00")
		x.points(t, "cara", -10, "scanners", "2026-03-14 08:00:00") // a withdrawal
		x.points(t, "dan", 50, "printers", "2026-02-28 23:59:59")
		x.points(t, "emil", 30, "printers", "2026-03-05 10:00:00")
		x.points(t, "mona", 99, "printers", "2026-03-06 10:00:00")
		q1 := x.question(t, "omar", "printers", "2026-02-27 09:00:00")
		q2 := x.question(t, "omar", "scanners", "2026-03-02 09:00:00")
		own := x.question(t, "asha", "printers", "2026-03-02 09:00:00")
		accepted := x.post(t, "asha", q1, models.KindAnswer, "2026-03-01 00:00:00")
		ts.App.DB.Model(&models.Question{}).Where("id = ?", q1).Update("accepted_answer_id", accepted)
		x.post(t, "asha", q1, models.KindAnswer, "2026-03-20 10:00:00")
		x.post(t, "asha", q2, models.KindAnswer, "2026-03-21 10:00:00")
		x.post(t, "asha", q1, models.KindAnswer, "2026-04-01 00:00:00")
		x.post(t, "asha", own, models.KindAnswer, "2026-03-05 10:00:00")

		const head = "place,handle,display_name,email,roles,points,answers,accepted_answers\n"
		march := "/admin/contributors/export.csv?from=2026-03-01&to=2026-04-01"
		for _, c := range []struct{ query, file, want string }{
			{"", "contributors-member-2026-03-01-to-2026-04-01.csv", head +
				"1,asha,Asha Rao,asha@example.com,,25,3,1\n" +
				"1,omar,'@omar,,,25,0,0\n" +
				`3,eve,"'=HYPERLINK(""http://evil.example"",""x"")",'-eve@example.com,,12,0,0` + "\n" +
				"4,ray,'\tRay,ray@example.com,expert,5,0,0\n" +
				"5,cara,'+Cara,,,4,0,0\n"},
			{"&limit=2", "contributors-member-2026-03-01-to-2026-04-01.csv", head +
				"1,asha,Asha Rao,asha@example.com,,25,3,1\n1,omar,'@omar,,,25,0,0\n"},
			{"&board=printers", "contributors-member-2026-03-01-to-2026-04-01-printers.csv", head + "1,asha,Asha Rao,asha@example.com,,25,2,1\n"},
			{"&board=scanners&mods=1", "contributors-member-2026-03-01-to-2026-04-01-scanners.csv", head +
				"1,ray,'\tRay,ray@example.com,expert,5,0,0\n2,cara,'+Cara,,,4,0,0\n"},
			{"&board=printers&mods=1", "contributors-member-2026-03-01-to-2026-04-01-printers.csv", head +
				"1,mona,Mona,,moderator,99,0,0\n2,asha,Asha Rao,asha@example.com,,25,2,1\n"},
			{"&audience=staff", "contributors-staff-2026-03-01-to-2026-04-01.csv", head + "1,emil,Emil,emil@corp.example,employee,30,0,0\n"},
			{"&audience=staff&board=scanners", "contributors-staff-2026-03-01-to-2026-04-01-scanners.csv", head},
		} {
			r := admin.get(march + c.query)
			mustStatus(t, r, http.StatusOK)
			if r.Body != c.want {
				t.Errorf("%s:\n%s\nwant:\n%s", c.query, r.Body, c.want)
			}
			if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("%s: Content-Type %q", c.query, ct)
			}
			if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="`+c.file+`"` {
				t.Errorf("%s: Content-Disposition %q", c.query, cd)
			}
		}
		r := admin.get("/admin/contributors/export.csv?from=2026-02-28&to=2026-03-01")
		if want := head + "1,dan,Dan,,,50,0,0\n"; r.Body != want {
			t.Errorf("the last day of February:\n%s", r.Body)
		}
		// The preview shows the same rows and links to the same file.
		r = admin.get("/admin/contributors?from=2026-03-01&to=2026-04-01&board=printers")
		mustStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Body, "1 contributor") || !strings.Contains(r.Body, `href="/u/asha"`) ||
			!strings.Contains(r.Body, `href="/admin/contributors/export.csv?audience=member&amp;board=printers&amp;from=2026-03-01&amp;limit=100&amp;to=2026-04-01"`) {
			t.Errorf("preview\n%.4000s", r.Body)
		}
		if r := admin.get("/admin/contributors"); r.Status != http.StatusOK || !strings.Contains(r.Body, `formaction="/admin/contributors"`) {
			t.Errorf("the blank export form: %d", r.Status)
		}

		for _, bad := range []string{
			"", "?from=2026-03-01", "?to=2026-04-01", "?from=2026-13-01&to=2026-14-01", "?from=01/03/2026&to=2026-04-01",
			"?from=2026-04-01&to=2026-03-01", "?from=2026-03-01&to=2026-03-01", "?from=2026-03-01%00&to=2026-04-01",
			"?from=2026-03-01&to=2026-04-01&audience=robots", "?from=2026-03-01&to=2026-04-01&limit=0",
			"?from=2026-03-01&to=2026-04-01&limit=1001", "?from=2026-03-01&to=2026-04-01&limit=ten",
			"?from=2026-03-01&to=2026-04-01&board=nope", "?from=2026-03-01&to=2026-04-01&board=%ff",
			"?from=2026-03-01&to=2026-04-01&mods=yes",
		} {
			for _, path := range []string{"/admin/contributors/export.csv", "/admin/contributors"} {
				if path == "/admin/contributors" && bad == "" {
					continue // the blank form
				}
				r := admin.get(path + bad)
				checkErrorPage(t, r, http.StatusBadRequest)
			}
		}
		for _, c := range []struct {
			c      *client
			status int
		}{{member, http.StatusForbidden}, {mod, http.StatusForbidden}, {visitor, http.StatusUnauthorized}} {
			for _, path := range []string{march, "/admin/contributors", "/admin/contributors?from=2026-03-01&to=2026-04-01"} {
				r := c.c.get(path)
				checkErrorPage(t, r, c.status)
				if strings.Contains(r.Body, "asha@example.com") {
					t.Errorf("%s leaks to a non-admin", path)
				}
			}
		}
	})
}

// TestEmployeeVolunteersPages: admins list every employee with their
// figures and time-given estimate, and read one; an employee reads their
// own from their profile; nobody else may.
func TestEmployeeVolunteersPages(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		admin, emil, asha, mod, visitor := ts.client(), ts.client(), ts.client(), ts.client(), ts.client()
		admin.signIn("ada", "admin")
		emil.signIn("emil", "employee")
		asha.signIn("asha")
		mod.signIn("mona", "moderator")
		erin := ts.client()
		erin.signIn("erin", "employee")
		db := ts.App.DB
		ctx := context.Background()
		if _, err := models.CreateBoard(ctx, db, models.BoardInput{Slug: "printers", Name: "Printers", Visibility: models.VisibilityPublic}); err != nil {
			t.Fatal(err)
		}
		q1 := mustAsk(t, asha, "printers", "Printer jams on every page", "It jams.", "")
		q2 := mustAsk(t, asha, "printers", "Scanner lid does not close", "Stuck.", "")
		a1 := mustAnswer(t, emil, q1, "Clean the rollers.")
		mustAnswer(t, emil, q2, "Check the hinge.")
		mustAnswer(t, emil, q2, "Or replace the hinge.")
		// Place the answers in time: a sitting of 25 minutes and, more
		// than 30 minutes later, one answer: (25+10) + 10 minutes.
		base := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
		for i, off := range []time.Duration{0, 25 * time.Minute, 90 * time.Minute} {
			db.Exec("UPDATE posts SET created_at = ? WHERE id = (SELECT id FROM posts WHERE author_id = (SELECT id FROM users WHERE handle = 'emil') ORDER BY id LIMIT 1 OFFSET ?)",
				base.Add(off), i)
		}
		mustStatus(t, asha.post(fmt.Sprintf("/q/%d/accept", q1), url.Values{"answer_id": {fmt.Sprint(a1)}}), http.StatusSeeOther)
		db.Exec("UPDATE posts SET verified_by = (SELECT id FROM users WHERE handle = 'emil'), verified_at = ? WHERE kind = 'question'", time.Now().UTC())

		r := admin.get("/admin/employees?period=all")
		mustStatus(t, r, http.StatusOK)
		row := tableRow(r.Body, "@emil")
		for _, want := range []string{`<td class="num">2</td>`, `<td class="num">3</td>`, `<td class="num">1</td>`, "45 minutes"} {
			if !strings.Contains(row, want) {
				t.Errorf("emil's row lacks %q: %s", want, row)
			}
		}
		if !strings.Contains(row, `<td class="num">2</td>`+"\n      "+`<td class="num">3</td>`+"\n      "+`<td class="num">1</td>`+"\n      "+`<td class="num">2</td>`) {
			t.Errorf("emil's questions, answers, accepted and verified: %s", row)
		}
		if !strings.Contains(r.Body, "@erin") || strings.Contains(r.Body, "@asha") || strings.Contains(r.Body, "@mona") {
			t.Error("the list is not every employee and only them")
		}
		if !strings.Contains(r.Body, `href="/leaderboard?audience=staff&amp;period=all"`) {
			t.Error("no link to the staff leaderboard")
		}
		var emilID int64
		db.Raw("SELECT id FROM users WHERE handle = 'emil'").Scan(&emilID)
		r = admin.get(fmt.Sprintf("/admin/employees/%d", emilID))
		mustStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Body, "45 minutes") || !strings.Contains(r.Body, "Sittings") {
			t.Errorf("one employee's page\n%.3000s", r.Body)
		}
		var ashaID int64
		db.Raw("SELECT id FROM users WHERE handle = 'asha'").Scan(&ashaID)
		mustStatus(t, admin.get(fmt.Sprintf("/admin/employees/%d", ashaID)), http.StatusNotFound)
		mustStatus(t, admin.get("/admin/employees/999999"), http.StatusNotFound)
		mustStatus(t, admin.get("/admin/employees/x"), http.StatusNotFound)
		checkErrorPage(t, admin.get("/admin/employees?period=year"), http.StatusBadRequest)

		if !strings.Contains(emil.get("/u/emil").Body, `href="/me/volunteering"`) {
			t.Error("an employee's profile does not link to their figures")
		}
		if strings.Contains(visitor.get("/u/emil").Body, `href="/me/volunteering"`) || strings.Contains(asha.get("/u/emil").Body, `href="/me/volunteering"`) {
			t.Error("someone else sees the employee's volunteering link")
		}
		r = emil.get("/me/volunteering")
		mustStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Body, "Your volunteering") || !strings.Contains(r.Body, "45 minutes") || strings.Contains(r.Body, `href="/admin/employees"`) {
			t.Errorf("the employee's own page\n%.3000s", r.Body)
		}
		for _, c := range []struct {
			c      *client
			path   string
			status int
		}{
			{asha, "/me/volunteering", http.StatusForbidden}, {visitor, "/me/volunteering", http.StatusUnauthorized},
			{emil, "/admin/employees", http.StatusForbidden}, {mod, "/admin/employees", http.StatusForbidden},
			{asha, fmt.Sprintf("/admin/employees/%d", emilID), http.StatusForbidden}, {visitor, "/admin/employees", http.StatusUnauthorized},
		} {
			checkErrorPage(t, c.c.get(c.path), c.status)
		}
	})
}

// tableRow returns the table row of body that contains marker.
func tableRow(body, marker string) string {
	i := strings.Index(body, marker)
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(body[:i], "<tr>")
	end := strings.Index(body[i:], "</tr>")
	if start < 0 || end < 0 {
		return ""
	}
	return body[start : i+end]
}
