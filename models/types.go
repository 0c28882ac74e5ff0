package models

import (
	"time"
)

// Role is a permission group a user belongs to.
type Role string

// The roles. Members are every signed-in user; the others are granted.
const (
	RoleMember    Role = "member"
	RoleExpert    Role = "expert"
	RoleEmployee  Role = "employee"
	RoleModerator Role = "moderator"
	RoleProduct   Role = "product"
	RoleAdmin     Role = "admin"
	// RoleOfficial is a permission more than a role: an employee holding
	// it may post answers marked as the company's official answer.
	RoleOfficial Role = "official"
)

// AllRoles lists every role that can be granted, in display order.
var AllRoles = []Role{RoleExpert, RoleEmployee, RoleOfficial, RoleModerator, RoleProduct, RoleAdmin}

// User is a forum account.
type User struct {
	ID            int64
	Handle        string
	DisplayName   string
	Email         string
	EmailVerified bool
	AvatarURL     string
	Locale        string
	TimeZone      string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// GuidelinesAcceptedAt is when the user accepted the community guidelines.
	GuidelinesAcceptedAt *time.Time
	// SuspendedUntil, while in the future, bars the user from signing in and posting.
	SuspendedUntil *time.Time
	SuspendReason  string

	Roles []Role `gorm:"-"`
	// RankName is the name of the rank the user's points reach, filled by
	// the loaders that show authors (users.points and rank_id are caches of
	// the points ledger, written only by models/points.go).
	RankName string `gorm:"-"`
	// ExpertTier is the name of the tier of an active expert ("" for
	// others), filled by the same loaders, for the label on their posts.
	ExpertTier string `gorm:"-"`
	// ExpertBoardIDs are the boards an active expert answers in, and
	// Unread the count of unread notifications: filled for the signed-in
	// user by UserBySession.
	ExpertBoardIDs []int64 `gorm:"-"`
	Unread         int64   `gorm:"-"`
}

// Suspended reports whether u is suspended at now.
func (u *User) Suspended(now time.Time) bool {
	return u != nil && u.SuspendedUntil != nil && u.SuspendedUntil.After(now)
}

// HasRole reports whether u holds role r. Every user is a member.
func (u *User) HasRole(r Role) bool {
	if u == nil {
		return false
	}
	if r == RoleMember {
		return true
	}
	for _, have := range u.Roles {
		if have == r {
			return true
		}
	}
	return false
}

// IsStaff reports whether u speaks for the company or runs the community.
func (u *User) IsStaff() bool {
	return u.HasRole(RoleEmployee) || u.HasRole(RoleModerator) || u.HasRole(RoleAdmin)
}

// CanSpeakOfficially reports whether u may mark an answer as the
// company's official answer: employees granted the official permission.
func (u *User) CanSpeakOfficially() bool {
	return u.HasRole(RoleEmployee) && u.HasRole(RoleOfficial)
}

// CanVerifyIn reports whether u may mark answers on board boardID as
// verified: employees and admins anywhere they can read, experts in their
// boards. The board's visibility is checked by the caller (VerifyAnswer).
func (u *User) CanVerifyIn(boardID int64) bool {
	if u.HasRole(RoleEmployee) || u.HasRole(RoleAdmin) {
		return true
	}
	if !u.HasRole(RoleExpert) {
		return false
	}
	for _, id := range u.ExpertBoardIDs {
		if id == boardID {
			return true
		}
	}
	return false
}

// CanModerate reports whether u may act on other people's posts.
func (u *User) CanModerate() bool {
	return u.HasRole(RoleModerator) || u.HasRole(RoleAdmin)
}

// Name is what the forum shows for u.
func (u *User) Name() string {
	if u == nil {
		return ""
	}
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Handle
}

// Visibility says who may read a board.
type Visibility string

// The board visibilities, from most to least open.
const (
	VisibilityPublic  Visibility = "public"
	VisibilityMembers Visibility = "members"
	VisibilityExperts Visibility = "experts"
	VisibilityStaff   Visibility = "staff"
)

// Visibilities lists every visibility in order.
var Visibilities = []Visibility{VisibilityPublic, VisibilityMembers, VisibilityExperts, VisibilityStaff}

