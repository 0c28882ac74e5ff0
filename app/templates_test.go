package app

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/crowdcare/crowdcare/models"
)

// templateCase is one page rendered with data of the type its handler
// passes.
type templateCase struct {
	name   string // the page template
	label  string
	status int
	path   string
	user   *models.User
	page   *Page
	devOff bool     // render with the development sign-in off
	want   []string // English text the page must show
}

// sampleUsers are authors of every kind.
func sampleUsers() (asker, employee, expert, moderator, admin *models.User) {
	at := time.Now().Add(-400 * 24 * time.Hour)
	asker = &models.User{ID: 1, Handle: "asha", DisplayName: "Asha Rao", CreatedAt: at}
	employee = &models.User{ID: 2, Handle: "emil", DisplayName: "Emil Petrov", Roles: []models.Role{models.RoleEmployee}, CreatedAt: at}
	expert = &models.User{ID: 3, Handle: "ezra", DisplayName: "Ezra", Roles: []models.Role{models.RoleExpert}, TimeZone: "Asia/Kolkata", CreatedAt: at}
	moderator = &models.User{ID: 4, Handle: "mona", DisplayName: "Mona", Roles: []models.Role{models.RoleModerator}, CreatedAt: at}
	admin = &models.User{ID: 5, Handle: "ada", DisplayName: "Ada", Roles: []models.Role{models.RoleAdmin}, Locale: "", CreatedAt: at}
	return
}

func sampleBoards() []models.Board {
	return []models.Board{
		{ID: 1, Slug: "laserjet", Name: "LaserJet printers", Description: "Home and office laser printers", Visibility: models.VisibilityPublic, QuestionCount: 12},
		{ID: 2, Slug: "early-access", Name: "Early access", Visibility: models.VisibilityExperts, Position: 1, QuestionCount: 1},
		{ID: 3, Slug: "staff-room", Name: "Staff room", Visibility: models.VisibilityStaff, Position: 2},
		{ID: 4, Slug: "members", Name: "Members lounge", Visibility: models.VisibilityMembers, Position: 3, QuestionCount: 2},
	}
}

func sampleSummaries(now time.Time) []models.QuestionSummary {
	accepted := int64(11)
	return []models.QuestionSummary{
		{Question: models.Question{ID: 7, BoardID: 1, Title: "Printer shows error E-301", AcceptedAnswerID: &accepted, AnswerCount: 2, CreatedAt: now.Add(-3 * time.Hour)},
			BoardSlug: "laserjet", BoardName: "LaserJet printers", AuthorHandle: "asha", AuthorDisplayName: "Asha Rao", Tags: []string{"firmware", "e-301"}},
		{Question: models.Question{ID: 8, BoardID: 1, Title: "Scanner lid does not close", CreatedAt: now.Add(-50 * time.Hour)},
			BoardSlug: "laserjet", BoardName: "LaserJet printers", AuthorHandle: "omar", AuthorDisplayName: "Omar", Tags: []string{"c++", "wi fi/ä"}},
		{Question: models.Question{ID: 9, BoardID: 1, Title: "Old question", AnswerCount: 1, CreatedAt: now.Add(-800 * 24 * time.Hour)},
			BoardSlug: "laserjet", BoardName: "LaserJet printers", AuthorHandle: "asha", AuthorDisplayName: "Asha Rao"},
	}
}

func sampleQuestion(now time.Time, asker, employee, expert *models.User) *models.QuestionView {
	edited := now.Add(-time.Hour)
	accepted := int64(11)
	solution := models.PostView{Post: models.Post{ID: 11, QuestionID: 7, AuthorID: employee.ID, Kind: models.KindAnswer,
		BodyHTML: "<p>Open the rear door and remove the <strong>jammed</strong> sheet.</p>", CreatedAt: now.Add(-2 * time.Hour), EditedAt: &edited, RevisionCount: 1},
		Author: employee, Accepted: true}
	other := models.PostView{Post: models.Post{ID: 12, QuestionID: 7, AuthorID: expert.ID, Kind: models.KindAnswer,
		BodyHTML: "<p>Update the firmware to 4.2.2.</p>", CreatedAt: now.Add(-90 * time.Minute)}, Author: expert}
	return &models.QuestionView{
		Question: models.Question{ID: 7, BoardID: 1, AuthorID: asker.ID, Title: "Printer shows error E-301", AcceptedAnswerID: &accepted,
			AnswerCount: 2, CreatedAt: now.Add(-3 * time.Hour)},
		Board: models.Board{ID: 1, Slug: "laserjet", Name: "LaserJet printers", Visibility: models.VisibilityPublic},
		Body: models.PostView{Post: models.Post{ID: 10, QuestionID: 7, AuthorID: asker.ID, Kind: models.KindQuestion,
			BodyMD: "It blinks **orange**.", BodyHTML: "<p>It blinks <strong>orange</strong>.</p>", CreatedAt: now.Add(-3 * time.Hour)}, Author: asker},
		Solution: &solution,
		Answers:  []models.PostView{solution, other},
		Tags:     []string{"e-301", "firmware"},
	}
}

// suspendedUser is an expert suspended for two more days.
func suspendedUser(now time.Time) *models.User {
	until := now.Add(48 * time.Hour)
	return &models.User{ID: 6, Handle: "sam", DisplayName: "Sam <Spam>", Roles: []models.Role{models.RoleExpert}, CreatedAt: now.Add(-3 * 24 * time.Hour), SuspendedUntil: &until, SuspendReason: "Posting links to <b>fake</b> support numbers"}
}

