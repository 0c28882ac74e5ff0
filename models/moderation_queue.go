package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// ReportView is a report with its reporter's handle.
type ReportView struct {
	Report
	ReporterHandle string
}

// ActionView is a moderation action with its actor's handle.
type ActionView struct {
	ModerationAction
	ActorHandle string
}

// AuthorHistory is what a moderator needs to know about a post's author.
type AuthorHistory struct {
	User *User
	// Posts counts the author's live posts.
	Posts int64
	// Reports counts reports of the author's posts by outcome: open,
	// dismissed, actioned.
	Open, Dismissed, Actioned   int64
	Warnings, Suspensions, Bans int64
	// Actions are the latest decisions about the author, newest first.
	Actions []ActionView
}

// QueueItem is one reported post with everything needed to decide.
type QueueItem struct {
	Post     Post
	Question Question
	Board    Board
	Author   *AuthorHistory
	// Open are the post's open reports, oldest first; Prior the closed ones.
	Open, Prior []ReportView
	// Actions are the decisions taken on this post, newest first.
	Actions []ActionView
}

// historyActions bounds how many past decisions an author's history lists.
const historyActions = 5

// ModerationQueue lists the posts with open reports, the longest waiting
// first, keyset-paginated on their first open report's id (after: the
// last one of the previous page). It returns the cursor of the next page,
// 0 on the last. The statement count is fixed, whatever the page holds.
func ModerationQueue(ctx context.Context, db *gorm.DB, after int64, limit int) ([]QueueItem, int64, error) {
	if limit <= 0 || limit > 100 {
		limit = QueuePageSize
	}
	db = db.WithContext(ctx)
	var groups []struct {
		PostID  int64
		FirstID int64
	}
	if err := db.Table("reports").Select("post_id, MIN(id) AS first_id").Where("status = ?", ReportOpen).
		Group("post_id").Having("MIN(id) > ?", after).Order("first_id").Limit(limit + 1).Scan(&groups).Error; err != nil {
		return nil, 0, fmt.Errorf("moderation queue: %w", err)
	}
	var next int64
	if len(groups) > limit {
		groups = groups[:limit]
		next = groups[len(groups)-1].FirstID
	}
	ids := make([]int64, len(groups))
	for i, g := range groups {
		ids[i] = g.PostID
	}
	items, err := queueItems(ctx, db, ids)
	return items, next, err
}

// ModerationItem is one post, with any reports and decisions, for the
// moderation page of that post (hidden posts too).
func ModerationItem(ctx context.Context, db *gorm.DB, postID int64) (*QueueItem, error) {
	items, err := queueItems(ctx, db.WithContext(ctx), []int64{postID})
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, ErrNotFound
	}
	return &items[0], nil
}

// queueItems loads the items of the given posts in their order.
func queueItems(ctx context.Context, db *gorm.DB, postIDs []int64) ([]QueueItem, error) {
	if len(postIDs) == 0 {
		return nil, nil
	}
	var posts []Post
	if err := db.Where("id IN ?", postIDs).Find(&posts).Error; err != nil {
		return nil, err
	}
	byID := map[int64]*Post{}
	var qIDs, authorIDs []int64
	for i := range posts {
		byID[posts[i].ID] = &posts[i]
		qIDs = append(qIDs, posts[i].QuestionID)
		authorIDs = append(authorIDs, posts[i].AuthorID)
	}
	var qs []Question
	if err := db.Where("id IN ?", qIDs).Find(&qs).Error; err != nil {
		return nil, err
	}
	qByID := map[int64]*Question{}
	var boardIDs []int64
	for i := range qs {
		qByID[qs[i].ID] = &qs[i]
		boardIDs = append(boardIDs, qs[i].BoardID)
	}
	var bs []Board
	if err := db.Where("id IN ?", boardIDs).Find(&bs).Error; err != nil {
		return nil, err
	}
	bByID := map[int64]Board{}
	for _, b := range bs {
		bByID[b.ID] = b
	}
	var reports []ReportView
	if err := db.Table("reports r").Select("r.*, u.handle AS reporter_handle").Joins("JOIN users u ON u.id = r.reporter_id").
		Where("r.post_id IN ?", postIDs).Order("r.id").Scan(&reports).Error; err != nil {
		return nil, err
	}
	var postActions []ActionView
	if err := db.Table("moderation_actions a").Select("a.*, u.handle AS actor_handle").Joins("JOIN users u ON u.id = a.actor_id").
		Where("a.post_id IN ?", postIDs).Order("a.id DESC").Scan(&postActions).Error; err != nil {
		return nil, err
	}
	hist, err := authorHistories(ctx, db, authorIDs)
	if err != nil {
		return nil, err
	}
	var out []QueueItem
	for _, id := range postIDs {
		p := byID[id]
		if p == nil {
			continue
		}
		it := QueueItem{Post: *p, Author: hist[p.AuthorID]}
		if q := qByID[p.QuestionID]; q != nil {
			it.Question = *q
			it.Board = bByID[q.BoardID]
		}
		for _, r := range reports {
			if r.PostID != id {
				continue
			}
			if r.Status == ReportOpen {
				it.Open = append(it.Open, r)
			} else {
				it.Prior = append(it.Prior, r)
			}
		}
		for _, a := range postActions {
			if a.PostID != nil && *a.PostID == id {
				it.Actions = append(it.Actions, a)
			}
		}
		out = append(out, it)
	}
	return out, nil
}

