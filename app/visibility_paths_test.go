package app

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/models"
)

// TestPrivateBoardsOnEveryPath extends TestPrivateBoardsNeverLeak to the
// paths that show posts outside their board: profile activity, the
// leaderboards, notifications and feeds. For every kind of reader and every
// board it proves what is seen and what is not.
func TestPrivateBoardsOnEveryPath(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		admin := ts.client()
		admin.signIn("ada", "admin")
		boards := makeVisBoards(t, ts, admin)
		waitTagCounts(t, ts)
		// Points earned on every board, so each board has a leaderboard.
		if _, err := models.RefreshLeaderboards(t.Context(), ts.App.DB, models.LeaderboardRefreshOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, v := range viewers {
			t.Run(v.name, func(t *testing.T) {
				c := ts.client()
				var uid int64
				if v.handle != "" {
					c.signIn(v.handle, v.roles...)
					uid = userIDOf(t, ts, v.handle)
					notifyAbout(t, ts.App.DB, uid, boards)
				}
				checkProfileActivity(t, c, v, boards)
				checkLeaderboards(t, c, v, boards)
				checkNotifications(t, c, v, boards)
				checkFeeds(t, c, v, boards)
			})
		}
	})
}

// notifyAbout gives user a notification about the solved question of every
// board, as routing or a verification would.
func notifyAbout(t *testing.T, db *gorm.DB, user int64, boards []*visBoard) {
	t.Helper()
	for _, b := range boards {
		q := b.solvedID
		err := db.Transaction(func(tx *gorm.DB) error {
			_, err := models.Notify(tx, models.Notification{UserID: user, Kind: models.NotifyAnswerVerified, QuestionID: &q,
				URL: fmt.Sprintf("/q/%d", q), DedupKey: fmt.Sprintf("matrix:%d", q)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// checkProfileActivity: the author's profile lists exactly the visible
// boards' questions and answers.
func checkProfileActivity(t *testing.T, c *client, v viewer, boards []*visBoard) {
	t.Helper()
	page := c.get("/u/ada")
	mustStatus(t, page, http.StatusOK)
	leakCheck(t, v, "/u/ada", page, boards)
	for _, b := range boards {
		if slices.Contains(v.sees, b.vis) && !strings.Contains(page.Body, b.solvedTitle) {
			t.Errorf("/u/ada lacks the %s board's question", b.vis)
		}
	}
	points := c.get("/u/ada/points")
	mustStatus(t, points, http.StatusOK)
	leakCheck(t, v, "/u/ada/points", points, boards)
}

// checkLeaderboards: a board's leaderboard exists only for its readers;
// the overall ones name no hidden board.
func checkLeaderboards(t *testing.T, c *client, v viewer, boards []*visBoard) {
	t.Helper()
	for _, path := range []string{"/leaderboard", "/leaderboard?period=all", "/leaderboard?audience=staff&mods=1"} {
		page := c.get(path)
		mustStatus(t, page, http.StatusOK)
		leakCheck(t, v, path, page, boards)
	}
	for _, b := range boards {
		path := "/leaderboard?period=all&mods=1&board=" + b.slug
		page := c.get(path)
		if slices.Contains(v.sees, b.vis) {
			mustStatus(t, page, http.StatusOK)
			if !strings.Contains(page.Body, "ada") {
				t.Errorf("%s does not rank the board's only contributor", path)
			}
		} else {
			checkErrorPage(t, page, http.StatusNotFound)
			leakCheck(t, v, path, page, boards)
		}
	}
}

// checkNotifications: a notification about a question shows only while
// the reader may see its board; the bell counts only those too.
func checkNotifications(t *testing.T, c *client, v viewer, boards []*visBoard) {
	t.Helper()
	page := c.get("/notifications")
	if v.handle == "" {
		checkErrorPage(t, page, http.StatusUnauthorized)
		return
	}
	mustStatus(t, page, http.StatusOK)
	leakCheck(t, v, "/notifications", page, boards)
	visible := 0
	for _, b := range boards {
		if slices.Contains(v.sees, b.vis) {
			visible++
			if !strings.Contains(page.Body, b.solvedTitle) {
				t.Errorf("/notifications lacks the notification about the %s board", b.vis)
			}
		}
	}
	if want := fmt.Sprintf("Notifications (%d unread)", visible); !strings.Contains(c.get("/").Body, want) {
		t.Errorf("the bell does not say %q", want)
	}
}

// checkFeeds: feeds are read as a visitor by everyone: only the public
// board has one, and a tag's feed lists only public questions.
func checkFeeds(t *testing.T, c *client, v viewer, boards []*visBoard) {
	t.Helper()
	for _, b := range boards {
		path := "/b/" + b.slug + "/feed.atom"
		page := c.get(path)
		if b.vis == models.VisibilityPublic {
			mustStatus(t, page, http.StatusOK)
			if ct := page.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/atom+xml") {
				t.Errorf("%s: Content-Type %q", path, ct)
			}
			if !strings.Contains(page.Body, b.solvedTitle) || !strings.Contains(page.Body, "<feed") {
				t.Errorf("%s lacks its question", path)
			}
		} else {
			checkErrorPage(t, page, http.StatusNotFound)
		}
		tagPath := "/tags/" + b.tag + "/feed.atom"
		if tp := c.get(tagPath); b.vis == models.VisibilityPublic {
			mustStatus(t, tp, http.StatusOK)
		} else {
			checkErrorPage(t, tp, http.StatusNotFound)
		}
	}
	shared := c.get("/tags/shared/feed.atom")
	mustStatus(t, shared, http.StatusOK)
	public := viewer{name: "feed reader", sees: []models.Visibility{models.VisibilityPublic}}
	leakCheck(t, public, "/tags/shared/feed.atom", shared, boards)
}