// sampleAudit is an audit history: a system grant and a moderator's suspension.
func sampleAudit(now time.Time) []models.AuditView {
	one, four, six := int64(1), int64(4), int64(6)
	return []models.AuditView{
		{AuditEntry: models.AuditEntry{ID: 4, ActorID: &four, Action: "user.suspend", TargetUserID: &six, Detail: "until 2031-01-01: spam", CreatedAt: now.Add(-time.Hour)}, ActorHandle: "mona", TargetHandle: "sam"},
		{AuditEntry: models.AuditEntry{ID: 3, Action: "role.grant", TargetUserID: &one, Detail: "employee (verified email a@example.com)", CreatedAt: now.Add(-40 * 24 * time.Hour)}, TargetHandle: "asha"},
	}
}

func suspendErrs() *models.ValidationError {
	v := &models.ValidationError{}
	v.Add("until", "error.date_past", nil)
	v.Add("reason", "error.required", nil)
	return v
}

func signupErrs() *models.ValidationError {
	v := &models.ValidationError{}
	v.Add("handle", "error.handle_taken", nil)
	v.Add("guidelines", "error.guidelines_required", nil)
	return v
}

func fieldErr(field, msg string, args map[string]any) *models.ValidationError {
	v := &models.ValidationError{}
	v.Add(field, msg, args)
	return v
}

// templateCases renders every page in each of its states.
// moreTemplateCases are the cases of pages that live with their feature's
// tests: each feature's test file appends its function in an init.
var moreTemplateCases []func() []templateCase

// templateCases lists every page in each state its handlers use.
func templateCases() []templateCase {
	out := coreTemplateCases()
	for _, f := range moreTemplateCases {
		out = append(out, f()...)
	}
	return out
}

