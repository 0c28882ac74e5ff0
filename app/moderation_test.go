package app

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/crowdcare/crowdcare/models"
)

func init() {
	moreTemplateCases = append(moreTemplateCases, moderationTemplateCases)
	snapshotQueries = append(snapshotQueries,
		struct{ name, sql string }{"reports", "SELECT CAST(COALESCE(SUM(id + LENGTH(status) + LENGTH(resolution)), 0) AS BIGINT) FROM reports"},
		struct{ name, sql string }{"moderation_actions", "SELECT COUNT(*) FROM moderation_actions"},
		struct{ name, sql string }{"question moderation", "SELECT CAST(COALESCE(SUM(board_id + COALESCE(merged_into_id, 0)), 0) AS BIGINT) + (SELECT COUNT(*) FROM questions WHERE locked_at IS NOT NULL) FROM questions"},
		struct{ name, sql string }{"suspensions", "SELECT COUNT(*) FROM users WHERE suspended_until IS NOT NULL"},
	)
	moreDynamicIDs = append(moreDynamicIDs, func() map[string]string {
		out := map[string]string{}
		for _, a := range models.ModActions {
			out["moderation.action."+a] = "templates (moderation.action.%s)"
			out["moderation.do."+a] = "templates (moderation.do.%s)"
		}
		for _, r := range models.ReportReasons {
			out["moderation.reason."+r] = "templates/partials/moderation.html (moderation.reason.%s)"
		}
		for _, k := range []string{models.KindQuestion, models.KindAnswer} {
			out["moderation.kind."+k] = "templates/partials/moderation.html (moderation.kind.%s)"
		}
		return out
	})
	// The CSRF walk: the report goes first (on the fixture's answer, which
	// the dismissal then clears); the post actions act on the second answer
	// (asha's), the question actions on the second question (omar's), which
	// is merged into the first near the end; suspending and banning asha last.
	moreRouteParams = append(moreRouteParams, func(f *qaFixture, boardID, userID int64, route, param string) (string, bool) {
		switch {
		case param != "id":
			return "", false
		case route == "/moderation/posts/:id/dismiss":
			return fmt.Sprint(f.answerID), true
		case strings.HasPrefix(route, "/moderation/posts/"):
			return fmt.Sprint(f.answer2ID), true
		case strings.HasPrefix(route, "/moderation/questions/"):
			return fmt.Sprint(f.q2ID), true
		}
		return "", false
	})
	moreValidForms = append(moreValidForms, func(f *qaFixture) map[string]url.Values {
		why := url.Values{"reason": {"Token test"}}
		return map[string]url.Values{
			"/posts/:id/report":                {"reason": {models.ReportSpam}, "note": {"Looks like an advert."}},
			"/moderation/posts/:id/dismiss":    {},
			"/moderation/posts/:id/hide":       why,
			"/moderation/posts/:id/unhide":     {},
			"/moderation/posts/:id/edit":       {"body": {"Check the hinge and the spring behind it."}, "reason": {"Token test"}},
			"/moderation/posts/:id/warn":       why,
			"/moderation/posts/:id/suspend":    {"days": {"3"}, "reason": {"Token test"}},
			"/moderation/posts/:id/ban":        why,
			"/moderation/questions/:id/move":   {"board": {f.staffBoard}, "reason": {"Token test"}},
			"/moderation/questions/:id/lock":   why,
			"/moderation/questions/:id/unlock": {},
			"/moderation/questions/:id/merge":  {"target": {fmt.Sprint(f.qID)}, "reason": {"Token test"}},
		}
	})
	moreDestructive = append(moreDestructive, func(route string) (int, bool) {
		switch route {
		case "/posts/:id/report":
			return -3, true
		case "/moderation/questions/:id/lock", "/moderation/posts/:id/edit", "/moderation/posts/:id/warn":
			return -2, true
		case "/moderation/questions/:id/unlock", "/moderation/posts/:id/hide":
			return -1, true
		case "/moderation/posts/:id/unhide":
			return 1, true
		case "/moderation/questions/:id/merge":
			return 2, true
		case "/moderation/posts/:id/suspend":
			return 3, true
		case "/moderation/posts/:id/ban":
			return 4, true
		}
		return 0, false
	})
}

