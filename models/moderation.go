package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Why a post is reported.
const (
	ReportSpam     = "spam"
	ReportAbuse    = "abuse"
	ReportPrivate  = "private_data"
	ReportOffTopic = "off_topic"
	ReportOther    = "other"
)

// ReportReasons lists the reasons in display order.
var ReportReasons = []string{ReportSpam, ReportAbuse, ReportPrivate, ReportOffTopic, ReportOther}

// Report statuses: open until a moderator dismisses it or acts on the post.
const (
	ReportOpen      = "open"
	ReportDismissed = "dismissed"
	ReportActioned  = "actioned"
)

// Moderation actions. Post actions take a post; move, lock, unlock and
// merge act on the post's question.
const (
	ModDismiss = "dismiss"
	ModHide    = "hide"
	ModUnhide  = "unhide"
	ModEdit    = "edit"
	ModMove    = "move"
	ModLock    = "lock"
	ModUnlock  = "unlock"
	ModMerge   = "merge"
	ModWarn    = "warn"
	ModSuspend = "suspend"
	ModBan     = "ban"
)

// ModActions lists every action, in the order the moderation page offers them.
var ModActions = []string{ModDismiss, ModHide, ModUnhide, ModEdit, ModMove, ModLock, ModUnlock, ModMerge, ModWarn, ModSuspend, ModBan}

// QuestionActions are the actions on a question rather than one post.
var QuestionActions = []string{ModMove, ModLock, ModUnlock, ModMerge}

// Limits of moderation input.
const (
	ReportNoteMax  = 1000
	ModReasonMax   = 500
	MaxSuspendDays = 365
	// QueuePageSize is how many reported posts the queue shows at once.
	QueuePageSize = 25
)

// BanUntil is the suspension end that marks a ban: it never comes.
var BanUntil = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// ReasonPostRestored gives back, on unhide, what hiding a post reversed.
const ReasonPostRestored = "post_restored"

// Errors of reporting and moderating.
var (
	ErrLocked          = errors.New("question locked")
	ErrAlreadyReported = errors.New("post already reported by this user")
	ErrOwnPost         = errors.New("one's own post")
)

// Notification kinds of moderation decisions, one per action that changes
// something of the author's (dismissing a report tells the author nothing).
const (
	NotifyModHidden    = "moderation_hidden"
	NotifyModUnhidden  = "moderation_unhidden"
	NotifyModEdited    = "moderation_edited"
	NotifyModMoved     = "moderation_moved"
	NotifyModLocked    = "moderation_locked"
	NotifyModUnlocked  = "moderation_unlocked"
	NotifyModMerged    = "moderation_merged"
	NotifyModWarned    = "moderation_warned"
	NotifyModSuspended = "moderation_suspended"
	NotifyModBanned    = "moderation_banned"
)

var modNotifyKind = map[string]string{
	ModHide: NotifyModHidden, ModUnhide: NotifyModUnhidden, ModEdit: NotifyModEdited, ModMove: NotifyModMoved,
	ModLock: NotifyModLocked, ModUnlock: NotifyModUnlocked, ModMerge: NotifyModMerged, ModWarn: NotifyModWarned,
	ModSuspend: NotifyModSuspended, ModBan: NotifyModBanned,
}

func init() {
	NotificationKinds = append(NotificationKinds, NotifyModHidden, NotifyModUnhidden, NotifyModEdited, NotifyModMoved,
		NotifyModLocked, NotifyModUnlocked, NotifyModMerged, NotifyModWarned, NotifyModSuspended, NotifyModBanned)
}

// Report is one member's report of a post.
type Report struct {
	ID         int64
	PostID     int64
	ReporterID int64
	AuthorID   int64
	Reason     string
	Note       string
	Status     string
	Resolution string
	ResolvedBy *int64
	ResolvedAt *time.Time
	CreatedAt  time.Time
}

// ModerationAction is one moderator's decision.
type ModerationAction struct {
	ID           int64
	Action       string
	ActorID      int64
	TargetUserID *int64
	PostID       *int64
	QuestionID   *int64
	Reason       string
	Detail       string
	CreatedAt    time.Time
}

func validReportReason(r string) bool {
	for _, k := range ReportReasons {
		if k == r {
			return true
		}
	}
	return false
}