func coreTemplateCases() []templateCase {
	now := time.Now()
	asker, employee, expert, moderator, admin := sampleUsers()
	boards := sampleBoards()
	sums := sampleSummaries(now)
	qv := sampleQuestion(now, asker, employee, expert)
	lonely := *qv
	lonely.Answers, lonely.Solution, lonely.AcceptedAnswerID, lonely.Tags = qv.Answers[:1], qv.Solution, qv.AcceptedAnswerID, nil
	unanswered := *qv
	unanswered.Answers, unanswered.Solution, unanswered.AcceptedAnswerID, unanswered.AnswerCount = nil, nil, nil, 0
	qPost, aPost := qv.Body.Post, qv.Answers[1].Post
	popular := []models.Tag{{ID: 1, Name: "firmware", QuestionCount: 5}, {ID: 2, Name: "c++", QuestionCount: 1}}
	list := func(kind models.ListKind, b *models.Board, tag *models.Tag, qs []models.QuestionSummary, next string) *listData {
		base := "/"
		if b != nil {
			base = "/b/" + b.Slug
		}
		return &listData{Kind: kind, Board: b, Tag: tag, Questions: qs, Next: next, Boards: boards, Tags: popular, BaseURL: base}
	}
	errData := func(id string) map[string]string { return map[string]string{"Message": id} }
	boardVals := url.Values{"name": {"Scanners"}, "slug": {"Bad Slug"}, "visibility": {"experts"}, "position": {"x"}, "description": {"d"}}
	boardErrs := &models.ValidationError{}
	boardErrs.Add("slug", "error.slug_invalid", nil)
	boardErrs.Add("position", "error.invalid", nil)
	boardErrs.Add("name", "error.too_long", map[string]any{"Max": 80})
	boardErrs.Add("visibility", "error.invalid", nil)
	boardErrs.Add("description", "error.too_long", map[string]any{"Max": 1000})
	askErrs := &models.ValidationError{}
	askErrs.Add("board", "error.board_unknown", nil)
	askErrs.Add("title", "error.too_short", map[string]any{"Min": 5})
	askErrs.Add("body", "error.too_long", map[string]any{"Max": 30000})
	askErrs.Add("tags", "error.tag_invalid", map[string]any{"Tag": "<b>x</b>"})
	return []templateCase{
		{name: "list", label: "latest with next page", status: 200, path: "/", page: &Page{Title: "list.latest", Data: list(models.ListLatest, nil, nil, sums, "MTc6MQ")},
			want: []string{"Printer shows error E-301", "Next page", "Popular tags", "3 hours ago", "2 years ago"}},
		{name: "list", label: "unanswered signed in", status: 200, path: "/unanswered", user: asker, page: &Page{Title: "list.unanswered", Data: list(models.ListUnanswered, nil, nil, sums[1:2], "")},
			want: []string{"waiting 2 days"}},
		{name: "list", label: "solved empty", status: 200, path: "/solved", page: &Page{Title: "list.solved", Data: list(models.ListSolved, nil, nil, nil, "")},
			want: []string{"No questions here yet."}},
		{name: "list", label: "private board", status: 200, path: "/b/early-access", user: expert, page: &Page{Data: list(models.ListUnanswered, &boards[1], nil, sums, "MTc6MQ")},
			want: []string{"Early access", "Experts and staff only", "list=unanswered&amp;cursor="}},
		{name: "list", label: "tag", status: 200, path: "/tags/firmware", page: &Page{Title: "list.latest", Data: list(models.ListLatest, nil, &popular[0], sums[:1], "")},
			want: []string{"Questions tagged firmware"}},
		{name: "boards", label: "several", status: 200, path: "/boards", user: employee, page: &Page{Title: "nav.boards", Data: boards},
			want: []string{"LaserJet printers", "Staff only", "12 questions", "1 question"}},
		{name: "boards", label: "none", status: 200, path: "/boards", page: &Page{Title: "nav.boards", Data: []models.Board(nil)},
			want: []string{"No boards yet."}},
		{name: "question", label: "solved, asker reads", status: 200, path: "/q/7", user: asker, page: &Page{Title: qv.Title, Data: &questionData{Q: qv, CanAccept: true}},
			want: []string{"Solution", "Employee", "Expert", "Undo accept", "Accept as solution", "edited", "jammed", "Post your answer", "/tags/e-301", "1 other answer"}},
		{name: "question", label: "visitor reads", status: 200, path: "/q/7", page: &Page{Title: qv.Title, Data: &questionData{Q: qv}},
			want: []string{"Sign in to answer", "Solution"}},
		{name: "question", label: "only the solution", status: 200, path: "/q/7", user: moderator, page: &Page{Title: qv.Title, Data: &questionData{Q: &lonely, CanAccept: true}},
			want: []string{"0 other answers", "Delete"}},
		{name: "question", label: "answer rejected", status: 422, path: "/q/7/answers", user: expert,
			page: &Page{Title: unanswered.Title, Data: &questionData{Q: &unanswered}, Errors: fieldErr("body", "error.too_short", map[string]any{"Min": 2}), Form: url.Values{"body": {"k"}}},
			want: []string{"At least 2 characters.", `aria-invalid="true"`, "0 answers"}},
		{name: "ask", label: "blank", status: 200, path: "/ask", user: asker, page: &Page{Title: "ask.title", Data: &askData{Boards: boards}, Form: url.Values{"board": {"laserjet"}}},
			want: []string{"Ask a question", `value="laserjet" selected`}},
		{name: "ask", label: "with errors", status: 422, path: "/ask", user: asker,
			page: &Page{Title: "ask.title", Data: &askData{Boards: boards}, Errors: askErrs, Form: url.Values{"title": {"abc"}, "body": {"<script>"}, "tags": {"<b>x</b>"}}},
			want: []string{"Please correct the fields marked below.", "At least 5 characters.", "At most 30000 characters.", "Choose one of the boards in the list.", "&lt;b&gt;x&lt;/b&gt;"}},
		{name: "edit", label: "question", status: 200, path: "/posts/10/edit", user: asker,
			page: &Page{Title: "edit.title", Data: &editData{Post: &qPost, Title: qv.Title}, Form: url.Values{"title": {qv.Title}, "body": {qPost.BodyMD}, "tags": {"e-301, firmware"}}},
			want: []string{`name="title"`, `name="tags"`, "It blinks **orange**."}},
		{name: "edit", label: "question with errors", status: 422, path: "/posts/10/edit", user: asker,
			page: &Page{Title: "edit.title", Data: &editData{Post: &qPost, Title: qv.Title}, Errors: fieldErr("tags", "error.too_many_tags", map[string]any{"Max": 5}), Form: url.Values{"title": {qv.Title}, "body": {"b"}, "tags": {"a b c d e f"}}},
			want: []string{"At most 5 tags."}},
		{name: "edit", label: "answer", status: 422, path: "/posts/12/edit", user: expert,
			page: &Page{Title: "edit.title", Data: &editData{Post: &aPost, Title: qv.Title}, Errors: fieldErr("body", "error.required", nil), Form: url.Values{"body": {""}}},
			want: []string{"This is required.", "#post-12"}},
		{name: "revisions", label: "edited", status: 200, path: "/posts/11/revisions",
			page: &Page{Title: "revisions.title", Data: &revisionsData{Post: &qv.Answers[0].Post, Q: qv, Revisions: []models.PostRevision{
				{ID: 2, PostID: 10, EditorID: 1, Title: "Printer error", BodyMD: "It <blinks>.", CreatedAt: now.Add(-30 * time.Minute)},
				{ID: 1, PostID: 10, EditorID: 4, BodyMD: "First", CreatedAt: now.Add(-40 * 24 * time.Hour)}}}},
			want: []string{"Edit history", "Current version", "It &lt;blinks&gt;.", "1 month ago"}},
		{name: "revisions", label: "never edited", status: 200, path: "/posts/12/revisions",
			page: &Page{Title: "revisions.title", Data: &revisionsData{Post: &aPost, Q: qv}},
			want: []string{"This post has not been edited."}},
		{name: "search", label: "results, page 2", status: 200, path: "/search", page: &Page{Title: "search.title", Data: &searchData{Query: "e-301 & <x>", Results: sums, Page: 2, More: true}},
			want: []string{"Results for", "e-301 &amp; &lt;x&gt;", "Previous page", "Next page"}},
		{name: "search", label: "nothing found", status: 200, path: "/search", page: &Page{Title: "search.title", Data: &searchData{Query: "zzz", Page: 1}},
			want: []string{"No questions match."}},
		{name: "search", label: "no query", status: 200, path: "/search", page: &Page{Title: "search.title", Data: &searchData{Page: 1}}},
		{name: "signin", label: "development", status: 200, path: "/signin", page: &Page{Title: "signin.title", Form: url.Values{"next": {"/q/7"}}},
			want: []string{"/dev/signin?next=%2fq%2f7", "Development mode"}},
		{name: "signin", label: "no provider", status: 200, path: "/signin", devOff: true, page: &Page{Title: "signin.title", Form: url.Values{"next": {"/"}}},
			want: []string{"No sign-in provider is configured"}},
		{name: "signin", label: "providers", status: 200, path: "/signin", devOff: true,
			page: &Page{Title: "signin.title", Form: url.Values{"next": {"/q/7"}}, Data: []signInOption{{Name: "google", Label: "Google"}, {Name: "oidc", Label: "Acme SSO"}}},
			want: []string{`href="/auth/google?next=%2fq%2f7"`, `href="/auth/oidc?next=%2fq%2f7"`, "Continue with Acme SSO", `href="/guidelines"`}},
		{name: "signup", label: "first sign-in", status: 200, path: "/signup",
			page: &Page{Title: "signup.title", Form: url.Values{"handle": {"asha"}, "display_name": {"Asha Rao"}},
				Data: &signupData{Provider: "Acme SSO", Email: "asha@example.com", AvatarURL: "https://avatars.example.com/a.png"}},
			want: []string{"Create your account", `value="asha"`, `value="Asha Rao"`, "You are signing up with Acme SSO.", "asha@example.com (not verified by the provider)",
				`src="https://avatars.example.com/a.png"`, `href="/guidelines"`, `name="guidelines" value="yes"`}},
		{name: "signup", label: "with errors", status: 422, path: "/signup",
			page: &Page{Title: "signup.title", Form: url.Values{"handle": {"ada"}, "display_name": {"Ada"}, "guidelines": {"yes"}},
				Data: &signupData{Provider: "Google", Email: "ada@example.com", EmailVerified: true}, Errors: signupErrs()},
			want: []string{"That name is taken.", "Please accept the community guidelines", `aria-invalid="true"`, "checked"}},
		{name: "guidelines", label: "page", status: 200, path: "/guidelines", page: &Page{Title: "guidelines.title"},
			want: []string{"Community guidelines", "Keep private data private", "Employee label"}},
		{name: "devsignin", label: "blank", status: 200, path: "/dev/signin", page: &Page{Title: "dev.title", Data: models.AllRoles, Form: url.Values{"next": {"/ask"}}},
			want: []string{"Product team", `name="role" value="admin"`}},
		{name: "devsignin", label: "with errors", status: 422, path: "/dev/signin",
			page: &Page{Title: "dev.title", Data: models.AllRoles, Errors: fieldErr("handle", "error.handle_invalid", nil), Form: url.Values{"handle": {"a"}}},
			want: []string{"Use 3 to 40 letters", `aria-invalid="true"`}},
		{name: "settings", label: "saved", status: 200, path: "/settings?saved=1", user: expert,
			page: &Page{Title: "settings.title", Form: url.Values{"display_name": {"Ezra"}, "locale": {"hi"}, "time_zone": {"Asia/Kolkata"}}},
			want: []string{"Your settings are saved.", "Sign out everywhere", `value="hi" selected`}},
		{name: "settings", label: "with errors", status: 422, path: "/settings", user: expert,
			page: &Page{Title: "settings.title", Errors: fieldErr("time_zone", "error.invalid", nil), Form: url.Values{"display_name": {"Ezra"}, "time_zone": {"Mars/Base"}}},
			want: []string{"This value is not valid."}},
		{name: "admin_boards", label: "list", status: 200, path: "/admin/boards", user: admin, page: &Page{Title: "admin.boards", Data: boards},
			want: []string{"/admin/boards/3/edit", "Staff only", "New board"}},
		{name: "admin_board", label: "new", status: 200, path: "/admin/boards/new", user: admin,
			page: &Page{Title: "admin.board_edit", Data: &boardForm{Visibilites: models.Visibilities}, Form: url.Values{"visibility": {"public"}}},
			want: []string{"New board", `action="/admin/boards"`}},
		{name: "admin_board", label: "new with errors", status: 422, path: "/admin/boards", user: admin,
			page: &Page{Title: "admin.board_edit", Data: &boardForm{Visibilites: models.Visibilities}, Form: boardVals, Errors: boardErrs},
			want: []string{"Use lower-case letters", "At most 80 characters.", "At most 1000 characters.", `value="experts" selected`}},
		{name: "admin_board", label: "edit with errors", status: 422, path: "/admin/boards/3", user: admin,
			page: &Page{Title: "admin.board_edit", Data: &boardForm{Board: &boards[2], Visibilites: models.Visibilities}, Form: boardVals, Errors: boardErrs},
			want: []string{"Edit board", `action="/admin/boards/3"`}},
		{name: "settings", label: "linked accounts and link buttons", status: 200, path: "/settings", user: asker,
			page: &Page{Title: "settings.title", Form: url.Values{"handle": {"asha"}, "display_name": {"Asha Rao"}},
				Data: &settingsData{Identities: []identityView{{Label: "GitHub", Email: "asha@example.com", Verified: true}, {Label: "Google", Email: "a@x.org"}},
					Linkable: []ProviderConfig{{Name: "oidc", Label: "Company SSO"}}}},
			want: []string{"Linked accounts", "asha@example.com", "email not verified", `action="/settings/link/oidc"`, "Link Company SSO", `value="asha"`, `href="/u/asha"`}},
		{name: "settings", label: "handle taken", status: 422, path: "/settings", user: asker,
			page: &Page{Title: "settings.title", Form: url.Values{"handle": {"ADA"}, "display_name": {"Asha Rao"}}, Errors: fieldErr("handle", "error.handle_taken", nil), Data: &settingsData{}},
			want: []string{"That name is taken.", "No accounts linked yet.", `value="ADA"`}},
		{name: "admin_users", label: "list with next page", status: 200, path: "/admin/users", user: admin,
			page: &Page{Title: "adminusers.title", Data: &adminUsersData{Query: "a&b", Users: []*models.User{asker, moderator, suspendedUser(now)}, Next: 17}},
			want: []string{`href="/admin/users/6"`, "Sam &lt;Spam&gt;", "Suspended", "Active", "Moderator", "Member", "q=a%26b&amp;before=17", `href="/admin/audit"`}},
		{name: "admin_users", label: "none match", status: 200, path: "/admin/users", user: moderator,
			page: &Page{Title: "adminusers.title", Data: &adminUsersData{Query: "zz"}}, want: []string{"No users match.", `href="/admin/users"`}},
		{name: "admin_user", label: "admin sees everything", status: 200, path: "/admin/users/6?saved=1", user: admin,
			page: &Page{Title: "adminusers.user", Data: &adminUserData{Target: suspendedUser(now), Suspended: true, SuspendedUntil: now.Add(48 * time.Hour), IsAdmin: true, CanSuspend: true,
				Roles: models.AllRoles, Choices: suspendChoices, MoreAudit: true,
				Identities: []identityView{{Label: "GitHub", Email: "sam@example.com", Verified: true, IDHint: "…4321"}},
				Audit:      sampleAudit(now)}, Form: url.Values{"duration": {"7d"}}},
			want: []string{"The change is saved.", "Suspended until", "Posting links", "Lift suspension", `value="7d" checked`, "sam@example.com", "…4321",
				`action="/admin/users/6/roles"`, `name="action" value="revoke"`, `name="action" value="grant"`, "role.grant", "System", "/admin/audit?user=6", "Audit log"}},
		{name: "admin_user", label: "admin on self", status: 200, path: "/admin/users/5", user: admin,
			page: &Page{Title: "adminusers.user", Data: &adminUserData{Target: admin, IsAdmin: true, Roles: models.AllRoles, Choices: suspendChoices}},
			want: []string{"You cannot revoke your own admin role.", "Not suspended.", "No linked accounts.", "No entries.", "Only an admin can suspend"}},
		{name: "admin_user", label: "moderator suspends with errors", status: 422, path: "/admin/users/1/suspend", user: moderator,
			page: &Page{Title: "adminusers.user", Data: &adminUserData{Target: asker, CanSuspend: true, Roles: models.AllRoles, Choices: suspendChoices},
				Form: url.Values{"duration": {"until"}, "until": {"2001-01-01"}}, Errors: suspendErrs()},
			want: []string{"Choose a date in the future.", "This is required.", `value="until" checked`, `value="2001-01-01"`}},
		{name: "admin_audit", label: "log with next page", status: 200, path: "/admin/audit", user: admin,
			page: &Page{Title: "audit.title", Data: &auditData{Audit: sampleAudit(now), Next: 3}},
			want: []string{"Audit log", "role.grant", "user.suspend", "System", "before=3", `href="/admin/users/1"`}},
		{name: "admin_audit", label: "one user, empty", status: 200, path: "/admin/audit", user: admin,
			page: &Page{Title: "audit.title", Data: &auditData{Target: asker}},
			want: []string{"Audit log for asha", "No entries.", "Show every entry"}},
		// -- points pages --
		{name: "user_points", label: "ledger with hidden row and next page", status: 200, path: "/u/asha/points",
			page: &Page{Title: "points.title", Data: &userPointsData{User: asker, Points: 27, Rank: "Newcomer", Next: 4, Rows: []models.LedgerRow{
				{PointEvent: models.PointEvent{ID: 6, Points: 10, Reason: models.ReasonKudosReceived, CreatedAt: now.Add(-time.Hour)}, PostID: 11, QuestionID: 7, Title: "Printer <shows> E-301"},
				{PointEvent: models.PointEvent{ID: 5, Points: -10, Reason: models.ReasonKudosWithdrawn, CreatedAt: now.Add(-2 * time.Hour)}}}}},
			want: []string{"Points of Asha Rao", "27 points", "Newcomer", "+10", "-10", "Kudos received", "Kudos withdrawn", "/q/7#post-11",
				"Printer &lt;shows&gt; E-301", "A post you cannot see", "before=4"}},
		{name: "user_points", label: "empty", status: 200, path: "/u/asha/points",
			page: &Page{Title: "points.title", Data: &userPointsData{User: asker, Points: 0}}, want: []string{"No points yet.", "0 points"}},
		{name: "admin_points", label: "saved", status: 200, path: "/admin/points?saved=1", user: admin,
			page: &Page{Title: "points.admin_title", Data: samplePointsAdmin(-2, true)},
			want: []string{"Points, kudos and ranks", "Saved.", "Kudos received", `name="points_kudos_received"`, `value="10"`, `name="capped_kudos_received"`,
				"Daily cap on points from kudos and posts", `name="setting_points.daily_cap"`, `value="200"`, "Guru", `action="/admin/points/ranks/2"`,
				`action="/admin/points/ranks/2/delete"`, `action="/admin/points/ranks"`, "Early access", "selected"}},
		{name: "admin_points", label: "rules refused", status: 422, path: "/admin/points/rules", user: admin,
			page: &Page{Title: "points.admin_title", Data: samplePointsAdmin(-1, false), Errors: fieldErr("rule.kudos_received", "points.error.range", map[string]any{"Min": -1000, "Max": 1000}),
				Form: url.Values{"points_kudos_received": {"99999"}, "setting_points.daily_cap": {"200"}}},
			want: []string{"Please correct the fields marked below.", "Must be a whole number from -1000 to 1000.", `value="99999"`, `aria-invalid="true"`}},
		{name: "admin_points", label: "rank refused", status: 422, path: "/admin/points/ranks/2", user: admin,
			page: &Page{Title: "points.admin_title", Data: samplePointsAdmin(2, false), Errors: fieldErr("threshold", "points.error.threshold_taken", nil),
				Form: url.Values{"name": {"Gúru <x>"}, "threshold": {"0"}}},
			want: []string{"Another rank already starts at these points.", `value="Gúru &lt;x&gt;"`}},
		{name: "profile", label: "visitor reads a busy profile", status: 200, path: "/u/emil",
			page: &Page{Title: "profile.title", Data: &profileData{P: &models.Profile{User: employee, QuestionCount: 1, AnswerCount: 3},
				Avatar: "https://avatars.example.com/emil.png", Questions: sums[:1], QNext: "MTc6MQ", ABefore: "MTc6Mg",
				Answers: []models.AnswerSummary{{PostID: 11, QuestionID: 7, QuestionTitle: "Printer shows error E-301", BoardSlug: "laserjet", BoardName: "LaserJet printers", Accepted: true, CreatedAt: now.Add(-2 * time.Hour)}}}},
			want: []string{"Emil Petrov", "@emil", `src="https://avatars.example.com/emil.png"`, `alt="Picture of Emil Petrov"`, "Employee", "1 question", "3 answers",
				"/q/7#post-11", "Accepted solution", "q_before=MTc6MQ&amp;a_before=MTc6Mg", "Joined"}},
		{name: "profile", label: "moderator sees a suspension", status: 200, path: "/u/sam", user: moderator,
			page: &Page{Title: "profile.title", Data: &profileData{P: &models.Profile{User: suspendedUser(now)}, Suspended: true, CanSuspend: true}},
			want: []string{"Suspended", "Moderate this user", "/admin/users/6", "No questions yet.", "No answers yet.", "0 questions"}},
		// -- badge pages --
		{name: "badges", label: "every tier", status: 200, path: "/badges", page: &Page{Title: "badges.title", Data: &badgesData{Groups: groupBadges(sampleBadges())}},
			want: []string{"Gold", "Silver", "Bronze", `href="/badges/great-answer"`, "Great answer", "1 holder", "12 holders", "0 holders", "Awarded by the team", "Night &lt;owl&gt;", "Up all night"}},
		{name: "badges", label: "none", status: 200, path: "/badges", page: &Page{Title: "badges.title", Data: &badgesData{}}, want: []string{"No badges yet."}},
		{name: "badge", label: "visitor, next page", status: 200, path: "/badges/great-answer",
			page: &Page{Title: "badges.title", Data: &badgeData{Badge: badgeView{Badge: sampleBadges()[0].Badge}, Holders: sampleHolders(now), Next: "MTc6MQ"}},
			want: []string{"Great answer", "Gold", "An answer received 50 kudos", `href="/u/asha"`, "Asha Rao", "before=MTc6MQ", "All badges"}},
		{name: "badge", label: "admin granted", status: 200, path: "/badges/summit-guest?granted=asha", user: admin,
			page: &Page{Title: "badges.title", Data: &badgeData{Badge: badgeView{Badge: sampleBadges()[3].Badge}, Holders: sampleHolders(now), CanGrant: true, Granted: "asha"}},
			want: []string{"Summit guest", "Badge awarded to asha.", `action="/badges/summit-guest/grant"`, `name="reason"`, "Awarded by the team", "Summit 2026 &lt;guest&gt;"}},
		{name: "badge", label: "admin grant refused", status: 422, path: "/badges/summit-guest/grant", user: admin,
			page: &Page{Title: "badges.title", Data: &badgeData{Badge: badgeView{Badge: sampleBadges()[3].Badge}, CanGrant: true},
				Errors: badgeGrantErrs(), Form: url.Values{"handle": {"nobody<x>"}, "reason": {""}}},
			want: []string{"There is no user with that name.", "This is required.", `aria-invalid="true"`, `value="nobody&lt;x&gt;"`, "Nobody holds this badge yet.", "Please correct the fields marked below."}},
		{name: "badge", label: "admin, already held", status: 200, path: "/badges/expert?held=asha", user: admin,
			page: &Page{Title: "badges.title", Data: &badgeData{Badge: badgeView{Badge: sampleBadges()[4].Badge}, CanGrant: true, Held: "asha"}},
			want: []string{"asha already holds this badge."}},
		{name: "profile", label: "with badges", status: 200, path: "/u/asha",
			page: &Page{Title: "profile.title", Data: &profileData{P: &models.Profile{User: asker}, Badges: []badgeView{
				{Badge: sampleBadges()[0].Badge, Times: 3}, {Badge: sampleBadges()[2].Badge, Times: 1}}}},
			want: []string{"Badges", `href="/badges/great-answer"`, "Great answer", ">Gold<", "×3", "Nice answer", "Bronze"}},
		// -- leaderboard and kudos cases pages --
		{name: "leaderboard", label: "week with every change", status: 200, path: "/leaderboard", user: asker,
			page: &Page{Title: "leaderboard.title", Data: sampleLeaderboard(now, boards)},
			want: []string{"This week", `href="/u/asha"`, "Asha Rao", "120", "up 3 places", "down 1 place", "new", "up from below 1000", "same place",
				"All boards", `href="/leaderboard?period=month"`, `href="/leaderboard?audience=staff"`, "Include moderators and admins"}},
		{name: "leaderboard", label: "empty staff board of all time", status: 200, path: "/leaderboard", user: employee,
			page: &Page{Title: "leaderboard.title", Data: &leaderboardData{LB: &models.Leaderboard{Period: "all", Board: &boards[2], Audience: "staff"},
				Period: "all", Audience: "staff", Board: "staff-room", IncludeMods: true, Boards: boards, Depth: 1000}},
			want: []string{"No points earned here yet.", `value="staff-room" selected`, "checked", `href="/leaderboard?audience=staff&amp;board=staff-room&amp;mods=1"`}},
		{name: "admin_kudos_cases", label: "open cases, saved", status: 200, path: "/admin/kudos-cases?saved=1", user: moderator,
			page: &Page{Title: "kudoscases.title", Data: sampleKudosCases(now)},
			want: []string{"Kudos cases", "The case is closed.", "Serial kudos", "Ring of three", `action="/admin/kudos-cases/9"`, `value="confirm"`, `value="dismiss"`,
				`href="/u/rex"`, `href="/u/cal"`, "before=7"}},
		{name: "admin_kudos_cases", label: "none dismissed", status: 200, path: "/admin/kudos-cases?status=dismissed", user: admin,
			page: &Page{Title: "kudoscases.title", Data: &kudosCasesData{Status: "dismissed"}}, want: []string{"No cases here."}},
		{name: "error", label: "400", status: 400, path: "/?cursor=x", page: &Page{Data: errData("error.bad_cursor")}, want: []string{"Bad request", "That page link is not valid."}},
		{name: "error", label: "401", status: 401, path: "/ask", page: &Page{Data: errData("error.signin_required")}, want: []string{"Please sign in", "/signin?next=%2fask"}},
		{name: "error", label: "403", status: 403, path: "/admin/boards", user: asker, page: &Page{Data: errData("error.forbidden")}, want: []string{"Not allowed"}},
		{name: "error", label: "403 csrf", status: 403, path: "/ask", user: asker, page: &Page{Data: errData("error.csrf")}, want: []string{"Your form expired"}},
		{name: "error", label: "404", status: 404, path: "/q/0", page: &Page{Data: errData("error.not_found")}, want: []string{"Not found"}},
		{name: "error", label: "405", status: 405, path: "/ask", page: &Page{Data: errData("error.method_not_allowed")}, want: []string{"That action is not available here."}},
		{name: "error", label: "413", status: 413, path: "/ask", user: asker, page: &Page{Data: errData("error.bad_request")}, want: []string{"Too large"}},
		{name: "error", label: "422", status: 422, path: "/ask", user: asker, page: &Page{Data: errData("error.bad_request")}, want: []string{"Please check your input"}},
		{name: "error", label: "500", status: 500, path: "/", page: &Page{Data: errData("error.bad_request")}, want: []string{"Something went wrong"}},
	}
}

