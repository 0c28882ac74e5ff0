package models

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// ExpertPageSize is how many applications or experts an admin page lists.
const ExpertPageSize = 50

// MemberRecord is what a reviewer weighs: a person's help so far, counted
// over every board (reviewers are admins and see them all).
type MemberRecord struct {
	UserID        int64
	Answers       int64
	Solutions     int64
	Verified      int64
	KudosReceived int64
	Points        int
	Suspensions   int64
	KudosCases    int64
}

// ApplicationView is an application with the people and boards behind it.
type ApplicationView struct {
	ExpertApplication
	User          *User
	NominatorName string
	DeciderName   string
	TierName      string
	Boards        []Board
	Record        MemberRecord
}

// memberRecords computes the records of users in a fixed number of
// statements, whatever their number.
func memberRecords(db *gorm.DB, ids []int64) (map[int64]*MemberRecord, error) {
	out := map[int64]*MemberRecord{}
	if len(ids) == 0 {
		return out, nil
	}
	for _, id := range ids {
		out[id] = &MemberRecord{UserID: id}
	}
	var answers []struct {
		AuthorID                 int64
		Answers, Solutions, Veri int64
	}
	err := db.Table("posts p").Joins("JOIN questions q ON q.id = p.question_id").
		Select("p.author_id, COUNT(*) AS answers, "+
			"SUM(CASE WHEN q.accepted_answer_id = p.id THEN 1 ELSE 0 END) AS solutions, "+
			"SUM(CASE WHEN p.verified_by IS NOT NULL THEN 1 ELSE 0 END) AS veri").
		Where("p.author_id IN ? AND p.kind = ? AND p.deleted_at IS NULL AND q.deleted_at IS NULL", ids, KindAnswer).
		Group("p.author_id").Scan(&answers).Error
	if err != nil {
		return nil, fmt.Errorf("records: answers: %w", err)
	}
	for _, a := range answers {
		r := out[a.AuthorID]
		r.Answers, r.Solutions, r.Verified = a.Answers, a.Solutions, a.Veri
	}
	var kudos []struct{ ReceiverID, N int64 }
	if err := db.Table("kudos").Select("receiver_id, COUNT(*) AS n").
		Where("receiver_id IN ? AND withdrawn_at IS NULL", ids).Group("receiver_id").Scan(&kudos).Error; err != nil {
		return nil, fmt.Errorf("records: kudos: %w", err)
	}
	for _, k := range kudos {
		out[k.ReceiverID].KudosReceived = k.N
	}
	var points []struct {
		ID     int64
		Points int
	}
	if err := db.Table("users").Select("id, points").Where("id IN ?", ids).Scan(&points).Error; err != nil {
		return nil, err
	}
	for _, p := range points {
		out[p.ID].Points = p.Points
	}
	var mod []struct {
		TargetUserID int64
		Action       string
		N            int64
	}
	if err := db.Table("audit_log").Select("target_user_id, action, COUNT(*) AS n").
		Where("target_user_id IN ? AND action IN ?", ids, []string{"user.suspend", "kudos.case_open"}).
		Group("target_user_id, action").Scan(&mod).Error; err != nil {
		return nil, fmt.Errorf("records: moderation: %w", err)
	}
	for _, m := range mod {
		if m.Action == "user.suspend" {
			out[m.TargetUserID].Suspensions = m.N
		} else {
			out[m.TargetUserID].KudosCases = m.N
		}
	}
	return out, nil
}