// authorHistories loads the history of each author in a fixed number of
// statements.
func authorHistories(ctx context.Context, db *gorm.DB, ids []int64) (map[int64]*AuthorHistory, error) {
	users, err := usersWithRoles(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	out := map[int64]*AuthorHistory{}
	for id, u := range users {
		out[id] = &AuthorHistory{User: u}
	}
	var posts []struct {
		AuthorID int64
		N        int64
	}
	if err := db.Table("posts").Select("author_id, COUNT(*) AS n").Where("author_id IN ? AND deleted_at IS NULL", ids).
		Group("author_id").Scan(&posts).Error; err != nil {
		return nil, err
	}
	for _, r := range posts {
		if h := out[r.AuthorID]; h != nil {
			h.Posts = r.N
		}
	}
	var reps []struct {
		AuthorID int64
		Status   string
		N        int64
	}
	if err := db.Table("reports").Select("author_id, status, COUNT(*) AS n").Where("author_id IN ?", ids).
		Group("author_id, status").Scan(&reps).Error; err != nil {
		return nil, err
	}
	for _, r := range reps {
		h := out[r.AuthorID]
		if h == nil {
			continue
		}
		switch r.Status {
		case ReportOpen:
			h.Open = r.N
		case ReportDismissed:
			h.Dismissed = r.N
		case ReportActioned:
			h.Actioned = r.N
		}
	}
	var counts []struct {
		TargetUserID int64
		Action       string
		N            int64
	}
	if err := db.Table("moderation_actions").Select("target_user_id, action, COUNT(*) AS n").
		Where("target_user_id IN ? AND action IN ?", ids, []string{ModWarn, ModSuspend, ModBan}).
		Group("target_user_id, action").Scan(&counts).Error; err != nil {
		return nil, err
	}
	for _, c := range counts {
		h := out[c.TargetUserID]
		if h == nil {
			continue
		}
		switch c.Action {
		case ModWarn:
			h.Warnings = c.N
		case ModSuspend:
			h.Suspensions = c.N
		case ModBan:
			h.Bans = c.N
		}
	}
	// The latest decisions about each author: a window per author would
	// need a window function; a page holds few authors, so the newest
	// decisions about all of them, bounded, do.
	var acts []ActionView
	if err := db.Table("moderation_actions a").Select("a.*, u.handle AS actor_handle").Joins("JOIN users u ON u.id = a.actor_id").
		Where("a.target_user_id IN ? AND a.action <> ?", ids, ModDismiss).Order("a.id DESC").
		Limit(historyActions * len(ids)).Scan(&acts).Error; err != nil {
		return nil, err
	}
	for _, a := range acts {
		if a.TargetUserID == nil {
			continue
		}
		if h := out[*a.TargetUserID]; h != nil && len(h.Actions) < historyActions {
			h.Actions = append(h.Actions, a)
		}
	}
	return out, nil
}

// Banned reports whether u's suspension is a ban.
func (u *User) Banned() bool {
	return u != nil && u.SuspendedUntil != nil && !u.SuspendedUntil.Before(BanUntil)
}

// OpenReportCount counts open reports, for the moderators' nav.
func OpenReportCount(ctx context.Context, db *gorm.DB) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Model(&Report{}).Where("status = ?", ReportOpen).Count(&n).Error
	return n, err
}

// TagNamesOfQuestion lists a question's tag names in order.
func TagNamesOfQuestion(ctx context.Context, db *gorm.DB, questionID int64) ([]string, error) {
	var names []string
	err := db.WithContext(ctx).Table("question_tags qt").Joins("JOIN tags t ON t.id = qt.tag_id").
		Where("qt.question_id = ?", questionID).Order("t.name").Pluck("t.name", &names).Error
	return names, err
}
