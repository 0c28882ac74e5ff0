package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/models"
)

// sampleLeaderboard is a week's board with every kind of rank change.
func sampleLeaderboard(now time.Time, boards []models.Board) *leaderboardData {
	rows := []models.LeaderRow{
		{Rank: 1, UserID: 1, Handle: "asha", DisplayName: "Asha Rao", Points: 120, Change: &models.RankChange{Prev: 4, Delta: 3}},
		{Rank: 2, UserID: 7, Handle: "omar", Points: 90, Change: &models.RankChange{New: true}},
		{Rank: 3, UserID: 3, Handle: "ezra", DisplayName: "Ezra <E>", Points: 40, Change: &models.RankChange{Prev: 2, Delta: -1}},
		{Rank: 3, UserID: 8, Handle: "zed", Points: 40, Change: &models.RankChange{Below: true}},
		{Rank: 5, UserID: 9, Handle: "yan", Points: 12, Change: &models.RankChange{Prev: 5}},
	}
	return &leaderboardData{LB: &models.Leaderboard{Period: "week", PeriodStart: models.PeriodStart("week", now), Audience: "member", Rows: rows},
		Period: "week", Audience: "member", Boards: boards, Depth: models.PrevRankDepth}
}

// sampleKudosCases is a page of open cases with a next page.
func sampleKudosCases(now time.Time) *kudosCasesData {
	cal := "cal"
	return &kudosCasesData{Status: "open", Next: 7, Cases: []models.KudosCaseView{
		{KudosCase: models.KudosCase{ID: 9, Kind: models.CaseSerial, KudosCount: 7, PointsReversed: 70, WindowStart: now.Add(-3 * time.Hour),
			WindowEnd: now.Add(-time.Hour), Status: models.CaseOpen, CreatedAt: now}, GiverHandle: "giver", ReceiverHandle: "rex"},
		{KudosCase: models.KudosCase{ID: 8, Kind: models.CaseRing3, KudosCount: 9, PointsReversed: 90, WindowStart: now.Add(-30 * time.Hour),
			WindowEnd: now.Add(-2 * time.Hour), Status: models.CaseOpen, CreatedAt: now}, GiverHandle: "ann", ReceiverHandle: "ben", ThirdHandle: &cal},
	}}
}

// seedKudosCase opens one kudos case between two users of the database
// (the first case: id 1, which routeParam uses) and returns its id.
func seedKudosCase(t *testing.T, ts *testServer) int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	for _, h := range []string{"kc-giver", "kc-receiver"} {
		u := &models.User{Handle: h}
		if err := models.CreateUser(ctx, ts.App.DB, u); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	now := time.Now().UTC()
	c := models.KudosCase{Kind: models.CaseSerial, GiverID: ids[0], ReceiverID: ids[1], KudosCount: 6, PointsReversed: 60,
		WindowStart: now.Add(-time.Hour), WindowEnd: now, Status: models.CaseOpen, CreatedAt: now}
	if err := ts.App.DB.Create(&c).Error; err != nil {
		t.Fatal(err)
	}
	if c.ID != 1 {
		t.Fatalf("the seeded kudos case has id %d; routeParam expects 1", c.ID)
	}
	return c.ID
}

