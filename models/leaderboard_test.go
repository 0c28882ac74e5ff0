package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// lbNow is a Wednesday: its week began on Monday 23 November 2026.
var lbNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestPeriodStart(t *testing.T) {
	cases := []struct {
		period string
		at     time.Time
		want   time.Time
	}{
		{models.PeriodWeek, time.Date(2026, 11, 22, 23, 59, 59, 0, time.UTC), time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)}, // Sunday
		{models.PeriodWeek, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},    // Monday
		{models.PeriodWeek, lbNow, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},
		// A Monday morning in India is still Sunday in UTC.
		{models.PeriodWeek, time.Date(2026, 11, 23, 3, 0, 0, 0, time.FixedZone("IST", 5*3600+1800)), time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)},
		{models.PeriodMonth, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{models.PeriodMonth, time.Date(2026, 11, 30, 23, 59, 59, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{models.PeriodAll, lbNow, time.Unix(0, 0).UTC()},
	}
	for _, c := range cases {
		if got := models.PeriodStart(c.period, c.at); !got.Equal(c.want) {
			t.Errorf("PeriodStart(%s, %s) = %s, want %s", c.period, c.at, got, c.want)
		}
	}
	if got := models.PrevPeriodStart(models.PeriodMonth, time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)); !got.Equal(time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("previous month of January: %s", got)
	}
}

// lbWorld is a small forum with users of every kind and two boards.
type lbWorld struct {
	t                         *testing.T
	db                        *gorm.DB
	alice, bob, emil, mona    *models.User
	public, staffRoom, lounge *models.Board
}

