package models

import (
	"context"
	"errors"
	"fmt"
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
	return out, next, nil
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
}

// IssueQuestionLimit bounds the questions an issue page loads.
const IssueQuestionLimit = 500

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
	if err := db.Table("emerging_issue_terms it").Joins("JOIN trend_terms t ON t.id = it.term_id").
		Where("it.issue_id = ?", id).Order("it.docs DESC, t.term").Limit(12).Pluck("t.term", &d.Terms).Error; err != nil {
		return nil, err
	}
	if err := db.Table("emerging_issue_questions eq").
		Select("q.id AS question_id, q.title, q.lang, q.author_id, q.answer_count, q.created_at").
		Joins("JOIN questions q ON q.id = eq.question_id").
		Where("eq.issue_id = ? AND q.deleted_at IS NULL", id).Where(SeenQuestions(db, viewer, "q")).Order("q.created_at, q.id").Limit(IssueQuestionLimit).
		Scan(&d.Questions).Error; err != nil {
		return nil, err
	}
	d.Hourly, d.Languages = hourly(d.Questions), map[string]int{}
	for _, q := range d.Questions {
		lang := q.Lang
		if lang == "" {
			lang = "?"
		}
		d.Languages[lang]++
	}
	return &d, nil
}

// hourly counts questions per UTC hour from the first to the last, with
// the empty hours in between (at most two weeks of bars).
func hourly(qs []IssueQuestion) []HourCount {
	if len(qs) == 0 {
		return nil
	}
	first, last := qs[0].CreatedAt.UTC().Truncate(time.Hour), qs[len(qs)-1].CreatedAt.UTC().Truncate(time.Hour)
	if last.Sub(first) > 14*24*time.Hour {
		first = last.Add(-14 * 24 * time.Hour)
	}
	n := int(last.Sub(first)/time.Hour) + 1
	out := make([]HourCount, n)
	for i := range out {
		out[i].Hour = first.Add(time.Duration(i) * time.Hour)
	}
	for _, q := range qs {
		if i := int(q.CreatedAt.UTC().Truncate(time.Hour).Sub(first) / time.Hour); i >= 0 && i < n {
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
	Status      string
	Notes       string
	ExternalURL string
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
		err := tx.Table("emerging_issues ei").Select("ei.id, ei.status").
			Where("ei.id = ? AND ei.scope = ? AND ei.board_id IN (?)", id, ScopeLive, VisibleBoards(tx, actor)).Take(&d).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		upd := map[string]any{"notes": notes, "external_url": link, "updated_at": now}
		if d.Status != in.Status {
			upd["status"], upd["status_changed_by"], upd["status_changed_at"] = in.Status, actor.ID, now
		}
		if err := tx.Table("emerging_issues").Where("id = ?", id).Updates(upd).Error; err != nil {
			return fmt.Errorf("update issue %d: %w", id, err)
		}
		return Audit(tx, &actor.ID, "issue.update", nil, fmt.Sprintf("issue #%d: %s → %s", id, d.Status, in.Status))
	})
}