// sampleQueueItem is a reported answer by a member with a history.
func sampleQueueItem(now time.Time) models.QueueItem {
	asker, _, _, _, _ := sampleUsers()
	until := now.Add(48 * time.Hour)
	author := *asker
	author.SuspendedUntil = &until
	four, one := int64(4), int64(1)
	return models.QueueItem{
		Post:     models.Post{ID: 11, QuestionID: 7, AuthorID: 1, Kind: models.KindAnswer, BodyHTML: "<p>Call <strong>0800 FAKE</strong> now</p>", BodyMD: "Call **0800 FAKE** now", CreatedAt: now.Add(-time.Hour)},
		Question: models.Question{ID: 7, BoardID: 1, Title: "Printer shows error E-301", CreatedAt: now.Add(-3 * time.Hour)},
		Board:    models.Board{ID: 1, Slug: "laserjet", Name: "LaserJet printers"},
		Author: &models.AuthorHistory{User: &author, Posts: 14, Open: 2, Dismissed: 1, Actioned: 3, Warnings: 1, Suspensions: 1,
			Actions: []models.ActionView{{ModerationAction: models.ModerationAction{ID: 3, Action: models.ModWarn, ActorID: 4, TargetUserID: &one, Reason: "Stop posting phone numbers", CreatedAt: now.Add(-24 * time.Hour)}, ActorHandle: "mona"}}},
		Open: []models.ReportView{
			{Report: models.Report{ID: 5, PostID: 11, ReporterID: 3, Reason: models.ReportSpam, Note: "A <b>fake</b> support line", Status: models.ReportOpen, CreatedAt: now.Add(-30 * time.Minute)}, ReporterHandle: "ezra"},
			{Report: models.Report{ID: 6, PostID: 11, ReporterID: 2, Reason: models.ReportPrivate, Status: models.ReportOpen, CreatedAt: now.Add(-20 * time.Minute)}, ReporterHandle: "emil"},
		},
		Prior:   []models.ReportView{{Report: models.Report{ID: 2, PostID: 11, ReporterID: 5, Reason: models.ReportOffTopic, Status: models.ReportDismissed, Resolution: models.ModDismiss}, ReporterHandle: "ada"}},
		Actions: []models.ActionView{{ModerationAction: models.ModerationAction{ID: 4, Action: models.ModEdit, ActorID: 4, Reason: "Removed a phone number", CreatedAt: now.Add(-2 * time.Hour), PostID: &four}, ActorHandle: "mona"}},
	}
}

func moderationTemplateCases() []templateCase {
	now := time.Now()
	_, _, _, moderator, admin := sampleUsers()
	it := sampleQueueItem(now)
	q := it
	q.Post = models.Post{ID: 10, QuestionID: 7, AuthorID: 1, Kind: models.KindQuestion, BodyMD: "It blinks.", BodyHTML: "<p>It blinks.</p>", CreatedAt: now.Add(-3 * time.Hour)}
	locked := now.Add(-time.Hour)
	q.Question.LockedAt = &locked
	hidden := it
	hidden.Post.DeletedAt = &locked
	hidden.Open = nil
	form := url.Values{"title": {"Printer shows error E-301"}, "body": {"It blinks."}, "tags": {"e-301"}}
	return []templateCase{
		{name: "moderation_queue", label: "reports", status: 200, path: "/moderation", user: moderator,
			page: &Page{Title: "moderation.title", Data: &moderationQueueData{Items: []models.QueueItem{it, q}, Next: 5, Reasons: models.ReportReasons}},
			want: []string{"Moderation queue", "Printer shows error E-301", "2 open reports", "A &lt;b&gt;fake&lt;/b&gt; support line", "Warnings", "Stop posting phone numbers", "Earlier reports", "Hide post", `href="/moderation?after=5"`, "Suspended until"}},
		{name: "moderation_queue", label: "empty after an action", status: 200, path: "/moderation?done=dismiss", user: admin,
			page: &Page{Title: "moderation.title", Data: &moderationQueueData{Done: true, Reasons: models.ReportReasons}},
			want: []string{"No open reports", "Done."}},
		{name: "moderation_post", label: "answer", status: 200, path: "/moderation/posts/11", user: moderator,
			page: &Page{Title: "moderation.post_title", Form: url.Values{"body": {it.Post.BodyMD}}, Data: &moderationPostData{Item: &it, Boards: sampleBoards(), Done: models.ModEdit}},
			want: []string{"Moderate a post", "Dismiss reports", "Warn author", "Suspend author", "Ban author", "Removed a phone number", "Call **0800 FAKE** now"}},
		{name: "moderation_post", label: "locked question", status: 200, path: "/moderation/posts/10", user: admin,
			page: &Page{Title: "moderation.post_title", Form: form, Data: &moderationPostData{Item: &q, Boards: sampleBoards()}},
			want: []string{"Unlock question", "Move question", "Merge duplicate", "Locked"}},
		{name: "moderation_post", label: "hidden answer", status: 200, path: "/moderation/posts/11", user: admin,
			page: &Page{Title: "moderation.post_title", Form: form, Data: &moderationPostData{Item: &hidden, Boards: sampleBoards()}},
			want: []string{"Unhide post", "Hidden"}},
		{name: "moderation_post", label: "missing reason", status: 422, path: "/moderation/posts/11/warn", user: moderator,
			page: &Page{Title: "moderation.post_title", Form: form, Errors: fieldErr("reason", "error.required", nil), Data: &moderationPostData{Item: &it, Boards: sampleBoards(), Failed: models.ModWarn}},
			want: []string{"Please check the form", `aria-invalid="true"`}},
	}
}