func newLBWorld(t *testing.T, db *gorm.DB) *lbWorld {
	t.Helper()
	ctx := context.Background()
	w := &lbWorld{t: t, db: db,
		alice: &models.User{Handle: "alice", DisplayName: "Alice A"},
		bob:   &models.User{Handle: "bob"},
		emil:  &models.User{Handle: "emil", Roles: []models.Role{models.RoleEmployee}},
		mona:  &models.User{Handle: "mona", Roles: []models.Role{models.RoleModerator}},
	}
	for _, u := range []*models.User{w.alice, w.bob, w.emil, w.mona} {
		if err := models.CreateUser(ctx, db, u); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	for _, b := range []struct {
		dst  **models.Board
		slug string
		vis  models.Visibility
	}{{&w.public, "printers", models.VisibilityPublic}, {&w.staffRoom, "staff-room", models.VisibilityStaff}, {&w.lounge, "lounge", models.VisibilityMembers}} {
		if *b.dst, err = models.CreateBoard(ctx, db, models.BoardInput{Slug: b.slug, Name: b.slug, Visibility: b.vis}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// event writes a ledger row directly, as Award would.
func (w *lbWorld) event(u *models.User, points int, board *models.Board, at time.Time) *models.PointEvent {
	w.t.Helper()
	e := &models.PointEvent{UserID: u.ID, Points: points, Reason: "answer_accepted", AwardKey: testenv.RandomName("lb:"), CreatedAt: at}
	if board != nil {
		e.BoardID = &board.ID
	}
	if err := w.db.Create(e).Error; err != nil {
		w.t.Fatal(err)
	}
	return e
}

func (w *lbWorld) refresh(now time.Time) models.RefreshResult {
	w.t.Helper()
	res, err := models.RefreshLeaderboards(context.Background(), w.db, models.LeaderboardRefreshOptions{Now: now, BatchSize: 3})
	if err != nil {
		w.t.Fatal(err)
	}
	return res
}

func (w *lbWorld) top(opt models.LeaderboardOptions) *models.Leaderboard {
	w.t.Helper()
	if opt.Now.IsZero() {
		opt.Now = lbNow
	}
	if opt.Audience == "" {
		opt.Audience = models.AudienceMember
	}
	lb, err := models.Top(context.Background(), w.db, opt)
	if err != nil {
		w.t.Fatalf("top %+v: %v", opt, err)
	}
	return lb
}

// board renders a leaderboard as "handle:points:rank:change ..." for
// compact comparisons.
func board(lb *models.Leaderboard) string {
	s := ""
	for _, r := range lb.Rows {
		ch := "-"
		switch {
		case r.Change == nil:
		case r.Change.New:
			ch = "new"
		case r.Change.Below:
			ch = "below"
		default:
			ch = fmt.Sprintf("%+d", r.Change.Delta)
		}
		s += fmt.Sprintf("%s:%d:%d:%s ", r.Handle, r.Points, r.Rank, ch)
	}
	return s
}

func TestLeaderboardRefreshAndTop(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		w := newLBWorld(t, db)
		sunday := time.Date(2026, 11, 22, 23, 59, 59, 0, time.UTC)
		monday := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
		october := time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC)
		w.event(w.alice, 10, w.public, lbNow.Add(-time.Hour))
		w.event(w.alice, 7, nil, monday)
		w.event(w.alice, 5, w.public, sunday)
		w.event(w.alice, 15, w.lounge, sunday.Add(-24*time.Hour))
		w.event(w.alice, 100, w.public, october)
		w.event(w.bob, 12, w.public, sunday)
		w.event(w.emil, 20, w.public, lbNow)
		w.event(w.mona, 30, w.public, lbNow)

		res := w.refresh(lbNow)
		if res.Events != 8 || res.Batches != 3 {
			t.Fatalf("refresh: %+v", res)
		}
		week := models.LeaderboardOptions{Period: models.PeriodWeek, ExcludeStaffRoles: true}
		// Last week alice had 20 and bob 12: alice stays first; bob has
		// nothing this week. Mona (moderator) is left out; emil is staff.
		if got := board(w.top(week)); got != "alice:17:1:+0 " {
			t.Errorf("week: %q", got)
		}
		withMods := week
		withMods.ExcludeStaffRoles = false
		if got := board(w.top(withMods)); got != "mona:30:1:new alice:17:2:-1 " {
			t.Errorf("week with moderators: %q", got)
		}
		staff := week
		staff.Audience = models.AudienceStaff
		if got := board(w.top(staff)); got != "emil:20:1:new " {
			t.Errorf("staff week: %q", got)
		}
		month := models.LeaderboardOptions{Period: models.PeriodMonth, ExcludeStaffRoles: true}
		if got := board(w.top(month)); got != "alice:37:1:+0 bob:12:2:new " {
			t.Errorf("month: %q", got)
		}
		all := models.LeaderboardOptions{Period: models.PeriodAll, ExcludeStaffRoles: true}
		if got := board(w.top(all)); got != "alice:137:1:- bob:12:2:- " {
			t.Errorf("all: %q", got)
		}
		perBoard := models.LeaderboardOptions{Period: models.PeriodWeek, Board: "printers", ExcludeStaffRoles: true}
		if got := board(w.top(perBoard)); got != "alice:10:1:+1 " {
			t.Errorf("printers week: %q", got)
		}

		// Running again counts nothing twice.
		if res := w.refresh(lbNow); res.Events != 0 {
			t.Fatalf("second refresh counted %d", res.Events)
		}
		if got := board(w.top(all)); got != "alice:137:1:- bob:12:2:- " {
			t.Errorf("all after a second refresh: %q", got)
		}
		// New rows after the watermark count once.
		last := w.event(w.bob, 40, w.public, lbNow)
		if res := w.refresh(lbNow); res.Events != 1 || res.Watermark != last.ID {
			t.Fatalf("third refresh: %+v, last id %d", res, last.ID)
		}
		w.refresh(lbNow)
		if got := board(w.top(week)); got != "bob:40:1:+1 alice:17:2:-1 " {
			t.Errorf("week after bob: %q", got)
		}
		// An undo row counts in the period of the award it reverses.
		err := db.Transaction(func(tx *gorm.DB) error {
			var k []string
			tx.Model(&models.PointEvent{}).Where("user_id = ? AND points = 15", w.alice.ID).Pluck("award_key", &k)
			_, err := models.Reverse(tx, k[0], k[0]+":undo", "kudos_reversed", nil)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		w.refresh(lbNow)
		if got := board(w.top(week)); got != "bob:40:1:+0 alice:17:2:+0 " {
			// Last week: alice 5, bob 12: bob was first, alice second.
			t.Errorf("week after the reversal: %q", got)
		}
		if got := board(w.top(all)); got != "alice:122:1:- bob:52:2:- " {
			t.Errorf("all after the reversal: %q", got)
		}
	})
}

func TestLeaderboardPrivateBoards(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		w := newLBWorld(t, db)
		w.event(w.emil, 9, w.staffRoom, lbNow)
		w.refresh(lbNow)
		opt := models.LeaderboardOptions{Period: models.PeriodWeek, Board: "staff-room", Audience: models.AudienceStaff, Now: lbNow}
		for _, viewer := range []*models.User{nil, w.alice} {
			opt.Viewer = viewer
			if _, err := models.Top(context.Background(), db, opt); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("viewer %v: staff board leaderboard: %v", viewer, err)
			}
		}
		opt.Viewer = w.emil
		if got := board(w.top(opt)); got != "emil:9:1:new " {
			t.Errorf("employee reads the staff room board: %q", got)
		}
		// The overall board counts the points without naming the board.
		if got := board(w.top(models.LeaderboardOptions{Period: models.PeriodAll, Audience: models.AudienceStaff})); got != "emil:9:1:- " {
			t.Errorf("overall: %q", got)
		}
		opt.Board, opt.Viewer = "no-such-board", w.emil
		if _, err := models.Top(context.Background(), db, opt); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown board: %v", err)
		}
	})
}

