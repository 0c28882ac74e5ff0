package models

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

// CanUseProductDashboard reports whether u sees the emerging issues and
// may subscribe to their alerts: the product team and admins.
func CanUseProductDashboard(u *User) bool { return u.HasRole(RoleProduct) || u.HasRole(RoleAdmin) }

// IssuePageSize is how many issues the dashboard lists at once.
const IssuePageSize = 50

// IssueSummary is an issue as the dashboard lists it.
type IssueSummary struct {
	EmergingIssue
	BoardSlug string
	BoardName string
	// Langs are the languages of the issue's questions, most used first
	// (filled by ListIssues).
	Langs []string `gorm:"-"`
}

// IssueListOptions filter the dashboard: Status "" lists the open ones
// (new, acknowledged, investigating); BoardID 0 every board.
type IssueListOptions struct {
	Status  string
	BoardID int64
	Before  int64 // the last id of the previous page
}

// ListIssues lists the live issues of the boards viewer may read, most
// recently active first.
func ListIssues(ctx context.Context, db *gorm.DB, viewer *User, opt IssueListOptions) ([]IssueSummary, int64, error) {
	if !CanUseProductDashboard(viewer) {
		return nil, 0, ErrForbidden
	}
	db = db.WithContext(ctx)
	q := db.Table("emerging_issues ei").Select("ei.*, b.slug AS board_slug, b.name AS board_name").
		Joins("JOIN boards b ON b.id = ei.board_id").
		Where("ei.scope = ? AND b.id IN (?)", ScopeLive, VisibleBoards(db, viewer))
	switch {
	case opt.Status == "":
		q = q.Where("ei.status IN ?", []string{IssueNew, IssueAcknowledged, IssueInvestigating})
	case ValidIssueStatus(opt.Status):
		q = q.Where("ei.status = ?", opt.Status)
	default:
		return nil, 0, ErrBadCursor
	}
	if opt.BoardID != 0 {
		q = q.Where("ei.board_id = ?", opt.BoardID)
	}
	if opt.Before > 0 {
		q = q.Where("ei.id < ?", opt.Before)
	}
	var out []IssueSummary
	if err := q.Order("ei.id DESC").Limit(IssuePageSize + 1).Scan(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list issues: %w", err)
	}
	var next int64
	if len(out) > IssuePageSize {
		out = out[:IssuePageSize]
		next = out[len(out)-1].ID
	}
	if err := issueLanguages(db, out); err != nil {
		return nil, 0, err
	}
	return out, next, nil
}

// issueLanguages fills the languages of a page of issues in one statement.
func issueLanguages(db *gorm.DB, page []IssueSummary) error {
	if len(page) == 0 {
		return nil
	}
	ids := make([]int64, len(page))
	at := make(map[int64]*IssueSummary, len(page))
	for i := range page {
		ids[i], at[page[i].ID] = page[i].ID, &page[i]
	}
	var rows []struct {
		IssueID int64
		Lang    string
		N       int
	}
	if err := db.Table("emerging_issue_questions eq").Select("eq.issue_id, q.lang, COUNT(*) AS n").
		Joins("JOIN questions q ON q.id = eq.question_id").
		Where("eq.issue_id IN ? AND q.deleted_at IS NULL", ids).Group("eq.issue_id, q.lang").
		Order("eq.issue_id, n DESC, q.lang").Scan(&rows).Error; err != nil {
		return fmt.Errorf("languages of issues: %w", err)
	}
	for _, r := range rows {
		lang := r.Lang
		if lang == "" {
			lang = "?"
		}
		at[r.IssueID].Langs = append(at[r.IssueID].Langs, lang)
	}
	return nil
}

// IssueQuestion is a question grouped into an issue.
type IssueQuestion struct {
	QuestionID  int64
	Title       string
	Lang        string
	AuthorID    int64
	AnswerCount int
	CreatedAt   time.Time
}

// HourCount is one bar of an issue's trend chart.
type HourCount struct {
	Hour  time.Time
	Count int
}

// IssueDetail is everything the issue page shows.
type IssueDetail struct {
	IssueSummary
	Terms     []string
	Questions []IssueQuestion
	Hourly    []HourCount
	Languages map[string]int
	// Live is how many of its questions are not deleted; Questions are
	// the latest IssueQuestionLimit of them.
	Live int64
}

// IssueQuestionLimit bounds the questions an issue page lists.
const IssueQuestionLimit = 100