// ReportPost files reporter's report of postID. A post the reporter may
// not read (or that is gone) is not found; one's own post is refused
// (ErrOwnPost); a second report of the same post is ErrAlreadyReported.
// Nothing is written on any error.
func ReportPost(ctx context.Context, db *gorm.DB, reporter *User, postID int64, reason, note string) (*Report, error) {
	if reporter == nil {
		return nil, ErrForbidden
	}
	if reporter.Suspended(time.Now()) {
		return nil, ErrSuspended
	}
	v := &ValidationError{}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		v.Add("reason", "error.required", nil)
	} else if !validReportReason(reason) {
		v.Add("reason", "error.invalid", nil)
	}
	note = validateNote(v, "note", note, false, ReportNoteMax)
	var r *Report
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var p Post
		if err := tx.Where("id = ? AND deleted_at IS NULL", postID).First(&p).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		if _, _, err := loadQuestionForWrite(tx, reporter, p.QuestionID); err != nil {
			return err
		}
		if p.AuthorID == reporter.ID {
			return ErrOwnPost
		}
		var n int64
		if err := tx.Model(&Report{}).Where("post_id = ? AND reporter_id = ?", p.ID, reporter.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrAlreadyReported
		}
		if err := v.Err(); err != nil {
			return err
		}
		r = &Report{PostID: p.ID, ReporterID: reporter.ID, AuthorID: p.AuthorID, Reason: reason, Note: note,
			Status: ReportOpen, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
		if err := tx.Create(r).Error; err != nil {
			if isUniqueViolation(err) {
				return ErrAlreadyReported
			}
			return fmt.Errorf("create report: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// ModInput is what a moderator submits with an action.
type ModInput struct {
	Action string
	Reason string
	// Board is the slug of the board a question moves to.
	Board string
	// Target is the question a duplicate merges into.
	Target int64
	// Days is how long a suspension lasts.
	Days int
	// Edit is the new text of an edited post.
	Edit EditInput
}

// reasonRequired says which actions need a reason: every one that takes
// something away or changes someone's words.
func reasonRequired(action string) bool {
	switch action {
	case ModDismiss, ModUnhide, ModUnlock:
		return false
	}
	return true
}

func validModAction(a string) bool {
	for _, k := range ModActions {
		if k == a {
			return true
		}
	}
	return false
}

// IsQuestionAction reports whether action a acts on a whole question.
func IsQuestionAction(a string) bool {
	for _, k := range QuestionActions {
		if k == a {
			return true
		}
	}
	return false
}

// CanModerateAuthor reports whether actor may act on a post by author:
// moderators act on everyone but the staff who oversee them, the rule of
// CanSuspend; one's own post may be moderated but not oneself warned,
// suspended or banned.
func CanModerateAuthor(actor, author *User, action string) bool {
	if !actor.CanModerate() || author == nil {
		return false
	}
	if actor.ID == author.ID {
		return action != ModWarn && action != ModSuspend && action != ModBan
	}
	return CanSuspend(actor, author)
}

// lockPostRow takes the row lock of a post so two moderators acting on it
// at once act one after the other, the second seeing the first's result.
// SQLite transactions are already serialised.
func lockPostRow(tx *gorm.DB, postID int64) error {
	if DialectOf(tx) != Postgres {
		return nil
	}
	var got []int64
	return tx.Raw("SELECT id FROM posts WHERE id = ? FOR UPDATE", postID).Scan(&got).Error
}

// lockQuestionRows locks questions in id order (a merge touches two).
func lockQuestionRows(tx *gorm.DB, ids ...int64) error {
	if DialectOf(tx) != Postgres {
		return nil
	}
	var got []int64
	return tx.Raw("SELECT id FROM questions WHERE id IN ? ORDER BY id FOR UPDATE", ids).Scan(&got).Error
}

// QuestionPostID returns the id of the body post of a question, live or
// not (a hidden question is still moderated through its post).
func QuestionPostID(ctx context.Context, db *gorm.DB, questionID int64) (int64, error) {
	var ids []int64
	if err := db.WithContext(ctx).Model(&Post{}).Where("question_id = ? AND kind = ?", questionID, KindQuestion).
		Limit(1).Pluck("id", &ids).Error; err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, ErrNotFound
	}
	return ids[0], nil
}

// Moderate applies one moderation action to postID (or its question) in
// one transaction: the change itself, the closing of the post's open
// reports, a moderation_actions row, an audit entry with the reason and a
// notification to the author. A repeated action that has nothing left to
// do (hiding a hidden post, dismissing with nothing open) is ErrConflict
// and writes nothing.
func Moderate(ctx context.Context, db *gorm.DB, actor *User, postID int64, in ModInput) error {
	if actor == nil || !actor.CanModerate() {
		return ErrForbidden
	}
	if !validModAction(in.Action) {
		return ErrNotFound
	}
	v := &ValidationError{}
	in.Reason = validateNote(v, "reason", in.Reason, reasonRequired(in.Action), ModReasonMax)
	switch in.Action {
	case ModMove:
		if strings.TrimSpace(in.Board) == "" {
			v.Add("board", "error.required", nil)
		}
	case ModMerge:
		if in.Target <= 0 {
			v.Add("target", "moderation.error.target", nil)
		}
	case ModSuspend:
		if in.Days < 1 || in.Days > MaxSuspendDays {
			v.Add("days", "moderation.error.days", map[string]any{"Max": MaxSuspendDays})
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockPostRow(tx, postID); err != nil {
			return fmt.Errorf("lock post: %w", err)
		}
		var p Post
		if err := tx.First(&p, postID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		if IsQuestionAction(in.Action) && p.Kind != KindQuestion {
			return ErrNotFound
		}
		var q Question
		if err := tx.First(&q, p.QuestionID).Error; err != nil {
			return err
		}
		author, err := UserByID(ctx, tx, p.AuthorID)
		if err != nil {
			return err
		}
		if !CanModerateAuthor(actor, author, in.Action) {
			return ErrForbidden
		}
		m := &modRun{tx: tx, actor: actor, post: &p, q: &q, author: author, in: in}
		if err := m.apply(); err != nil {
			return err
		}
		return m.record()
	})
}

// modRun is one action being applied.
type modRun struct {
	tx     *gorm.DB
	actor  *User
	post   *Post
	q      *Question
	author *User
	in     ModInput
	detail string
	// notifyQuestion is the question the notification is tied to (nil:
	// none, for a question that is gone or a decision about the person).
	notifyQuestion *int64
	target         *Question
}

func (m *modRun) apply() error {
	tx, p, q := m.tx, m.post, m.q
	now := time.Now().UTC().Truncate(time.Microsecond)
	m.notifyQuestion = &q.ID
	live := p.DeletedAt == nil && q.DeletedAt == nil
	switch m.in.Action {
	case ModDismiss:
		res := tx.Model(&Report{}).Where("post_id = ? AND status = ?", p.ID, ReportOpen).
			Updates(map[string]any{"status": ReportDismissed, "resolution": ModDismiss, "resolved_by": m.actor.ID, "resolved_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrConflict
		}
		m.detail = fmt.Sprintf("%d reports", res.RowsAffected)
		return nil
	case ModHide:
		if !live {
			return ErrConflict
		}
		if p.Kind == KindQuestion {
			m.notifyQuestion = nil // the question is gone for everyone
		}
		return deletePostTx(tx, m.actor, p)
	case ModUnhide:
		return m.unhide(now)
	case ModEdit:
		if !live {
			return ErrConflict
		}
		return editPostTx(tx, m.actor, p.ID, m.in.Edit)
	case ModMove:
		return m.move()
	case ModLock, ModUnlock:
		if q.DeletedAt != nil {
			return ErrConflict
		}
		lock := m.in.Action == ModLock
		if (q.LockedAt != nil) == lock {
			return ErrConflict
		}
		var at any
		if lock {
			at = now
		}
		return tx.Model(&Question{}).Where("id = ?", q.ID).Update("locked_at", at).Error
	case ModMerge:
		return m.merge(now)
	case ModWarn:
		m.notifyQuestion = nil
		if q.DeletedAt == nil {
			m.notifyQuestion = &q.ID
		}
		return nil
	case ModSuspend, ModBan:
		m.notifyQuestion = nil
		until := BanUntil
		if m.in.Action == ModSuspend {
			until = now.Add(time.Duration(m.in.Days) * 24 * time.Hour)
			m.detail = fmt.Sprintf("%d days, until %s", m.in.Days, until.Format(time.RFC3339))
		}
		return suspendTx(tx, m.actor, m.author.ID, until, m.in.Reason)
	}
	return ErrNotFound
}

// record closes the post's open reports and writes the action, the audit
// entry and the author's notification.
func (m *modRun) record() error {
	tx, now := m.tx, time.Now().UTC().Truncate(time.Microsecond)
	if m.in.Action != ModDismiss {
		res := tx.Model(&Report{}).Where("post_id = ? AND status = ?", m.post.ID, ReportOpen).
			Updates(map[string]any{"status": ReportActioned, "resolution": m.in.Action, "resolved_by": m.actor.ID, "resolved_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected > 0 {
			m.detail = strings.TrimSpace(m.detail + fmt.Sprintf(" (%d reports closed)", res.RowsAffected))
		}
	}
	a := ModerationAction{Action: m.in.Action, ActorID: m.actor.ID, TargetUserID: &m.author.ID, PostID: &m.post.ID,
		QuestionID: &m.q.ID, Reason: m.in.Reason, Detail: trimTo(m.detail, 1000), CreatedAt: now}
	if err := tx.Create(&a).Error; err != nil {
		return fmt.Errorf("record moderation action: %w", err)
	}
	detail := fmt.Sprintf("post %d (question %d)", m.post.ID, m.q.ID)
	if m.detail != "" {
		detail += " " + m.detail
	}
	if m.in.Reason != "" {
		detail += ": " + m.in.Reason
	}
	if err := Audit(tx, &m.actor.ID, "moderation."+m.in.Action, &m.author.ID, detail); err != nil {
		return err
	}
	kind, ok := modNotifyKind[m.in.Action]
	if !ok || m.author.ID == m.actor.ID {
		return nil
	}
	n := Notification{UserID: m.author.ID, Kind: kind, QuestionID: m.notifyQuestion, ActorID: nil,
		Detail: m.in.Reason, DedupKey: "moderation:" + strconv.FormatInt(a.ID, 10), CreatedAt: now}
	if m.notifyQuestion != nil {
		n.URL = "/q/" + strconv.FormatInt(*m.notifyQuestion, 10)
	}
	_, err := Notify(tx, n)
	return err
}

// unhide brings back a post a moderator hid: the post (and, for a question
// post, its question) is live again, counted and searchable, and what
// hiding reversed in the ledger is given back, except an acceptance (the
// asker may accept again).
func (m *modRun) unhide(now time.Time) error {
	tx, p, q := m.tx, m.post, m.q
	if p.DeletedAt == nil {
		return ErrConflict
	}
	var last []string
	if err := tx.Model(&ModerationAction{}).Where("post_id = ? AND action IN ?", p.ID, []string{ModHide, ModUnhide}).
		Order("id DESC").Limit(1).Pluck("action", &last).Error; err != nil {
		return err
	}
	if len(last) == 0 || last[0] != ModHide {
		return ErrConflict // deleted by its author, not hidden: not ours to bring back
	}
	if p.Kind == KindQuestion {
		if q.MergedIntoID != nil {
			return ErrConflict
		}
		if err := tx.Model(&Question{}).Where("id = ?", q.ID).Update("deleted_at", nil).Error; err != nil {
			return err
		}
		if counted(q) {
			if err := tx.Model(&Board{}).Where("id = ?", q.BoardID).
				UpdateColumn("question_count", gorm.Expr("question_count + 1")).Error; err != nil {
				return err
			}
		}
		tags, err := TagIDsOfQuestion(tx.Statement.Context, tx, q.ID)
		if err != nil {
			return err
		}
		if err := RecountTags(tx.Statement.Context, tx, tags); err != nil {
			return err
		}
	} else {
		if q.DeletedAt != nil {
			return ErrConflict
		}
		if err := tx.Model(&Question{}).Where("id = ?", q.ID).
			UpdateColumn("answer_count", gorm.Expr("answer_count + 1")).Error; err != nil {
			return err
		}
	}
	if err := tx.Model(&Post{}).Where("id = ?", p.ID).Update("deleted_at", nil).Error; err != nil {
		return err
	}
	title := ""
	if p.Kind == KindQuestion {
		title = q.Title
	}
	if err := indexPost(tx, p.ID, title, p.BodyMD); err != nil {
		return err
	}
	return restorePostPoints(tx, p.ID, &m.actor.ID)
}

// restoreKeyPrefix starts the award keys of the points an unhide of
// postID gave back; deleting the post again reverses them.
func restoreKeyPrefix(postID int64) string { return fmt.Sprintf("restore:%d:", postID) }

// restorePostPoints gives back every ledger reversal a deletion of postID
// made (rows with reason post_deleted about the post), but acceptances,
// one restore row per reversal (keyed on it, so twice gives back once).
func restorePostPoints(tx *gorm.DB, postID int64, actorID *int64) error {
	var undos []PointEvent
	if err := tx.Where("subject_type = ? AND subject_id = ? AND reason = ? AND reverses_id IS NOT NULL AND award_key NOT LIKE ?",
		SubjectPost, postID, ReasonPostDeleted, "accept:%").Order("id").Find(&undos).Error; err != nil {
		return fmt.Errorf("reversals of post %d: %w", postID, err)
	}
	for _, u := range undos {
		if u.Points == 0 {
			continue
		}
		if _, _, err := Award(tx, PointEvent{UserID: u.UserID, Points: -u.Points, Reason: ReasonPostRestored, SubjectType: SubjectPost,
			SubjectID: postID, BoardID: u.BoardID, ActorID: actorID, AwardKey: restoreKeyPrefix(postID) + strconv.FormatInt(u.ID, 10)}); err != nil {
			return err
		}
	}
	return nil
}

// move puts the question on another board; its points stay where they
// were earned (the ledger is history).
func (m *modRun) move() error {
	tx, q := m.tx, m.q
	if q.DeletedAt != nil {
		return ErrConflict
	}
	var b Board
	if err := tx.Where("slug = ?", strings.TrimSpace(m.in.Board)).First(&b).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			v := &ValidationError{}
			v.Add("board", "error.board_unknown", nil)
			return v
		}
		return err
	}
	if b.ID == q.BoardID {
		v := &ValidationError{}
		v.Add("board", "moderation.error.same_board", nil)
		return v
	}
	var from Board
	if err := tx.First(&from, q.BoardID).Error; err != nil {
		return err
	}
	if err := tx.Model(&Question{}).Where("id = ?", q.ID).Update("board_id", b.ID).Error; err != nil {
		return err
	}
	if counted(q) {
		if err := tx.Model(&Board{}).Where("id = ?", from.ID).UpdateColumn("question_count", gorm.Expr("question_count - 1")).Error; err != nil {
			return err
		}
		if err := tx.Model(&Board{}).Where("id = ?", b.ID).UpdateColumn("question_count", gorm.Expr("question_count + 1")).Error; err != nil {
			return err
		}
	}
	m.detail = fmt.Sprintf("%s → %s", from.Slug, b.Slug)
	return nil
}

// merge folds the duplicate question m.q into m.in.Target: every answer
// moves with its kudos and points (they are about the answer, not the
// question), the duplicate's tags join the target's, the duplicate is
// deleted with a pointer to the target, and counters follow. The
// duplicate's solution stays the solution when the target has none (its
// acceptance is re-keyed to the target in the ledger); otherwise it is
// un-accepted through the ledger.
func (m *modRun) merge(now time.Time) error {
	tx, d := m.tx, m.q
	if d.DeletedAt != nil || m.post.DeletedAt != nil {
		return ErrConflict
	}
	if m.in.Target == d.ID {
		v := &ValidationError{}
		v.Add("target", "moderation.error.target_self", nil)
		return v
	}
	if err := lockQuestionRows(tx, min(d.ID, m.in.Target), max(d.ID, m.in.Target)); err != nil {
		return fmt.Errorf("lock questions: %w", err)
	}
	var t Question
	if err := tx.Where("id = ? AND deleted_at IS NULL", m.in.Target).First(&t).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			v := &ValidationError{}
			v.Add("target", "moderation.error.target", nil)
			return v
		}
		return err
	}
	m.target = &t
	var answers []Post
	if err := tx.Where("question_id = ? AND kind = ?", d.ID, KindAnswer).Find(&answers).Error; err != nil {
		return err
	}
	liveAnswers := 0
	lastActivity := t.LastActivityAt
	for _, a := range answers {
		if a.DeletedAt == nil {
			liveAnswers++
		}
	}
	if d.LastActivityAt.After(lastActivity) {
		lastActivity = d.LastActivityAt
	}
	if err := tx.Model(&Post{}).Where("question_id = ? AND kind = ?", d.ID, KindAnswer).Update("question_id", t.ID).Error; err != nil {
		return err
	}
	// The solution: un-accept it on the duplicate, and accept it on the
	// target when the target has none.
	if d.AcceptedAnswerID != nil {
		if err := reverseAccept(tx, d, &m.actor.ID); err != nil {
			return err
		}
		if t.AcceptedAnswerID == nil {
			var sol Post
			if err := tx.First(&sol, *d.AcceptedAnswerID).Error; err != nil {
				return err
			}
			sol.QuestionID = t.ID
			if err := awardAccept(tx, &t, &sol, m.actor); err != nil {
				return err
			}
			if err := tx.Model(&Question{}).Where("id = ?", t.ID).Update("accepted_answer_id", sol.ID).Error; err != nil {
				return err
			}
		}
	}
	if err := tx.Model(&Question{}).Where("id = ?", t.ID).Updates(map[string]any{
		"answer_count": gorm.Expr("answer_count + ?", liveAnswers), "last_activity_at": lastActivity,
	}).Error; err != nil {
		return err
	}
	// Tags: the target keeps its own and takes the duplicate's, up to the limit.
	dTags, err := TagIDsOfQuestion(tx.Statement.Context, tx, d.ID)
	if err != nil {
		return err
	}
	tTags, err := TagIDsOfQuestion(tx.Statement.Context, tx, t.ID)
	if err != nil {
		return err
	}
	have := map[int64]bool{}
	for _, id := range tTags {
		have[id] = true
	}
	all := append([]int64{}, tTags...)
	for _, id := range dTags {
		if !have[id] && len(all) < MaxTags {
			have[id] = true
			all = append(all, id)
			if err := tx.Create(&QuestionTag{QuestionID: t.ID, TagID: id, CreatedAt: t.CreatedAt}).Error; err != nil {
				return err
			}
		}
	}
	// The duplicate becomes a pointer: deleted, with its target.
	if err := tx.Model(&Question{}).Where("id = ?", d.ID).Updates(map[string]any{
		"deleted_at": now, "merged_into_id": t.ID, "answer_count": 0, "accepted_answer_id": nil,
	}).Error; err != nil {
		return err
	}
	if counted(d) {
		if err := tx.Model(&Board{}).Where("id = ?", d.BoardID).
			UpdateColumn("question_count", gorm.Expr("question_count - 1")).Error; err != nil {
			return err
		}
	}
	if err := unindexPost(tx, m.post.ID); err != nil {
		return err
	}
	if err := tx.Model(&QuestionRoute{}).Where("question_id = ? AND closed_at IS NULL", d.ID).
		Updates(map[string]any{"closed_at": now, "close_reason": RouteClosedAnswered}).Error; err != nil {
		return err
	}
	if err := RecountTags(tx.Statement.Context, tx, append(all, dTags...)); err != nil {
		return err
	}
	m.detail = fmt.Sprintf("into question %d, %d answers moved", t.ID, liveAnswers)
	m.notifyQuestion = &t.ID
	return Enqueue(tx, TaskQuestionDeleted, QuestionEvent{QuestionID: d.ID, PostID: m.post.ID, ActorID: m.actor.ID})
}

// MergedTarget returns the question a merged duplicate points to, when
// viewer may read it (0 otherwise, so the pointer reveals nothing).
func MergedTarget(ctx context.Context, db *gorm.DB, viewer *User, questionID int64) (int64, error) {
	db = db.WithContext(ctx)
	var rows []struct {
		MergedIntoID *int64
	}
	if err := db.Table("questions").Select("merged_into_id").Where("id = ?", questionID).Limit(1).Scan(&rows).Error; err != nil {
		return 0, err
	}
	if len(rows) == 0 || rows[0].MergedIntoID == nil {
		return 0, nil
	}
	target := *rows[0].MergedIntoID
	if _, err := LoadQuestionHead(ctx, db, viewer, target); err != nil {
		if errors.Is(err, ErrNotFound) {
			return 0, nil
		}
		return 0, err
	}
	return target, nil
}

// LoadQuestionHead returns a live question viewer may read, without its posts.
func LoadQuestionHead(ctx context.Context, db *gorm.DB, viewer *User, id int64) (*Question, error) {
	var q Question
	if err := db.WithContext(ctx).Where("id = ? AND deleted_at IS NULL", id).First(&q).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	var b Board
	if err := db.WithContext(ctx).First(&b, q.BoardID).Error; err != nil {
		return nil, err
	}
	if ok, err := CanSeeBoard(ctx, db, viewer, &b); err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return nil, ErrNotFound
	}
	return &q, nil
}

// counted reports whether q is in its board's question count: private and
// held questions are not (models/safety_scope.go).
func counted(q *Question) bool { return !q.Private && !q.Held }