// TestLeaderboardWaitsForLedgerHoles: an id taken by a transaction that has
// not committed must not be skipped, until it is old enough to be a
// rollback.
func TestLeaderboardWaitsForLedgerHoles(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		w := newLBWorld(t, db)
		first := w.event(w.alice, 3, nil, lbNow)
		w.refresh(lbNow)
		// A row after a hole, written just now.
		late := &models.PointEvent{ID: first.ID + 5, UserID: w.bob.ID, Points: 4, Reason: "answer_accepted", AwardKey: "lb:late", CreatedAt: lbNow}
		if err := db.Create(late).Error; err != nil {
			t.Fatal(err)
		}
		if res := w.refresh(lbNow.Add(10 * time.Second)); res.Events != 0 || res.Watermark != first.ID {
			t.Fatalf("counted past a young hole: %+v", res)
		}
		if res := w.refresh(lbNow.Add(2 * time.Minute)); res.Events != 1 || res.Watermark != late.ID {
			t.Fatalf("an old hole still blocks: %+v", res)
		}
		if got := board(w.top(models.LeaderboardOptions{Period: models.PeriodAll})); got != "bob:4:1:- alice:3:2:- " {
			t.Errorf("all: %q", got)
		}
	})
}

// TestLeaderboardPrunesOldPeriods: weeks and months before the previous
// one are dropped; all time stays.
func TestLeaderboardPrunesOldPeriods(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		w := newLBWorld(t, db)
		w.event(w.alice, 3, w.public, lbNow)
		w.refresh(lbNow)
		var n int64
		db.Table("leaderboard_scores").Count(&n)
		if n != 6 {
			t.Fatalf("%d rows for one event on a board, want 6", n)
		}
		w.refresh(lbNow.AddDate(0, 0, 14))
		db.Table("leaderboard_scores").Where("period = 'week'").Count(&n)
		if n != 0 {
			t.Errorf("%d week rows kept two weeks on", n)
		}
		db.Table("leaderboard_scores").Where("period = 'all'").Count(&n)
		if n != 2 {
			t.Errorf("%d all-time rows, want 2", n)
		}
	})
}

// TestLeaderboardStatementBudget: Top costs at most four statements,
// however many rows it shows, and none of them reads the ledger.
func TestLeaderboardStatementBudget(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		w := newLBWorld(t, db)
		for i := 0; i < 30; i++ {
			u := &models.User{Handle: fmt.Sprintf("user%02d", i)}
			if err := models.CreateUser(context.Background(), db, u); err != nil {
				t.Fatal(err)
			}
			w.event(u, i+1, w.public, lbNow)
			w.event(u, 30-i, w.public, lbNow.AddDate(0, 0, -7))
		}
		w.refresh(lbNow)
		sqls, err := count(db, func(db *gorm.DB) error {
			lb, err := models.Top(context.Background(), db, models.LeaderboardOptions{Period: models.PeriodWeek, Board: "printers",
				Audience: models.AudienceMember, ExcludeStaffRoles: true, Now: lbNow})
			if err == nil && (len(lb.Rows) != 30 || lb.Rows[0].Change == nil || lb.Rows[0].Change.Delta != 29) {
				err = fmt.Errorf("rows %d, first %+v", len(lb.Rows), lb.Rows[0])
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(sqls) > 4 {
			t.Errorf("Top ran %d statements:\n%s", len(sqls), strings.Join(sqls, "\n"))
		}
		for _, q := range sqls {
			if strings.Contains(q, "point_events") {
				t.Errorf("Top read the ledger: %s", q)
			}
		}
	})
}

// TestLeaderboardManyModeratorsAtTheTop: leaving out more moderators than
// the slack Top reads still fills the board.
func TestLeaderboardManyModeratorsAtTheTop(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		w := newLBWorld(t, db)
		for i := 0; i < 60; i++ {
			u := &models.User{Handle: fmt.Sprintf("mod%02d", i), Roles: []models.Role{models.RoleModerator}}
			if err := models.CreateUser(context.Background(), db, u); err != nil {
				t.Fatal(err)
			}
			w.event(u, 1000+i, nil, lbNow)
		}
		w.event(w.alice, 30, nil, lbNow)
		w.event(w.bob, 20, nil, lbNow)
		w.refresh(lbNow)
		lb := w.top(models.LeaderboardOptions{Period: models.PeriodAll, ExcludeStaffRoles: true, Limit: 2})
		if got := board(lb); got != "alice:30:1:- bob:20:2:- " {
			t.Errorf("board without moderators: %q", got)
		}
		lb = w.top(models.LeaderboardOptions{Period: models.PeriodAll, Limit: 2})
		if got := board(lb); got != "mod59:1059:1:- mod58:1058:2:- " {
			t.Errorf("board with moderators: %q", got)
		}
	})
}
