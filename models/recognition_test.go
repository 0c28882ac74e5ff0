package models_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

func TestBadgeSlug(t *testing.T) {
	hindi := models.BadgeSlug("शिखर अतिथि")
	cases := []struct{ name, want string }{
		{"Summit Guest 2027", "summit-guest-2027"},
		{"  Summit -- guest!! 2027 ", "summit-guest-2027"},
		{"Café crème", "cafe-creme"},
		{"C++ guru", "c-guru"},
		{"शिखर अतिथि", hindi},
		{strings.Repeat("long words ", 10), "long-words-long-words-long-words-long-words-long-words-long"},
	}
	for _, c := range cases {
		if got := models.BadgeSlug(c.name); got != c.want {
			t.Errorf("BadgeSlug(%q) = %q, want %q", c.name, got, c.want)
		}
	}
	if !strings.HasPrefix(hindi, "badge-") || len(hindi) != len("badge-")+8 {
		t.Errorf("a name without Latin letters gets %q, want badge-<8 hex>", hindi)
	}
	if a, b := models.BadgeSlug("शिखर अतिथि 2027"), models.BadgeSlug("अतिथि 2027"); a == b || !strings.HasPrefix(a, "2027-") {
		t.Errorf("two Hindi names share a slug or lose their digits: %q %q", a, b)
	}
	for _, n := range []string{strings.Repeat("x", 80), strings.Repeat("ह", 80) + "abc", "a"} {
		if s := models.BadgeSlug(n); len(s) > 60 || s == "" || strings.HasSuffix(s, "-") {
			t.Errorf("BadgeSlug(%.20q...) = %q", n, s)
		}
	}
}

// TestCreateManualBadge: admins only; each bad input is refused on its
// field with nothing written; a good badge is stored with an audit entry
// and can be granted; the same name twice is refused.
func TestCreateManualBadge(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		admin := newTestUser(t, db, "ada", models.RoleAdmin)
		mod := newTestUser(t, db, "mona", models.RoleModerator)
		count := func(q string) int64 {
			var n int64
			if err := db.Raw(q).Scan(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		badges, audits := count("SELECT COUNT(*) FROM badges"), count("SELECT COUNT(*) FROM audit_log")
		ok := models.NewBadge{Name: "Summit Guest 2027", Description: "Invited to the 2027 summit.", Tier: models.TierGold}
		with := func(f func(*models.NewBadge)) models.NewBadge { b := ok; f(&b); return b }
		refusals := []struct {
			name  string
			actor *models.User
			in    models.NewBadge
			check func(error) bool
		}{
			{"moderator", mod, ok, isErr(models.ErrForbidden)},
			{"visitor", nil, ok, isErr(models.ErrForbidden)},
			{"empty name", admin, with(func(b *models.NewBadge) { b.Name = " \t " }), isField("name", "error.required")},
			{"long name", admin, with(func(b *models.NewBadge) { b.Name = strings.Repeat("ह", 81) }), isField("name", "error.too_long")},
			{"invalid UTF-8 name", admin, with(func(b *models.NewBadge) { b.Name = "Summit \xff" }), isField("name", "error.invalid")},
			{"empty description", admin, with(func(b *models.NewBadge) { b.Description = "" }), isField("description", "error.required")},
			{"long description", admin, with(func(b *models.NewBadge) { b.Description = strings.Repeat("d", 501) }), isField("description", "error.too_long")},
			{"invalid UTF-8 description", admin, with(func(b *models.NewBadge) { b.Description = "\xc3\x28" }), isField("description", "error.invalid")},
			{"unknown tier", admin, with(func(b *models.NewBadge) { b.Tier = "platinum" }), isField("tier", "error.invalid")},
			{"seeded badge's name", admin, with(func(b *models.NewBadge) { b.Name = "Summit guest!" }), isField("name", "error.badge_name_taken")},
			{"reserved slug", admin, with(func(b *models.NewBadge) { b.Reserved = func(s string) bool { return s == "summit-guest-2027" } }),
				isField("name", "error.badge_name_taken")},
		}
		for _, r := range refusals {
			if b, err := models.CreateManualBadge(ctx, db, r.actor, r.in); b != nil || !r.check(err) {
				t.Errorf("%s: %v %v", r.name, b, err)
			}
		}
		if n, m := count("SELECT COUNT(*) FROM badges"), count("SELECT COUNT(*) FROM audit_log"); n != badges || m != audits {
			t.Fatalf("refusals wrote %d badges and %d audit entries", n-badges, m-audits)
		}
		b, err := models.CreateManualBadge(ctx, db, admin, with(func(b *models.NewBadge) { b.Name = "  Summit Guest 2027 " }))
		if err != nil {
			t.Fatal(err)
		}
		if b.Slug != "summit-guest-2027" || b.Name != "Summit Guest 2027" || b.Kind != models.BadgeManual || b.Tier != models.TierGold {
			t.Errorf("badge %+v", b)
		}
		var e models.AuditEntry
		db.Where("action = ?", "badge.create").First(&e)
		if e.ActorID == nil || *e.ActorID != admin.ID || e.Detail != "summit-guest-2027: Summit Guest 2027 (gold)" {
			t.Errorf("audit entry %+v", e)
		}
		if _, err := models.CreateManualBadge(ctx, db, admin, with(func(b *models.NewBadge) { b.Name = "summit guest 2027" })); !isField("name", "error.badge_name_taken")(err) {
			t.Errorf("the same badge again: %v", err)
		}
		asha := newTestUser(t, db, "asha")
		if ok, err := models.GrantManualBadge(ctx, db, admin, models.BadgeGrant{UserID: asha.ID, Slug: b.Slug, Reason: "Came to the summit"}); !ok || err != nil {
			t.Errorf("grant the new badge: %v %v", ok, err)
		}
	})
}