// attachApplications fills users, names, boards and records of apps.
func attachApplications(db *gorm.DB, apps []ExpertApplication) ([]ApplicationView, error) {
	out := make([]ApplicationView, len(apps))
	if len(apps) == 0 {
		return out, nil
	}
	var userIDs, appIDs []int64
	for _, a := range apps {
		appIDs = append(appIDs, a.ID)
		userIDs = append(userIDs, a.UserID)
		for _, id := range []*int64{a.NominatedBy, a.DecidedBy} {
			if id != nil {
				userIDs = append(userIDs, *id)
			}
		}
	}
	users, err := usersWithRoles(db.Statement.Context, db, userIDs)
	if err != nil {
		return nil, err
	}
	var boards []struct {
		ApplicationID int64
		Board
	}
	if err := db.Table("expert_application_boards eab").Select("eab.application_id, b.*").
		Joins("JOIN boards b ON b.id = eab.board_id").Where("eab.application_id IN ?", appIDs).
		Order("b.position, b.name").Scan(&boards).Error; err != nil {
		return nil, err
	}
	tiers, err := ExpertTiers(db.Statement.Context, db)
	if err != nil {
		return nil, err
	}
	var applicants []int64
	for _, a := range apps {
		applicants = append(applicants, a.UserID)
	}
	recs, err := memberRecords(db, applicants)
	if err != nil {
		return nil, err
	}
	for i, a := range apps {
		v := ApplicationView{ExpertApplication: a, User: users[a.UserID], Record: *recs[a.UserID]}
		if a.NominatedBy != nil && users[*a.NominatedBy] != nil {
			v.NominatorName = users[*a.NominatedBy].Name()
		}
		if a.DecidedBy != nil && users[*a.DecidedBy] != nil {
			v.DeciderName = users[*a.DecidedBy].Name()
		}
		if a.TierID != nil {
			v.TierName = tierName(tiers, *a.TierID)
		}
		for _, b := range boards {
			if b.ApplicationID == a.ID {
				v.Boards = append(v.Boards, b.Board)
			}
		}
		if v.User == nil {
			v.User = &User{ID: a.UserID}
		}
		out[i] = v
	}
	return out, nil
}

// tierName is the name of tier id among tiers, "" when it is gone.
func tierName(tiers []ExpertTier, id int64) string {
	for _, t := range tiers {
		if t.ID == id {
			return t.Name
		}
	}
	return ""
}

// ValidApplicationStatus reports whether s is an application status.
func ValidApplicationStatus(s string) bool {
	return s == AppPending || s == AppApproved || s == AppDeclined || s == AppWithdrawn
}

// ExpertApplications lists applications of a status: pending ones oldest
// first (a queue), decided ones newest first. before is the id the next
// page starts after (0 for the first); the returned id is the next page's.
func ExpertApplications(ctx context.Context, db *gorm.DB, status string, after int64, limit int) ([]ApplicationView, int64, error) {
	if !ValidApplicationStatus(status) {
		return nil, 0, ErrNotFound
	}
	if limit <= 0 || limit > 100 {
		limit = ExpertPageSize
	}
	db = db.WithContext(ctx)
	q := db.Where("status = ?", status)
	order := "id DESC"
	if status == AppPending {
		order = "id"
		if after > 0 {
			q = q.Where("id > ?", after)
		}
	} else if after > 0 {
		q = q.Where("id < ?", after)
	}
	var apps []ExpertApplication
	if err := q.Order(order).Limit(limit + 1).Find(&apps).Error; err != nil {
		return nil, 0, fmt.Errorf("applications: %w", err)
	}
	var next int64
	if len(apps) > limit {
		apps = apps[:limit]
		next = apps[len(apps)-1].ID
	}
	views, err := attachApplications(db, apps)
	return views, next, err
}

// ApplicationDetail is one application with the applicant's latest
// answers and the audit history about them.
type ApplicationDetail struct {
	ApplicationView
	Answers []AnswerSummary
	History []AuditView
	Earlier []ApplicationView // the person's other applications
}

// LoadApplication loads an application for review.
func LoadApplication(ctx context.Context, db *gorm.DB, reviewer *User, id int64) (*ApplicationDetail, error) {
	db = db.WithContext(ctx)
	var app ExpertApplication
	if err := db.First(&app, id).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, err
	}
	views, err := attachApplications(db, []ExpertApplication{app})
	if err != nil {
		return nil, err
	}
	d := &ApplicationDetail{ApplicationView: views[0]}
	if d.Answers, _, err = ProfileAnswers(ctx, db, reviewer, app.UserID, "", 10); err != nil {
		return nil, err
	}
	if d.History, err = AuditLog(ctx, db, app.UserID, 0, 20); err != nil {
		return nil, err
	}
	var others []ExpertApplication
	if err := db.Where("user_id = ? AND id <> ?", app.UserID, app.ID).Order("id DESC").Limit(10).Find(&others).Error; err != nil {
		return nil, err
	}
	if d.Earlier, err = attachApplications(db, others); err != nil {
		return nil, err
	}
	return d, nil
}

