package models

import (
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Who may read a question is decided here, once: the board rule
// (VisibleBoards, CanSeeBoard) and, on top of it, the thread's own rule.
//
//   - A private thread is read by its asker and staff (employees,
//     moderators, admins).
//   - A held question (a new member's post waiting for review) is read by
//     its author and moderators, and only on its own page: it is listed
//     nowhere (lists, search, feeds, tags, profiles, counts, queues) until
//     a moderator approves it; moderators find it at /moderation/held.

// questionAudience is the thread rule as a condition on the questions
// table aliased alias, for every query that lists or counts questions.
func questionAudience(viewer *User, alias string) clause.Expr {
	switch {
	case viewer == nil:
		return clause.Expr{SQL: alias + ".private = ? AND " + alias + ".held = ?", Vars: []any{false, false}}
	case viewer.IsStaff():
		return clause.Expr{SQL: alias + ".held = ?", Vars: []any{false}}
	default:
		return clause.Expr{SQL: alias + ".held = ? AND (" + alias + ".private = ? OR " + alias + ".author_id = ?)",
			Vars: []any{false, false, viewer.ID}}
	}
}

// SeenQuestions is the one scope of "questions viewer may see in a list":
// on a board they may read and allowed by the thread rule. alias names the
// questions table in the query. Deleted questions are the caller's filter.
func SeenQuestions(db *gorm.DB, viewer *User, alias string) clause.Expr {
	return clause.Expr{SQL: "(" + alias + ".board_id IN (?) AND ?)", Vars: []any{VisibleBoards(db, viewer), questionAudience(viewer, alias)}}
}

// CanReadThread reports whether viewer may open question q, whose board
// they may already read (the question page, its edit and revision pages,
// and every write on it).
func CanReadThread(viewer *User, q *Question) bool {
	mine := viewer != nil && viewer.ID == q.AuthorID
	if q.Held && !mine && !viewer.CanModerate() {
		return false
	}
	if q.Private && !mine && !viewer.IsStaff() {
		return false
	}
	return true
}

// postAudience is the condition on posts (alias p) of a question page:
// held answers are shown to their author and moderators only.
func postAudience(viewer *User, alias string) clause.Expr {
	switch {
	case viewer.CanModerate():
		return clause.Expr{SQL: "1 = 1"}
	case viewer == nil:
		return clause.Expr{SQL: alias + ".held = ?", Vars: []any{false}}
	default:
		return clause.Expr{SQL: "(" + alias + ".held = ? OR " + alias + ".author_id = ?)", Vars: []any{false, viewer.ID}}
	}
}

// staffRoles are the roles IsStaff names, for SQL that checks roles itself.
var staffRoles = []Role{RoleEmployee, RoleModerator, RoleAdmin}

// deref is *p, or the zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
