package app

import (
	"net/url"
	"time"

	"github.com/crowdcare/crowdcare/models"
)

func init() { moreTemplateCases = append(moreTemplateCases, expertTemplateCases) }

// sampleProgram is the program with both default tiers and Helper as the
// lowest rank that may apply.
func sampleProgram(guidelines bool) *models.Program {
	p := &models.Program{MinRank: &models.Rank{ID: 3, Name: "Helper", Threshold: 200},
		Tiers: []models.ExpertTier{{ID: 1, Name: "Expert", Position: 1, Description: "Trusted volunteers"},
			{ID: 2, Name: "Champion", Position: 2, Description: "The most dedicated <experts>"}},
		RoutePerQuestion: 3, RouteMaxOpen: 5, RouteExpireHours: 48}
	if guidelines {
		p.GuidelinesMD, p.GuidelinesHTML = "Be **kind**.", "<p>Be <strong>kind</strong>.</p>"
	}
	return p
}

func sampleApplications(now time.Time, asker, employee *models.User) []models.ApplicationView {
	accepted := now.Add(-time.Hour)
	two, five := int64(2), int64(5)
	return []models.ApplicationView{
		{ExpertApplication: models.ExpertApplication{ID: 1, UserID: asker.ID, Statement: "I fix <printers> every day.", Status: models.AppPending,
			GuidelinesAcceptedAt: &accepted, CreatedAt: now.Add(-3 * time.Hour)}, User: asker,
			Boards: sampleBoards()[:1], Record: models.MemberRecord{Answers: 120, Solutions: 40, Verified: 3, KudosReceived: 300, Points: 2400}},
		{ExpertApplication: models.ExpertApplication{ID: 2, UserID: 6, NominatedBy: &two, Statement: "Helps every weekend.", Status: models.AppPending,
			CreatedAt: now.Add(-2 * time.Hour)}, User: &models.User{ID: 6, Handle: "sam", DisplayName: "Sam"}, NominatorName: employee.Name(),
			Record: models.MemberRecord{Answers: 3, Suspensions: 1, KudosCases: 2}},
		{ExpertApplication: models.ExpertApplication{ID: 3, UserID: 7, Statement: "Please", Status: models.AppDeclined, DecidedBy: &five,
			DecisionNote: "Not yet <sorry>", CreatedAt: now.Add(-30 * 24 * time.Hour)}, User: &models.User{ID: 7, Handle: "ivy"}, DeciderName: "Ada"},
	}
}