// Valid reports whether v is a known visibility.
func (v Visibility) Valid() bool {
	for _, k := range Visibilities {
		if v == k {
			return true
		}
	}
	return false
}

// VisibleTo returns the board visibilities that viewer u (nil for a visitor)
// may read. With rank perks (a rank may open one board to its holders) the
// full rule is CanSeeBoard for one board and VisibleBoards for queries, both
// in ranks.go and both built on this.
func VisibleTo(u *User) []Visibility {
	if u == nil {
		return []Visibility{VisibilityPublic}
	}
	out := []Visibility{VisibilityPublic, VisibilityMembers}
	if u.HasRole(RoleExpert) || u.IsStaff() {
		out = append(out, VisibilityExperts)
	}
	if u.IsStaff() {
		out = append(out, VisibilityStaff)
	}
	return out
}

// CanSee reports whether u may read a board of visibility v.
func CanSee(u *User, v Visibility) bool {
	for _, k := range VisibleTo(u) {
		if k == v {
			return true
		}
	}
	return false
}

// Board is a category of questions, usually one per product.
type Board struct {
	ID            int64
	Slug          string
	Name          string
	Description   string
	Visibility    Visibility
	Position      int
	QuestionCount int
	// FirstResponseMinutes is how soon a question should get its first
	// answer; unanswered past it, the question is routed to experts.
	FirstResponseMinutes int
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// Question is a topic: its title, board and state. Its body is the post of
// kind "question".
type Question struct {
	ID               int64
	BoardID          int64
	AuthorID         int64
	Title            string
	AcceptedAnswerID *int64
	AnswerCount      int
	ExternalID       *string
	// Lang is the language the question is written in ("" when unknown).
	Lang           string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	LastActivityAt time.Time
	DeletedAt      *time.Time
	// Private limits the thread to its asker and staff; Held keeps a new
	// member's question out of sight until a moderator approves it
	// (models/safety_scope.go holds the rule).
	Private bool
	Held    bool
	// LockedAt, when set, closes the question to new answers and to edits
	// by anyone but moderators; MergedIntoID is the question a duplicate
	// was merged into (moderation.go).
	LockedAt     *time.Time
	MergedIntoID *int64
}

// Solved reports whether an answer has been accepted.
func (q *Question) Solved() bool { return q.AcceptedAnswerID != nil }

// Post kinds.
const (
	KindQuestion = "question"
	KindAnswer   = "answer"
)

// Post is the body of a question or an answer.
type Post struct {
	ID            int64
	QuestionID    int64
	AuthorID      int64
	Kind          string
	BodyMD        string `gorm:"column:body_md"`
	BodyHTML      string `gorm:"column:body_html"`
	RevisionCount int
	KudosCount    int
	ExternalID    *string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	EditedAt      *time.Time
	DeletedAt     *time.Time
	// VerifiedBy is the expert or employee who verified an answer.
	VerifiedBy *int64
	VerifiedAt *time.Time
	// Official marks an employee's answer as the company's.
	Official bool
	// Held is set while the post waits for a moderator's review.
	Held bool
}

// PostRevision keeps what a post said before an edit.
type PostRevision struct {
	ID        int64
	PostID    int64
	EditorID  int64
	Title     string
	BodyMD    string `gorm:"column:body_md"`
	CreatedAt time.Time
}

// Tag labels questions.
type Tag struct {
	ID            int64
	Name          string
	QuestionCount int
}

// QuestionTag links a question to a tag.
type QuestionTag struct {
	QuestionID int64
	TagID      int64
	CreatedAt  time.Time
}

// Session is a signed-in browser. Only the SHA-256 of its token is stored.
type Session struct {
	TokenHash string `gorm:"primaryKey"`
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// OutboxMessage is work for a background job, written in the same
// transaction as the change that caused it.
type OutboxMessage struct {
	ID        int64
	Kind      string
	Payload   string
	CreatedAt time.Time
	Attempts  int
	LastError string
	SentAt    *time.Time
	DoneAt    *time.Time
}

// TableName maps OutboxMessage to the outbox table.
func (OutboxMessage) TableName() string { return "outbox" }

// UserRole is one granted role.
type UserRole struct {
	UserID    int64
	Role      Role
	CreatedAt time.Time
}