// TestEveryTemplateRenders executes every page template, in each state its
// handlers use, in every language, through the same render path as the
// handlers; a page added without a case here fails the test.
func TestEveryTemplateRenders(t *testing.T) {
	views, err := loadViews()
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := newBundle()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s := &server{cfg: Config{Addr: "127.0.0.1:8080", BaseURL: "http://127.0.0.1:8080", Env: "development", DevLogin: "auto"},
		logger: NewLogger(&logs, "warn"), bundle: bundle, views: views}
	covered := map[string]bool{}
	for _, lang := range Locales {
		for _, tc := range templateCases() {
			t.Run(lang.Code+"/"+tc.name+"/"+tc.label, func(t *testing.T) {
				logs.Reset()
				srv := s
				if tc.devOff {
					off := *s
					off.cfg.DevLogin = "off"
					srv = &off
				}
				body := renderCase(t, srv, lang.Code, tc)
				covered[tc.name] = true
				checkRendered(t, lang.Code, tc, body)
				if logs.Len() > 0 {
					t.Errorf("rendering logged:\n%s", logs.String())
				}
			})
		}
	}
	for _, name := range views.PageNames() {
		if !covered[name] {
			t.Errorf("page template %q is not rendered by this test: add cases for it to templateCases", name)
		}
	}
	for name := range covered {
		if _, ok := views.pages[name]; !ok {
			t.Errorf("templateCases names %q, which is no page", name)
		}
	}
}