// ledgerAward writes one ledger row for handle through the ledger API.
func ledgerAward(t *testing.T, db *gorm.DB, handle string, points int, board *models.Board) {
	t.Helper()
	u, err := models.UserByHandle(context.Background(), db, handle)
	if err != nil {
		t.Fatal(err)
	}
	e := models.PointEvent{UserID: u.ID, Points: points, Reason: models.ReasonAnswerAccepted, AwardKey: fmt.Sprintf("test:%s:%d", handle, points)}
	if board != nil {
		e.BoardID = &board.ID
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		_, _, err := models.Award(tx, e)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLeaderboardPage: the page reads the aggregate the refresh job keeps;
// members and employees are ranked apart; moderators are left out unless
// asked for; a private board's leaderboard is not found by those who may
// not see the board.
func TestLeaderboardPage(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		clients := map[string]*client{}
		for h, roles := range map[string][]string{"asha": nil, "omar": nil, "emil": {"employee"}, "mona": {"moderator"}} {
			clients[h] = ts.client()
			clients[h].signIn(h, roles...)
		}
		db := ts.App.DB
		printers, err := models.CreateBoard(ctx, db, models.BoardInput{Slug: "printers", Name: "Printers", Visibility: models.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		staffRoom, err := models.CreateBoard(ctx, db, models.BoardInput{Slug: "staff-room", Name: "Staff room", Visibility: models.VisibilityStaff})
		if err != nil {
			t.Fatal(err)
		}
		ledgerAward(t, db, "asha", 15, printers)
		ledgerAward(t, db, "omar", 25, nil)
		ledgerAward(t, db, "emil", 10, staffRoom)
		ledgerAward(t, db, "mona", 99, printers)
		if _, err := models.RefreshLeaderboards(ctx, db, models.LeaderboardRefreshOptions{}); err != nil {
			t.Fatal(err)
		}

		visitor := ts.client()
		r := visitor.get("/leaderboard")
		mustStatus(t, r, http.StatusOK)
		if i, j := strings.Index(r.Body, `href="/u/omar"`), strings.Index(r.Body, `href="/u/asha"`); i < 0 || j < 0 || i > j {
			t.Errorf("omar (25) should come before asha (15): %d, %d", i, j)
		}
		for _, absent := range []string{`href="/u/mona"`, `href="/u/emil"`, "Staff room"} {
			if strings.Contains(r.Body, absent) {
				t.Errorf("the members' board shows %s", absent)
			}
		}
		if r := visitor.get("/leaderboard?mods=1&period=month"); !strings.Contains(r.Body, `href="/u/mona"`) {
			t.Error("mods=1 leaves the moderator out")
		}
		r = visitor.get("/leaderboard?audience=staff&period=all")
		mustStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Body, `href="/u/emil"`) || strings.Contains(r.Body, `href="/u/asha"`) {
			t.Error("the staff board is not emil's alone")
		}
		r = visitor.get("/leaderboard?board=printers&mods=1")
		if !strings.Contains(r.Body, `href="/u/asha"`) || strings.Contains(r.Body, `href="/u/omar"`) {
			t.Error("the printers board counts points from elsewhere")
		}
		mustStatus(t, visitor.get("/leaderboard?period=year"), http.StatusBadRequest)
		mustStatus(t, visitor.get("/leaderboard?audience=robots"), http.StatusBadRequest)
		mustStatus(t, visitor.get("/leaderboard?board=staff-room&audience=staff"), http.StatusNotFound)
		mustStatus(t, clients["asha"].get("/leaderboard?board=staff-room&audience=staff"), http.StatusNotFound)
		r = clients["emil"].get("/leaderboard?board=staff-room&audience=staff")
		mustStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Body, `href="/u/emil"`) || !strings.Contains(r.Body, "Staff room") {
			t.Error("an employee does not see the staff room board")
		}
	})
}

// TestKudosCasesAuthorization: only moderators and admins list and decide
// kudos cases; a decision is audited and final.
func TestKudosCasesAuthorization(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		id := seedKudosCase(t, ts)
		path := fmt.Sprintf("/admin/kudos-cases/%d", id)
		visitor := ts.client()
		mustStatus(t, visitor.get("/admin/kudos-cases"), http.StatusUnauthorized)
		member := ts.client()
		member.signIn("asha")
		mustStatus(t, member.get("/admin/kudos-cases"), http.StatusForbidden)
		mustStatus(t, member.post(path, url.Values{"action": {"confirm"}}), http.StatusForbidden)
		mod := ts.client()
		mod.signIn("mona", "moderator")
		r := mod.get("/admin/kudos-cases")
		mustStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Body, `href="/u/kc-giver"`) || !strings.Contains(r.Body, `action="`+path+`"`) {
			t.Error("the open case is not listed with its decision forms")
		}
		mustStatus(t, mod.post(path, url.Values{"action": {"shrug"}}), http.StatusUnprocessableEntity)
		mustStatus(t, mod.post("/admin/kudos-cases/999", url.Values{"action": {"confirm"}}), http.StatusNotFound)
		r = mod.post(path, url.Values{"action": {"dismiss"}})
		mustStatus(t, r, http.StatusSeeOther)
		mustStatus(t, mod.post(path, url.Values{"action": {"confirm"}}), http.StatusConflict)
		var status string
		ts.App.DB.Raw(`SELECT status FROM kudos_cases WHERE id = ?`, id).Scan(&status)
		if status != models.CaseDismissed {
			t.Errorf("status %q after dismissal", status)
		}
		var n int64
		ts.App.DB.Raw(`SELECT COUNT(*) FROM audit_log WHERE action = 'kudos.case_dismissed'`).Scan(&n)
		if n != 1 {
			t.Errorf("%d audit entries for the dismissal", n)
		}
		if r := mod.get("/admin/kudos-cases?status=dismissed"); !strings.Contains(r.Body, `href="/u/kc-receiver"`) {
			t.Error("the dismissed case is not listed under dismissed")
		}
		mustStatus(t, mod.get("/admin/kudos-cases?status=lost"), http.StatusBadRequest)
	})
}