func TestBadgeUntil(t *testing.T) {
	now := time.Date(2026, 3, 18, 23, 30, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want string // the expiry, or the message id
	}{
		{"", "for ever"},
		{"2026-03-19", "2026-03-20T00:00:00Z"},
		{" 2031-03-18 ", "2031-03-19T00:00:00Z"},
		{"2031-03-19", "error.until_too_far"},
		{"2026-03-18", "error.date_past"},
		{"2020-01-01", "error.date_past"},
		{"18/03/2027", "error.until_format"},
		{"2027-02-30", "error.until_format"},
		{"2027-1-5", "error.until_format"},
		{"2027\xff", "error.until_format"},
	}
	for _, c := range cases {
		v := &models.ValidationError{}
		exp := models.BadgeUntil(v, "until", c.in, now)
		got := "for ever"
		if f := v.Field("until"); f != nil {
			got = f.Message
		} else if exp != nil {
			got = exp.Format(time.RFC3339)
		}
		if got != c.want {
			t.Errorf("BadgeUntil(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestTimeLimitedGrant: a grant until a day is shown until then, notifies
// the person once, and is hidden everywhere once expired while its row and
// audit entry stay; it may then be granted again.
func TestTimeLimitedGrant(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		admin := newTestUser(t, db, "ada", models.RoleAdmin)
		asha := newTestUser(t, db, "asha")
		now := time.Now()
		v := &models.ValidationError{}
		until := models.BadgeUntil(v, "until", now.AddDate(0, 1, 0).UTC().Format(time.DateOnly), now)
		if until == nil {
			t.Fatal(v)
		}
		grant := models.BadgeGrant{UserID: asha.ID, Slug: "summit-guest", Reason: "Summit 2026", ExpiresAt: until}
		for bad, msg := range map[*time.Time]string{ptr(now.Add(-time.Minute)): "error.date_past", ptr(now.AddDate(6, 0, 0)): "error.until_too_far"} {
			g := grant
			g.ExpiresAt = bad
			if ok, err := models.GrantManualBadge(ctx, db, admin, g); ok || !isField("until", msg)(err) {
				t.Errorf("expiry %v: %v %v, want %s", bad, ok, err, msg)
			}
		}
		for i, want := range []bool{true, false} {
			if ok, err := models.GrantManualBadge(ctx, db, admin, grant); ok != want || err != nil {
				t.Fatalf("grant %d: %v %v, want %v", i, ok, err, want)
			}
		}
		var notes []models.Notification
		db.Where("user_id = ?", asha.ID).Find(&notes)
		var award models.UserBadge
		db.Where("user_id = ?", asha.ID).First(&award)
		if len(notes) != 1 || notes[0].Kind != models.NotifyBadgeGranted || notes[0].URL != "/badges/summit-guest" ||
			notes[0].Detail != "Summit guest" || notes[0].ActorID == nil || *notes[0].ActorID != admin.ID ||
			notes[0].DedupKey != fmt.Sprintf("badge:%d", award.ID) {
			t.Fatalf("notifications %+v", notes)
		}
		if award.ExpiresAt == nil || !award.ExpiresAt.Equal(*until) {
			t.Errorf("award expires %v, want %v", award.ExpiresAt, until)
		}
		shown := func() (holders int, held bool, count int64) {
			hs, _, err := models.BadgeHolders(ctx, db, award.BadgeID, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			mine, err := models.BadgesOf(ctx, db, asha.ID)
			if err != nil {
				t.Fatal(err)
			}
			all, err := models.AllBadges(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range all {
				if b.Slug == "summit-guest" {
					count = b.Holders
				}
			}
			return len(hs), len(mine) == 1, count
		}
		if h, held, n := shown(); h != 1 || !held || n != 1 {
			t.Fatalf("before expiry: %d holders, held %v, count %d", h, held, n)
		}
		hs, _, _ := models.BadgeHolders(ctx, db, award.BadgeID, "", 10)
		if got := hs[0].LastDay().Format(time.DateOnly); got != until.AddDate(0, 0, -1).Format(time.DateOnly) {
			t.Errorf("last day %s", got)
		}
		db.Model(&models.UserBadge{}).Where("id = ?", award.ID).Update("expires_at", now.Add(-time.Hour).UTC())
		if h, held, n := shown(); h != 0 || held || n != 0 {
			t.Fatalf("after expiry: %d holders, held %v, count %d", h, held, n)
		}
		if ok, err := models.RevokeManualBadge(ctx, db, admin, asha.ID, "summit-guest", "gone"); ok || err != nil {
			t.Errorf("revoked an expired award: %v %v", ok, err)
		}
		var rows, audits int64
		db.Model(&models.UserBadge{}).Count(&rows)
		db.Model(&models.AuditEntry{}).Where("action = 'badge.grant'").Count(&audits)
		if rows != 1 || audits != 1 {
			t.Fatalf("after expiry: %d awards, %d audit entries, want both kept", rows, audits)
		}
		// Granted again for ever: a new award beside the expired one, a
		// new notification; granting once more is a no-op.
		grant.ExpiresAt = nil
		for i, want := range []bool{true, false} {
			if ok, err := models.GrantManualBadge(ctx, db, admin, grant); ok != want || err != nil {
				t.Fatalf("re-grant %d: %v %v, want %v", i, ok, err, want)
			}
		}
		db.Model(&models.UserBadge{}).Count(&rows)
		var n int64
		db.Model(&models.Notification{}).Where("user_id = ?", asha.ID).Count(&n)
		if h, held, c := shown(); h != 1 || !held || c != 1 || rows != 2 || n != 2 {
			t.Errorf("after re-grant: %d holders, held %v, count %d, %d rows, %d notifications", h, held, c, rows, n)
		}
		if ok, err := models.RevokeManualBadge(ctx, db, admin, asha.ID, "summit-guest", "mistake"); !ok || err != nil {
			t.Errorf("revoke the live award: %v %v", ok, err)
		}
		db.Model(&models.UserBadge{}).Count(&rows)
		if rows != 1 {
			t.Errorf("revoke left %d awards, want the expired one", rows)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// exportWorld is a hand-made ledger around March 2026.
type exportWorld struct {
	*badgeWorld
	users    map[string]*models.User
	printers int64
	scanners int64
	staff    int64
	key      int
}

func newExportWorld(t *testing.T, db *gorm.DB) *exportWorld {
	w := &exportWorld{badgeWorld: newBadgeWorld(t, db, 2), users: map[string]*models.User{}}
	w.printers, w.scanners = w.boards[0], w.boards[1]
	b, err := models.CreateBoard(w.ctx, db, models.BoardInput{Slug: "staff-room", Name: "Staff room", Visibility: models.VisibilityStaff})
	if err != nil {
		t.Fatal(err)
	}
	w.staff = b.ID
	for _, u := range []struct {
		handle, name, email string
		roles               []models.Role
	}{
		{"asha", "Asha Rao", "asha@example.com", nil},
		{"omar", "@omar", "", nil},
		{"eve", "=SUM(A1:A9)", "-eve@example.com", nil},
		{"ray", "\tRay", "ray@example.com", []models.Role{models.RoleExpert}},
		{"dan", "Dan", "", nil},
		{"bob", "Bob", "", nil},
		{"emil", "Emil", "emil@corp.example", []models.Role{models.RoleEmployee}},
		{"mona", "Mona", "", []models.Role{models.RoleModerator}},
	} {
		nu := newTestUser(t, db, u.handle, u.roles...)
		db.Model(nu).Updates(map[string]any{"display_name": u.name, "email": u.email})
		w.users[u.handle] = nu
	}
	return w
}

func (w *exportWorld) points(handle string, n int, board int64, at string) {
	w.t.Helper()
	w.key++
	e := models.PointEvent{UserID: w.users[handle].ID, Points: n, Reason: models.ReasonKudosReceived, AwardKey: fmt.Sprintf("t:%d", w.key),
		CreatedAt: mustTime(w.t, at)}
	if board != 0 {
		e.BoardID = &board
	}
	if err := w.db.Create(&e).Error; err != nil {
		w.t.Fatal(err)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.DateTime, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

// fill writes the ledger and the answers the export tests expect.
func (w *exportWorld) fill() {
	w.points("asha", 15, w.printers, "2026-03-01 00:00:00") // the first instant counts
	w.points("asha", 10, w.printers, "2026-03-31 23:59:59")
	w.points("asha", 10, w.printers, "2026-04-01 00:00:00") // the end does not
	w.points("omar", 25, 0, "2026-03-15 12:00:00")
	w.points("eve", 12, w.staff, "2026-03-10 08:00:00")
	w.points("ray", 5, w.scanners, "2026-03-11 08:00:00")
	w.points("dan", 50, w.printers, "2026-02-28 23:59:59")
	w.points("bob", 10, w.printers, "2026-03-02 10:00:00")
	w.points("bob", -10, w.printers, "2026-03-03 10:00:00")
	w.points("emil", 30, w.printers, "2026-03-05 10:00:00")
	w.points("mona", 99, w.printers, "2026-03-06 10:00:00")
	omar, asha := w.users["omar"], w.users["asha"]
	at := func(s string) time.Time { return mustTime(w.t, s) }
	q1 := w.question(omar, w.printers, at("2026-02-27 09:00:00"))
	q2 := w.question(omar, w.printers, at("2026-03-02 09:00:00"))
	q3 := w.question(omar, w.scanners, at("2026-03-02 09:00:00"))
	own := w.question(asha, w.printers, at("2026-03-02 09:00:00"))
	w.accept(q1, w.answer(asha, q1, at("2026-03-01 00:00:00")))
	w.answer(asha, q2, at("2026-03-20 10:00:00"))
	w.answer(asha, q3, at("2026-03-21 10:00:00"))         // another board
	w.answer(asha, q2, at("2026-04-01 00:00:00"))         // after the period
	w.answer(asha, own, at("2026-03-05 10:00:00"))        // her own question
	gone := w.answer(asha, q2, at("2026-03-06 10:00:00")) // deleted
	w.db.Table("posts").Where("id = ?", gone).Update("deleted_at", at("2026-03-07 10:00:00"))
}

func contributorRows(cs []models.Contributor) string {
	var b strings.Builder
	for _, c := range cs {
		roles := make([]string, len(c.Roles))
		for i, r := range c.Roles {
			roles[i] = string(r)
		}
		fmt.Fprintf(&b, "%d %s %q %s [%s] %d %d/%d\n", c.Place, c.Handle, c.DisplayName, c.Email, strings.Join(roles, " "), c.Points, c.Answers, c.Accepted)
	}
	return b.String()
}

// TestTopContributors: the export counts the ledger rows of [from, to)
// exactly, members and employees apart, on one board when asked, and
// shares places between equal points.
func TestTopContributors(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		w := newExportWorld(t, db)
		w.fill()
		march := models.ContributorQuery{From: mustTime(t, "2026-03-01 00:00:00"), To: mustTime(t, "2026-04-01 00:00:00"),
			Audience: models.AudienceMember, Limit: 100}
		run := func(q models.ContributorQuery) string {
			t.Helper()
			cs, err := models.TopContributors(w.ctx, db, q)
			if err != nil {
				t.Fatal(err)
			}
			return contributorRows(cs)
		}
		want := `1 asha "Asha Rao" asha@example.com [] 25 3/1
1 omar "@omar"  [] 25 0/0
3 eve "=SUM(A1:A9)" -eve@example.com [] 12 0/0
4 ray "\tRay" ray@example.com [expert] 5 0/0
`
		if got := run(march); got != want {
			t.Errorf("March, members:\n%s\nwant:\n%s", got, want)
		}
		q := march
		q.Limit = 2
		if got := run(q); got != `1 asha "Asha Rao" asha@example.com [] 25 3/1
1 omar "@omar"  [] 25 0/0
` {
			t.Errorf("limit 2:\n%s", got)
		}
		q = march
		q.BoardID = w.printers
		if got := run(q); got != "1 asha \"Asha Rao\" asha@example.com [] 25 2/1\n" {
			t.Errorf("printers:\n%s", got)
		}
		q.IncludeStaffRoles = true
		if got := run(q); got != "1 mona \"Mona\"  [moderator] 99 0/0\n2 asha \"Asha Rao\" asha@example.com [] 25 2/1\n" {
			t.Errorf("printers with moderators:\n%s", got)
		}
		q = march
		q.Audience = models.AudienceStaff
		if got := run(q); got != "1 emil \"Emil\" emil@corp.example [employee] 30 0/0\n" {
			t.Errorf("staff:\n%s", got)
		}
		q = march
		q.From, q.To = mustTime(t, "2026-02-28 23:59:59"), mustTime(t, "2026-03-01 00:00:01")
		if got := run(q); got != "1 dan \"Dan\"  [] 50 0/0\n2 asha \"Asha Rao\" asha@example.com [] 15 1/1\n" {
			t.Errorf("two seconds around the start of March:\n%s", got)
		}
		q.From, q.To = mustTime(t, "2027-01-01 00:00:00"), mustTime(t, "2028-01-01 00:00:00")
		if got := run(q); got != "" {
			t.Errorf("2027: %q", got)
		}
		for _, bad := range []models.ContributorQuery{
			{From: march.To, To: march.From, Audience: models.AudienceMember, Limit: 10},
			{From: march.From, To: march.From, Audience: models.AudienceMember, Limit: 10},
			{From: march.From, To: march.To, Audience: "robots", Limit: 10},
			{From: march.From, To: march.To, Audience: models.AudienceMember, Limit: 0},
			{From: march.From, To: march.To, Audience: models.AudienceMember, Limit: 1001},
		} {
			if _, err := models.TopContributors(w.ctx, db, bad); err == nil {
				t.Errorf("%+v accepted", bad)
			}
		}
	})
}

// TestEmployeeVolunteers: every employee is listed by handle with the
// answers, questions, accepted and verified answers of the period, and
// the time-given estimate sums sittings (a gap over 30 minutes starts a
// new one; each counts its span plus 10 minutes).
func TestEmployeeVolunteers(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		w := newBadgeWorld(t, db, 1)
		ctx, board := w.ctx, w.boards[0]
		emil := newTestUser(t, db, "emil", models.RoleEmployee)
		newTestUser(t, db, "Erin", models.RoleEmployee)
		newTestUser(t, db, "abe")                 // a member: not listed
		now := mustTime(t, "2026-03-18 12:00:00") // a Wednesday
		at := func(s string) time.Time { return mustTime(t, s) }
		qs := make([]int64, 6)
		for i := range qs {
			qs[i] = w.question(w.asker, board, at("2026-02-01 09:00:00"))
		}
		// This week: sittings 10:00-10:50 (a 30-minute gap stays in it),
		// 11:21 and 15:00 (two answers at once): 50+10, 10 and 10 minutes.
		first := w.answer(emil, qs[0], at("2026-03-17 10:00:00"))
		w.answer(emil, qs[0], at("2026-03-17 10:20:00"))
		w.answer(emil, qs[1], at("2026-03-17 10:50:00"))
		w.answer(emil, qs[2], at("2026-03-17 11:21:00"))
		w.answer(emil, qs[3], at("2026-03-17 15:00:00"))
		w.answer(emil, qs[4], at("2026-03-17 15:00:00"))
		w.accept(qs[0], first)
		gone := w.answer(emil, qs[5], at("2026-03-17 13:00:00"))
		db.Table("posts").Where("id = ?", gone).Update("deleted_at", at("2026-03-17 13:05:00"))
		own := w.question(emil, board, at("2026-03-17 13:30:00"))
		w.answer(emil, own, at("2026-03-17 14:00:00"))
		w.answer(emil, qs[5], at("2026-03-10 09:00:00")) // last week
		w.answer(emil, qs[5], at("2026-02-20 09:00:00")) // last month
		// Verified: two answers this week, one earlier this month.
		for i, day := range []string{"2026-03-17 16:00:00", "2026-03-16 00:00:00", "2026-03-01 08:00:00"} {
			a := w.answer(w.helper, qs[i], at("2026-03-01 07:00:00"))
			db.Table("posts").Where("id = ?", a).Updates(map[string]any{"verified_by": emil.ID, "verified_at": at(day)})
		}
		award := models.PointEvent{UserID: emil.ID, Points: 15, Reason: models.ReasonAnswerAccepted, AwardKey: "t:emil", CreatedAt: at("2026-03-17 10:30:00")}
		if err := db.Create(&award).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := models.RefreshLeaderboards(ctx, db, models.LeaderboardRefreshOptions{Now: now}); err != nil {
			t.Fatal(err)
		}
		figures := func(v models.VolunteerStats) string {
			return fmt.Sprintf("%s q%d a%d acc%d ver%d s%d %s pts%d", v.Handle, v.QuestionsAnswered, v.Answers, v.Accepted, v.Verified,
				v.Sessions, v.TimeGiven, v.StaffPoints)
		}
		for period, want := range map[string][]string{
			models.PeriodWeek:  {"emil q5 a6 acc1 ver2 s3 1h20m0s pts15", "Erin q0 a0 acc0 ver0 s0 0s pts0"},
			models.PeriodMonth: {"emil q6 a7 acc1 ver3 s4 1h30m0s pts15", "Erin q0 a0 acc0 ver0 s0 0s pts0"},
			models.PeriodAll:   {"emil q6 a8 acc1 ver3 s5 1h40m0s pts15", "Erin q0 a0 acc0 ver0 s0 0s pts0"},
		} {
			rows, next, err := models.EmployeeVolunteers(ctx, db, period, now, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, figures(r))
			}
			if !slices.Equal(got, want) || next != "" {
				t.Errorf("%s: %q next %q, want %q", period, got, next, want)
			}
		}
		// Pages of one, by handle whatever its case.
		rows, next, err := models.EmployeeVolunteers(ctx, db, models.PeriodWeek, now, "", 1)
		if err != nil || len(rows) != 1 || rows[0].Handle != "emil" || next != "emil" {
			t.Fatalf("first page: %v %q %v", rows, next, err)
		}
		rows, next, err = models.EmployeeVolunteers(ctx, db, models.PeriodWeek, now, next, 1)
		if err != nil || len(rows) != 1 || rows[0].Handle != "Erin" || next != "" {
			t.Fatalf("second page: %v %q %v", rows, next, err)
		}
		if _, _, err := models.EmployeeVolunteers(ctx, db, "year", now, "", 1); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown period: %v", err)
		}
		ps, err := models.VolunteerPeriods(ctx, db, emil, now)
		if err != nil || len(ps) != 3 || figures(ps[0]) != "emil q5 a6 acc1 ver2 s3 1h20m0s pts15" || figures(ps[2]) != "emil q6 a8 acc1 ver3 s5 1h40m0s pts15" {
			t.Errorf("periods of one employee: %v %v", ps, err)
		}
	})
}

// TestTimeGivenMatchesTheRule compares the database's sittings with the
// rule computed here, on random answer times (seconds apart, ties and
// gaps of exactly 30 minutes included).
func TestTimeGivenMatchesTheRule(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		w := newBadgeWorld(t, db, 1)
		emil := newTestUser(t, db, "emil", models.RoleEmployee)
		q := w.question(w.asker, w.boards[0], mustTime(t, "2026-01-01 00:00:00"))
		rng := rand.New(rand.NewPCG(7, 11))
		at := mustTime(t, "2026-01-02 08:00:00")
		var times []time.Time
		for range 60 {
			gaps := []time.Duration{0, time.Second, 29 * time.Minute, 30 * time.Minute, 30*time.Minute + time.Second, 3 * time.Hour}
			at = at.Add(gaps[rng.IntN(len(gaps))])
			times = append(times, at)
			w.answer(emil, q, at)
		}
		want, sessions := time.Duration(0), 0
		for i, tm := range times {
			if i == 0 || tm.Sub(times[i-1]) > models.SessionGap {
				sessions++
				want += models.SessionCredit
			} else {
				want += tm.Sub(times[i-1])
			}
		}
		ps, err := models.VolunteerPeriods(w.ctx, db, emil, mustTime(t, "2026-01-03 00:00:00"))
		if err != nil {
			t.Fatal(err)
		}
		if got := ps[2]; got.TimeGiven != want || got.Sessions != int64(sessions) {
			t.Errorf("time given %s in %d sittings, want %s in %d", got.TimeGiven, got.Sessions, want, sessions)
		}
	})
}

// BenchmarkTopContributors measures the export on PostgreSQL over a ledger
// of CROWDCARE_BENCH_LEDGER_ROWS rows (default 2,000,000) over the last
// year and 100,000 users, most points on few users as in the leaderboard
// benchmark, written in time order as a real ledger is appended (so a
// period is a contiguous stretch of the table): one month, one month on a
// board and the whole year, top 1000. It logs the plan of the month's
// statement.
//
//	TEST_DATABASE_URL=postgres://... go test ./models/ -run '^$' -bench BenchmarkTopContributors -benchtime 5x
func BenchmarkTopContributors(b *testing.B) {
	db := testenv.PostgresDB(b)
	ctx := context.Background()
	now := time.Now().UTC()
	rows := 2_000_000
	if v := os.Getenv("CROWDCARE_BENCH_LEDGER_ROWS"); v != "" {
		rows = lbBenchLedgerRows(b)
	}
	start := time.Now()
	exec := func(q string, args ...any) {
		if err := db.Exec(q, args...).Error; err != nil {
			b.Fatal(err)
		}
	}
	const users = 100_000
	exec(`INSERT INTO users (handle, display_name, email, created_at, updated_at)
		SELECT 'user' || g, 'User ' || g, 'user' || g || '@example.com', ?, ? FROM generate_series(1, ?) g`, now.AddDate(-2, 0, 0), now, users)
	exec(`INSERT INTO user_roles (user_id, role, created_at) SELECT id, 'employee', ?::timestamptz FROM users WHERE id % 100 = 0`, now)
	exec(`INSERT INTO boards (slug, name, visibility, position, created_at, updated_at)
		SELECT 'bench-board-' || g, 'Bench board ' || g, 'public', g, ?::timestamptz, ?::timestamptz FROM generate_series(1, 20) g`, now, now)
	var firstBoard int64
	db.Raw(`SELECT MIN(id) FROM boards`).Scan(&firstBoard)
	for from := 1; from <= rows; from += 1_000_000 {
		to := min(from+999_999, rows)
		exec(`INSERT INTO point_events (user_id, points, reason, subject_type, subject_id, board_id, award_key, created_at)
			SELECT 1 + floor(power(random(), 3) * ?)::bigint, (ARRAY[2, 10, 10, 15])[1 + floor(random() * 4)::int],
				'kudos_received', 'post', g, ? + (g % 20), 'bench:' || g, ?::timestamptz - interval '365 days' * (1 - g::float8 / ?)
			FROM generate_series(?::bigint, ?::bigint) g`, users, firstBoard, now, rows, from, to)
	}
	exec(`ANALYZE`)
	b.Logf("generated %d users and %d ledger rows in %s", users, rows, time.Since(start).Round(time.Millisecond))
	month := models.ContributorQuery{From: now.AddDate(0, -1, 0), To: now, Audience: models.AudienceMember, Limit: models.ContributorMaxLimit}
	var plan []string
	db.Raw(`EXPLAIN (ANALYZE, BUFFERS) SELECT e.user_id, SUM(e.points) AS points FROM point_events e
		WHERE e.created_at >= ? AND e.created_at < ? GROUP BY e.user_id HAVING SUM(e.points) > 0`, month.From, month.To).Scan(&plan)
	b.Logf("EXPLAIN ANALYZE one month's sums:\n%s", strings.Join(plan, "\n"))
	board := month
	board.BoardID = firstBoard
	year := month
	year.From = now.AddDate(-1, 0, 0)
	for _, c := range []struct {
		name string
		q    models.ContributorQuery
	}{{"month", month}, {"month/board", board}, {"year", year}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				cs, err := models.TopContributors(ctx, db, c.q)
				if err != nil {
					b.Fatal(err)
				}
				if len(cs) == 0 {
					b.Fatal("no contributors")
				}
			}
		})
	}
}