// renderCase renders tc the way a handler does and returns the body.
func renderCase(t *testing.T, s *server, lang string, tc templateCase) string {
	t.Helper()
	gin.SetMode(gin.ReleaseMode) // as routes() does
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest(http.MethodGet, tc.path, nil)
	c.Request.AddCookie(&http.Cookie{Name: "lang", Value: lang})
	if tc.user != nil {
		c.Set("user", tc.user)
	}
	page := *tc.page // each language gets a fresh page
	s.render(c, tc.status, tc.name, &page)
	if rec.Code != tc.status {
		t.Fatalf("status %d, want %d\n%.2000s", rec.Code, tc.status, rec.Body.String())
	}
	return rec.Body.String()
}

func checkRendered(t *testing.T, lang string, tc templateCase, body string) {
	t.Helper()
	if len(body) < 500 || !strings.HasSuffix(strings.TrimSpace(body), "</html>") {
		t.Fatalf("incomplete page (%d bytes)", len(body))
	}
	if n := len(h1Count.FindAllString(body, -1)); n != 1 {
		t.Errorf("%d <h1> elements, want exactly one", n)
	}
	if !strings.Contains(body, `<html lang="`+lang+`">`) {
		t.Errorf("page is not marked lang=%q", lang)
	}
	for _, bad := range []string{"<no value>", "%!", "ZgotmplZ"} {
		if strings.Contains(body, bad) {
			t.Errorf("output holds %q", bad)
		}
	}
	if tc.user != nil && !strings.Contains(body, tc.user.Name()) {
		t.Errorf("signed-in user %q not shown", tc.user.Name())
	}
	checkNoActiveContent(t, body)
	if lang != "en" {
		return
	}
	for _, w := range tc.want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

// TestHindiPagesAreTranslated: the Hindi render of a page is not the
// English one with a different lang attribute.
func TestHindiPagesAreTranslated(t *testing.T) {
	views, err := loadViews()
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := newBundle()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cfg: Config{Addr: "127.0.0.1:8080", Env: "development"}, logger: NewLogger(&bytes.Buffer{}, "warn"), bundle: bundle, views: views}
	var names []string
	for _, tc := range templateCases() {
		if slices.Contains(names, tc.name) {
			continue
		}
		names = append(names, tc.name)
		en, hi := renderCase(t, s, "en", tc), renderCase(t, s, "hi", tc)
		if strings.Count(hi, "\u0915")+strings.Count(hi, "\u0930") == 0 { // क, र: common Devanagari letters
			t.Errorf("%s/%s: no Devanagari in the Hindi page", tc.name, tc.label)
		}
		if strings.Contains(hi, "Skip to content") || en == hi {
			t.Errorf("%s/%s: Hindi page shows English interface text", tc.name, tc.label)
		}
	}
}