// ExpertView is a program member as the admin list shows them.
type ExpertView struct {
	Expert
	User     *User
	TierName string
	Boards   []Board
	Record   MemberRecord
}

// ExpertMembers lists the people of one status (active, paused, removed),
// by tier then name.
func ExpertMembers(ctx context.Context, db *gorm.DB, status string) ([]ExpertView, error) {
	if status != ExpertActive && status != ExpertPaused && status != ExpertRemoved {
		return nil, ErrNotFound
	}
	db = db.WithContext(ctx)
	var es []Expert
	if err := db.Where("status = ?", status).Order("since").Limit(1000).Find(&es).Error; err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(es))
	for i, e := range es {
		ids[i] = e.UserID
	}
	users, err := usersWithRoles(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	tiers, err := ExpertTiers(ctx, db)
	if err != nil {
		return nil, err
	}
	var boards []struct {
		UserID int64
		Board
	}
	if err := db.Table("expert_boards eb").Select("eb.user_id, b.*").Joins("JOIN boards b ON b.id = eb.board_id").
		Where("eb.user_id IN ?", ids).Order("b.position, b.name").Scan(&boards).Error; err != nil {
		return nil, err
	}
	recs, err := memberRecords(db, ids)
	if err != nil {
		return nil, err
	}
	out := make([]ExpertView, len(es))
	for i, e := range es {
		v := ExpertView{Expert: e, User: users[e.UserID], Record: *recs[e.UserID], TierName: tierName(tiers, e.TierID)}
		for _, b := range boards {
			if b.UserID == e.UserID {
				v.Boards = append(v.Boards, b.Board)
			}
		}
		if v.User == nil {
			v.User = &User{ID: e.UserID}
		}
		out[i] = v
	}
	return out, nil
}

// MyProgram is what the program page shows a signed-in member about
// themselves: their place, their boards, their applications.
type MyProgram struct {
	Expert       *Expert
	TierName     string
	Boards       []Board
	Applications []ApplicationView
}

// LoadMyProgram loads u's own program status.
func LoadMyProgram(ctx context.Context, db *gorm.DB, u *User) (*MyProgram, error) {
	db = db.WithContext(ctx)
	m := &MyProgram{}
	var err error
	if m.Expert, err = ExpertOf(ctx, db, u.ID); err != nil {
		return nil, err
	}
	if m.Expert != nil {
		var t ExpertTier
		if err := db.Where("id = ?", m.Expert.TierID).Take(&t).Error; err == nil {
			m.TierName = t.Name
		}
		if err := db.Table("boards b").Joins("JOIN expert_boards eb ON eb.board_id = b.id").
			Where("eb.user_id = ? AND b.id IN (?)", u.ID, VisibleBoards(db, u)).Order("b.position, b.name").Find(&m.Boards).Error; err != nil {
			return nil, err
		}
	}
	var apps []ExpertApplication
	if err := db.Where("user_id = ?", u.ID).Order("id DESC").Limit(10).Find(&apps).Error; err != nil {
		return nil, err
	}
	m.Applications, err = attachApplications(db, apps)
	return m, err
}

// ProgramExperts lists active experts for the public program page: name,
// tier, and since when, most senior tier first.
func ProgramExperts(ctx context.Context, db *gorm.DB, limit int) ([]ExpertView, error) {
	var rows []struct {
		Expert
		TierName string
		Position int
	}
	err := db.WithContext(ctx).Table("experts e").Select("e.*, t.name AS tier_name, t.position").
		Joins("JOIN expert_tiers t ON t.id = e.tier_id").Where("e.status = ?", ExpertActive).
		Order("t.position DESC, e.since").Limit(limit).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.UserID
	}
	users, err := usersWithRoles(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	out := make([]ExpertView, 0, len(rows))
	for _, r := range rows {
		if u := users[r.UserID]; u != nil {
			out = append(out, ExpertView{Expert: r.Expert, User: u, TierName: r.TierName})
		}
	}
	return out, nil
}