func expertTemplateCases() []templateCase {
	now := time.Now()
	asker, employee, expert, _, admin := sampleUsers()
	boards := sampleBoards()
	apps := sampleApplications(now, asker, employee)
	mine := &models.MyProgram{Expert: &models.Expert{UserID: expert.ID, TierID: 2, Status: models.ExpertActive, Since: now.Add(-90 * 24 * time.Hour)},
		TierName: "Champion", Boards: boards[:2], Applications: apps[:1]}
	paused := &models.MyProgram{Expert: &models.Expert{UserID: expert.ID, TierID: 1, Status: models.ExpertPaused, Reason: "On leave"}, TierName: "Expert"}
	nominated := &models.MyProgram{Applications: apps[1:2]}
	ours := []models.ExpertView{{Expert: models.Expert{UserID: expert.ID}, User: expert, TierName: "Champion"}}
	members := []models.ExpertView{
		{Expert: models.Expert{UserID: expert.ID, TierID: 2, Status: models.ExpertActive, Since: now.Add(-90 * 24 * time.Hour)}, User: expert, TierName: "Champion",
			Boards: boards[:2], Record: models.MemberRecord{Answers: 500, Solutions: 200, Verified: 80, KudosReceived: 900, Points: 9000}},
		{Expert: models.Expert{UserID: 8, TierID: 1, Status: models.ExpertActive, Since: now.Add(-time.Hour)}, User: &models.User{ID: 8, Handle: "noor"}, TierName: "Expert"},
	}
	detail := &models.ApplicationDetail{ApplicationView: apps[0], History: sampleAudit(now),
		Answers: []models.AnswerSummary{{PostID: 11, QuestionID: 7, QuestionTitle: "Printer shows error E-301", BoardSlug: "laserjet", BoardName: "LaserJet printers", Accepted: true, CreatedAt: now.Add(-time.Hour)}},
		Earlier: apps[2:]}
	nomDetail := &models.ApplicationDetail{ApplicationView: apps[1]}
	declined := &models.ApplicationDetail{ApplicationView: apps[2]}
	tiers := sampleProgram(false).Tiers
	ranks := []models.Rank{{ID: 1, Name: "Newcomer"}, {ID: 3, Name: "Helper", Threshold: 200}}
	settingsForm := url.Values{"min_rank": {"3"}, "guidelines": {"Be kind"}, "route_per_question": {"3"}, "route_max_open": {"5"}, "route_expire_hours": {"48"}}
	verified := now.Add(-10 * time.Minute)
	notes := []models.NotificationView{
		{Notification: models.Notification{ID: 3, Kind: models.NotifyAnswerVerified, CreatedAt: now.Add(-time.Minute), URL: "/q/7#post-12"}, QuestionTitle: "Printer <shows> E-301", ActorName: "Emil"},
		{Notification: models.Notification{ID: 2, Kind: models.NotifyExpertDeclined, Detail: "Keep <helping>", CreatedAt: now.Add(-time.Hour), ReadAt: &verified}},
		{Notification: models.Notification{ID: 1, Kind: models.NotifyExpertApproved, Detail: "Expert", CreatedAt: now.Add(-2 * time.Hour)}},
	}
	return []templateCase{
		{name: "experts", label: "visitor", status: 200, path: "/experts",
			page: &Page{Title: "experts.title", Data: &programData{Program: sampleProgram(false), Eligibility: &models.Eligibility{Reason: "experts.why.signin"}, Experts: ours}},
			want: []string{"Expert program", "Helper", "Champion", "Be patient and kind", "Sign in to apply"}},
		{name: "experts", label: "can apply", status: 200, path: "/experts?applied=1", user: asker,
			page: &Page{Title: "experts.title", Data: &programData{Program: sampleProgram(true), Eligibility: &models.Eligibility{CanApply: true}, Mine: &models.MyProgram{}}},
			want: []string{`href="/experts/apply"`, "<strong>kind</strong>", "your application is in the queue"}},
		{name: "experts", label: "active expert", status: 200, path: "/experts", user: expert,
			page: &Page{Title: "experts.title", Data: &programData{Program: sampleProgram(false), Eligibility: &models.Eligibility{Reason: "experts.why.already"}, Mine: mine, Experts: ours}},
			want: []string{"You are an expert (Champion)", "Early access", "/experts/dashboard"}},
		{name: "experts", label: "paused", status: 200, path: "/experts", user: expert,
			page: &Page{Title: "experts.title", Data: &programData{Program: sampleProgram(false), Eligibility: &models.Eligibility{Reason: "experts.why.paused"}, Mine: paused}},
			want: []string{"membership is paused", "On leave"}},
		{name: "experts", label: "nominated", status: 200, path: "/experts", user: &models.User{ID: 6, Handle: "sam"},
			page: &Page{Title: "experts.title", Data: &programData{Program: sampleProgram(false), Eligibility: &models.Eligibility{Reason: "experts.why.pending"}, Mine: nominated}},
			want: []string{"Nominated by Emil Petrov", "/experts/applications/2/accept", "Accept the guidelines"}},
		{name: "experts_apply", label: "blank", status: 200, path: "/experts/apply", user: asker,
			page: &Page{Title: "experts.apply_title", Data: &applyData{Program: sampleProgram(false), Boards: boards}},
			want: []string{`name="statement"`, `name="accept"`, "LaserJet printers"}},
		{name: "experts_apply", label: "errors", status: 422, path: "/experts/apply", user: asker,
			page: &Page{Title: "experts.apply_title", Data: &applyData{Program: sampleProgram(true), Boards: boards},
				Errors: func() *models.ValidationError {
					v := fieldErr("statement", "error.too_short", map[string]any{"Min": 20})
					v.Add("boards", "experts.error.boards_required", nil)
					v.Add("accept", "experts.error.accept_guidelines", nil)
					return v
				}(), Form: url.Values{"statement": {"short"}, "board": {"1"}}},
			want: []string{"At least 20 characters", "Choose at least one board", "Please accept the expert guidelines", `value="1" checked`}},
		{name: "experts_apply", label: "nominate", status: 200, path: "/experts/nominate", user: employee,
			page: &Page{Title: "experts.nominate_title", Data: &applyData{Program: sampleProgram(false), Boards: boards, Nominate: true}, Form: url.Values{"handle": {"sam"}}},
			want: []string{"Nominate an expert", `action="/experts/nominate"`, `value="sam"`}},
		{name: "experts_apply", label: "nominate unknown", status: 422, path: "/experts/nominate", user: employee,
			page: &Page{Title: "experts.nominate_title", Data: &applyData{Program: sampleProgram(false), Boards: boards, Nominate: true},
				Errors: fieldErr("handle", "error.user_unknown", nil), Form: url.Values{"handle": {"nobody"}}},
			want: []string{"There is no user with that name."}},
		{name: "admin_experts", label: "queue", status: 200, path: "/admin/experts", user: admin,
			page: &Page{Title: "experts.admin_title", Data: &adminApplicationsData{Status: models.AppPending, Applications: apps[:2], Next: 2,
				Statuses: []string{models.AppPending, models.AppApproved, models.AppDeclined, models.AppWithdrawn}}},
			want: []string{"Asha Rao", "Nominated by Emil Petrov", "Guidelines not accepted yet", "1 suspensions, 2 kudos cases", "after=2"}},
		{name: "admin_experts", label: "empty", status: 200, path: "/admin/experts?status=approved", user: admin,
			page: &Page{Title: "experts.admin_title", Data: &adminApplicationsData{Status: models.AppApproved, Statuses: []string{models.AppPending, models.AppApproved}}},
			want: []string{"Nothing here."}},
		{name: "admin_expert_application", label: "pending", status: 200, path: "/admin/experts/applications/1", user: admin,
			page: &Page{Title: "experts.review_title", Data: &adminApplicationData{App: detail, Tiers: tiers, Audit: detail.History}},
			want: []string{"Application of Asha Rao", "I fix &lt;printers&gt; every day.", "Approve", "Decline", "Printer shows error E-301", "Not yet &lt;sorry&gt;"}},
		{name: "admin_expert_application", label: "nomination errors", status: 422, path: "/admin/experts/applications/2", user: admin,
			page: &Page{Title: "experts.review_title", Data: &adminApplicationData{App: nomDetail, Tiers: tiers},
				Errors: fieldErr("note", "error.required", nil), Form: url.Values{"action": {"decline"}}},
			want: []string{"has not accepted the guidelines yet", "This is required."}},
		{name: "admin_expert_application", label: "decided", status: 200, path: "/admin/experts/applications/3", user: admin,
			page: &Page{Title: "experts.review_title", Data: &adminApplicationData{App: declined, Tiers: tiers}},
			want: []string{"Declined", "decided by Ada"}},
		{name: "admin_expert_members", label: "active", status: 200, path: "/admin/experts/members?saved=1", user: admin,
			page: &Page{Title: "experts.members_title", Data: &adminExpertsData{Status: models.ExpertActive, Experts: members, Tiers: tiers, Boards: boards,
				Statuses: []string{models.ExpertActive, models.ExpertPaused, models.ExpertRemoved}}},
			want: []string{"Ezra", "Champion", "Pause", "Remove", "No boards yet", "Saved."}},
		{name: "admin_expert_members", label: "reason missing", status: 422, path: "/admin/experts/members", user: admin,
			page: &Page{Title: "experts.members_title", Data: &adminExpertsData{Status: models.ExpertActive, Experts: members, Tiers: tiers, Boards: boards, Failed: expert.ID},
				Errors: fieldErr("reason", "error.required", nil)},
			want: []string{"This is required.", "<details open>"}},
		{name: "admin_expert_members", label: "empty", status: 200, path: "/admin/experts/members?status=removed", user: admin,
			page: &Page{Title: "experts.members_title", Data: &adminExpertsData{Status: models.ExpertRemoved}}, want: []string{"Nobody here."}},
		{name: "admin_expert_settings", label: "saved", status: 200, path: "/admin/experts/settings?saved=1", user: admin,
			page: &Page{Title: "experts.settings_title", Data: &programSettingsData{Program: sampleProgram(true), Ranks: ranks, Saved: true}, Form: settingsForm},
			want: []string{"Lowest rank that may apply", `value="3" selected`, "Champion", "Add tier", "Saved."}},
		{name: "admin_expert_settings", label: "errors", status: 422, path: "/admin/experts/settings", user: admin,
			page: &Page{Title: "experts.settings_title", Data: &programSettingsData{Program: sampleProgram(false), Ranks: ranks}, Form: settingsForm,
				Errors: fieldErr("route_max_open", "points.error.range", map[string]any{"Min": 1, "Max": 100})}},
		{name: "notifications", label: "some", status: 200, path: "/notifications", user: expert,
			page: &Page{Title: "notify.title", Data: &notificationsData{Items: notes, Next: 1}},
			want: []string{"Emil verified your answer to “Printer &lt;shows&gt; E-301”.", "Keep &lt;helping&gt;", "Mark all as read", "before=1"}},
		{name: "notifications", label: "none", status: 200, path: "/notifications", user: asker,
			page: &Page{Title: "notify.title", Data: &notificationsData{}}, want: []string{"No notifications yet."}},
	}
}