// LoadIssue loads one live issue of a board viewer may read.
func LoadIssue(ctx context.Context, db *gorm.DB, viewer *User, id int64) (*IssueDetail, error) {
	if !CanUseProductDashboard(viewer) {
		return nil, ErrForbidden
	}
	db = db.WithContext(ctx)
	var d IssueDetail
	err := db.Table("emerging_issues ei").Select("ei.*, b.slug AS board_slug, b.name AS board_name").
		Joins("JOIN boards b ON b.id = ei.board_id").
		Where("ei.id = ? AND ei.scope = ? AND b.id IN (?)", id, ScopeLive, VisibleBoards(db, viewer)).Take(&d.IssueSummary).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	// The terms that tell the issue apart: in a fair share of its
	// questions, well above the board's background, strongest lift first.
	if err := db.Table("emerging_issue_terms it").Joins("JOIN trend_terms t ON t.id = it.term_id").
		Where("it.issue_id = ? AND it.docs >= ? AND it.docs >= ? * it.background", id,
			int(math.Ceil(issueTermShare*float64(max(1, d.QuestionCount)))), issueTermLift*float64(max(1, d.QuestionCount))).
		Order("it.docs / (it.background + 0.0001) DESC, t.term").Limit(12).Pluck("t.term", &d.Terms).Error; err != nil {
		return nil, err
	}
	live := db.Table("emerging_issue_questions eq").Joins("JOIN questions q ON q.id = eq.question_id").
		Where("eq.issue_id = ? AND q.deleted_at IS NULL", id).Where(SeenQuestions(db, viewer, "q"))
	if err := live.Session(&gorm.Session{}).Count(&d.Live).Error; err != nil {
		return nil, err
	}
	if err := live.Session(&gorm.Session{}).
		Select("q.id AS question_id, q.title, q.lang, q.author_id, q.answer_count, q.created_at").
		Order("q.created_at DESC, q.id DESC").Limit(IssueQuestionLimit).Scan(&d.Questions).Error; err != nil {
		return nil, err
	}
	// The chart counts every question of its last two weeks, not only
	// the ones listed.
	var times []time.Time
	if err := live.Session(&gorm.Session{}).Where("eq.created_at >= ?", d.LastQuestionAt.Add(-14*24*time.Hour)).
		Order("eq.created_at").Pluck("eq.created_at", &times).Error; err != nil {
		return nil, err
	}
	d.Hourly = hourly(times)
	var langs []struct {
		Lang string
		N    int
	}
	if err := live.Session(&gorm.Session{}).Select("q.lang, COUNT(*) AS n").Group("q.lang").Scan(&langs).Error; err != nil {
		return nil, err
	}
	d.Languages = map[string]int{}
	for _, l := range langs {
		lang := l.Lang
		if lang == "" {
			lang = "?"
		}
		d.Languages[lang] += l.N
	}
	return &d, nil
}

// issueTermShare is the least share of an issue's questions a term shown
// on its page is in.
const issueTermShare = 0.15

// issueTermLift is the least lift (share in the issue over share on the
// board) of a term shown on its page: common words that merely came along
// stay off it.
const issueTermLift = 20.0

// hourly counts question times (oldest first) per UTC hour from the first
// to the last, with the empty hours in between.
func hourly(times []time.Time) []HourCount {
	if len(times) == 0 {
		return nil
	}
	first, last := times[0].UTC().Truncate(time.Hour), times[len(times)-1].UTC().Truncate(time.Hour)
	n := int(last.Sub(first)/time.Hour) + 1
	out := make([]HourCount, n)
	for i := range out {
		out[i].Hour = first.Add(time.Duration(i) * time.Hour)
	}
	for _, t := range times {
		if i := int(t.UTC().Truncate(time.Hour).Sub(first) / time.Hour); i >= 0 && i < n {
			out[i].Count++
		}
	}
	return out
}

// LanguageList is the languages of an issue, most used first.
func (d *IssueDetail) LanguageList() []string {
	out := make([]string, 0, len(d.Languages))
	for l := range d.Languages {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool {
		if d.Languages[out[i]] != d.Languages[out[j]] {
			return d.Languages[out[i]] > d.Languages[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

// IssueUpdate is the product team's change to an issue.
type IssueUpdate struct {
	// Title names the issue; empty keeps the name it has.
	Title       string
	Status      string
	Notes       string
	ExternalURL string
	// FixMessage is required when the issue moves into fixed: it is
	// posted as an official reply in every question of the issue.
	FixMessage string
}

// UpdateIssue saves an issue's status, notes and external link, with an
// audit entry; one bad field saves nothing.
func UpdateIssue(ctx context.Context, db *gorm.DB, actor *User, id int64, in IssueUpdate) error {
	if !CanUseProductDashboard(actor) {
		return ErrForbidden
	}
	v := &ValidationError{}
	if !ValidIssueStatus(in.Status) {
		v.Add("status", "error.invalid", nil)
	}
	notes := validateNote(v, "notes", in.Notes, false, 5000)
	title := validateNote(v, "title", in.Title, false, 200)
	link := strings.TrimSpace(in.ExternalURL)
	if link != "" {
		if u, err := url.Parse(link); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(link) > 500 {
			v.Add("external_url", "alerts.error.url", nil)
		}
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Only the status and whether the actor may see the board matter
		// here, not the questions and terms LoadIssue gathers.
		var d EmergingIssue
		err := tx.Table("emerging_issues ei").Select("ei.id, ei.status, ei.fix_round").
			Where("ei.id = ? AND ei.scope = ? AND ei.board_id IN (?)", id, ScopeLive, VisibleBoards(tx, actor)).Take(&d).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		fixing := in.Status == IssueFixed && d.Status != IssueFixed
		var fix string
		if fixing {
			fix = validateNote(v, "fix_message", in.FixMessage, true, FixMessageMax)
			if fix != "" && len([]rune(fix)) < FixMessageMin {
				v.Add("fix_message", "error.too_short", map[string]any{"Min": FixMessageMin})
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		upd := map[string]any{"notes": notes, "external_url": link, "updated_at": now}
		if title != "" {
			upd["title"] = title
		}
		if d.Status != in.Status {
			upd["status"], upd["status_changed_by"], upd["status_changed_at"] = in.Status, actor.ID, now
		}
		if fixing {
			upd["fix_message"], upd["fix_round"], upd["fix_posted"] = fix, d.FixRound+1, 0
		}
		if err := tx.Table("emerging_issues").Where("id = ?", id).Updates(upd).Error; err != nil {
			return fmt.Errorf("update issue %d: %w", id, err)
		}
		if fixing {
			if err := Enqueue(tx, TaskIssueFixed, IssueFixEvent{IssueID: id, Round: d.FixRound + 1, ActorID: actor.ID}); err != nil {
				return err
			}
		}
		return Audit(tx, &actor.ID, "issue.update", nil, fmt.Sprintf("issue #%d: %s → %s", id, d.Status, in.Status))
	})
}