// sampleBadges are badges of every tier and kind, one the catalogue does
// not know (its stored text is shown, escaped).
func sampleBadges() []models.BadgeSummary {
	b := func(id int64, slug, name, desc, tier, kind string, holders int64) models.BadgeSummary {
		return models.BadgeSummary{Badge: models.Badge{ID: id, Slug: slug, Name: name, Description: desc, Tier: tier, Kind: kind}, Holders: holders}
	}
	return []models.BadgeSummary{
		b(5, "great-answer", "Great answer", "stored", models.TierGold, models.BadgeAuto, 1),
		b(9, "versatile", "Versatile", "stored", models.TierSilver, models.BadgeAuto, 12),
		b(3, "nice-answer", "Nice answer", "stored", models.TierBronze, models.BadgeAuto, 0),
		b(14, "summit-guest", "Summit guest", "stored", models.TierGold, models.BadgeManual, 2),
		b(12, "expert", "Expert", "stored", models.TierGold, models.BadgeManual, 0),
		b(20, "night-owl", "Night <owl>", "Up all night", models.TierBronze, models.BadgeAuto, 0),
	}
}

func sampleHolders(now time.Time) []models.BadgeHolder {
	return []models.BadgeHolder{
		{ID: 2, UserID: 1, Handle: "asha", DisplayName: "Asha Rao", Reason: "Summit 2026 <guest>", CreatedAt: now.Add(-time.Hour), GrantedByHandle: "ada"},
		{ID: 1, UserID: 3, Handle: "ezra", DisplayName: "", CreatedAt: now.Add(-40 * 24 * time.Hour)},
	}
}

func badgeGrantErrs() *models.ValidationError {
	v := &models.ValidationError{}
	v.Add("handle", "error.user_unknown", nil)
	v.Add("reason", "error.required", nil)
	return v
}

// samplePointsAdmin is the admin points page with the default rules and
// two ranks, the second with a perk board.
func samplePointsAdmin(rankID int64, saved bool) *adminPointsData {
	perk := int64(2)
	return &adminPointsData{RankID: rankID, Saved: saved, Boards: sampleBoards(), Config: &models.PointsConfig{
		Rules:    []models.PointRule{{Reason: models.ReasonKudosReceived, Points: 10, DailyCapped: true}, {Reason: models.ReasonAnswerAccepted, Points: 15}},
		Settings: map[string]int{models.SettingDailyCap: 200, models.SettingKudosDailyLimit: 50, models.SettingKudosMinAge: 24, models.SettingKudosMinPoints: 5},
		Ranks:    []models.Rank{{ID: 1, Name: "Newcomer"}, {ID: 2, Name: "Guru", Threshold: 5000, PerkBoardID: &perk}},
	}}
}
