package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Limits on what a post may hold.
const (
	TitleMin   = 5
	TitleMax   = 200
	BodyMax    = 30000
	AnswerMin  = 2
	MaxTags    = 5
	TagNameMax = 40
)

var tagPattern = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{M}\p{N}._+#-]*$`)

// ParseTags splits a comma- or space-separated tag list into distinct,
// lower-cased names.
func ParseTags(s string) []string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	seen := map[string]bool{}
	var out []string
	for _, f := range fields {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" || seen[f] {
			continue
		}
		seen[f] = true
		out = append(out, f)
	}
	return out
}

// AskInput is a new question.
type AskInput struct {
	Board string // the board's slug
	Title string
	Body  string
	Tags  []string
	// ExternalID and CreatedAt are set by imports; zero for web posts.
	ExternalID string
	CreatedAt  time.Time
	// Lang is the language the question is in, when an import knows it;
	// otherwise it is detected from the title and body.
	Lang string
	// Screen is what the web asks of a post (imports and seeds skip it).
	Screen Screening
}

// postStamp returns when a new post was written (now, unless an import
// gives its original time) and its external id (nil for web posts).
func postStamp(createdAt time.Time, externalID string) (time.Time, *string) {
	if createdAt.IsZero() {
		createdAt = time.Now()
	}
	var ext *string
	if externalID != "" {
		ext = &externalID
	}
	return createdAt.UTC().Truncate(time.Microsecond), ext
}

// cleanText drops NUL characters: they mean nothing in text, and
// PostgreSQL cannot store them.
func cleanText(s string) string { return strings.ReplaceAll(s, "\x00", "") }

func validateTitle(v *ValidationError, title string) string {
	title = strings.TrimSpace(cleanText(title))
	n := utf8.RuneCountInString(title)
	switch {
	case !utf8.ValidString(title):
		// PostgreSQL refuses such text; SQLite would store garbage.
		v.Add("title", "error.invalid", nil)
	case n == 0:
		v.Add("title", "error.required", nil)
	case n < TitleMin:
		v.Add("title", "error.too_short", map[string]any{"Min": TitleMin})
	case n > TitleMax:
		v.Add("title", "error.too_long", map[string]any{"Max": TitleMax})
	}
	return title
}

func validateBody(v *ValidationError, body string, min int) string {
	body = strings.TrimSpace(strings.ReplaceAll(cleanText(body), "\r\n", "\n"))
	n := utf8.RuneCountInString(body)
	switch {
	case !utf8.ValidString(body):
		v.Add("body", "error.invalid", nil)
	case n == 0:
		v.Add("body", "error.required", nil)
	case n < min:
		v.Add("body", "error.too_short", map[string]any{"Min": min})
	case n > BodyMax:
		v.Add("body", "error.too_long", map[string]any{"Max": BodyMax})
	}
	return body
}

func validateTags(v *ValidationError, tags []string) {
	if len(tags) > MaxTags {
		v.Add("tags", "error.too_many_tags", map[string]any{"Max": MaxTags})
		return
	}
	for _, t := range tags {
		if utf8.RuneCountInString(t) > TagNameMax || !tagPattern.MatchString(t) {
			v.Add("tags", "error.tag_invalid", map[string]any{"Tag": t})
			return
		}
	}
}

// Ask creates a question with its body post, tags, search entry and outbox
// message in one transaction.
func Ask(ctx context.Context, db *gorm.DB, author *User, in AskInput) (*Question, error) {
	if author.Suspended(time.Now()) {
		return nil, ErrSuspended
	}
	v := &ValidationError{}
	title := validateTitle(v, in.Title)
	body := validateBody(v, in.Body, 1)
	validateTags(v, in.Tags)
	var b Board
	if in.Board == "" {
		v.Add("board", "error.required", nil)
	} else if !validSlug(in.Board) {
		v.Add("board", "error.board_unknown", nil)
	} else if err := db.WithContext(ctx).Where("slug = ?", in.Board).First(&b).Error; errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && !canSeeBoardOrFalse(ctx, db, author, &b)) {
		// A board the author may not see is reported like a missing one.
		v.Add("board", "error.board_unknown", nil)
	} else if err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := in.Screen.privateData(title + "\n" + body); err != nil {
		return nil, err
	}
	html, err := RenderMarkdown(body)
	if err != nil {
		return nil, err
	}
	now, ext := postStamp(in.CreatedAt, in.ExternalID)
	lang := in.Lang
	if lang == "" {
		lang = DetectLanguage(title + "\n" + body)
	}
	q := &Question{BoardID: b.ID, AuthorID: author.ID, Title: title, ExternalID: ext, Lang: lang,
		CreatedAt: now, UpdatedAt: now, LastActivityAt: now, Private: in.Screen.Private}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		held, err := in.Screen.newAccount(tx, author, KindQuestion, html, now)
		if err != nil {
			return err
		}
		q.Held = held
		if err := tx.Create(q).Error; err != nil {
			return fmt.Errorf("create question: %w", err)
		}
		p := &Post{QuestionID: q.ID, AuthorID: author.ID, Kind: KindQuestion, BodyMD: body, BodyHTML: html,
			ExternalID: ext, CreatedAt: now, UpdatedAt: now, Held: held}
		if err := tx.Create(p).Error; err != nil {
			return fmt.Errorf("create question post: %w", err)
		}
		if err := setQuestionTags(tx, q.ID, in.Tags, now); err != nil {
			return err
		}
		if held {
			return nil // published when a moderator approves it (ApproveHeld)
		}
		return publishQuestion(tx, q, p, title, body)
	})
	if err != nil {
		return nil, err
	}
	return q, nil
}

// publishQuestion does what makes a written question public: the board's
// count (private threads stay out of it), search, points and the jobs.
func publishQuestion(tx *gorm.DB, q *Question, p *Post, title, body string) error {
	if !q.Private {
		if err := tx.Model(&Board{}).Where("id = ?", q.BoardID).
			UpdateColumn("question_count", gorm.Expr("question_count + 1")).Error; err != nil {
			return err
		}
	}
	if err := indexPost(tx, p.ID, title, body); err != nil {
		return err
	}
	if err := awardPost(tx, p, ReasonQuestionPosted, q.BoardID); err != nil {
		return err
	}
	if err := follow(tx, q.AuthorID, FollowQuestion, q.ID); err != nil {
		return err
	}
	return Enqueue(tx, TaskQuestionCreated, QuestionEvent{QuestionID: q.ID, PostID: p.ID, ActorID: q.AuthorID})
}

// QuestionEvent is the outbox payload for question and answer events.
type QuestionEvent struct {
	QuestionID int64 `json:"question_id"`
	PostID     int64 `json:"post_id"`
	ActorID    int64 `json:"actor_id"`
}

// Enqueue writes an outbox message inside tx.
func Enqueue(tx *gorm.DB, kind string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	return tx.Create(&OutboxMessage{Kind: kind, Payload: string(b), CreatedAt: time.Now().UTC()}).Error
}

// setQuestionTags replaces the tags of a question.
func setQuestionTags(tx *gorm.DB, questionID int64, names []string, now time.Time) error {
	if err := tx.Where("question_id = ?", questionID).Delete(&QuestionTag{}).Error; err != nil {
		return err
	}
	if len(names) == 0 {
		return nil
	}
	tags := make([]Tag, len(names))
	for i, n := range names {
		tags[i] = Tag{Name: n}
	}
	if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}}, DoNothing: true}).
		Create(&tags).Error; err != nil {
		return fmt.Errorf("create tags: %w", err)
	}
	var ids []int64
	if err := tx.Model(&Tag{}).Where("name IN ?", names).Pluck("id", &ids).Error; err != nil {
		return err
	}
	links := make([]QuestionTag, len(ids))
	for i, id := range ids {
		links[i] = QuestionTag{QuestionID: questionID, TagID: id, CreatedAt: now}
	}
	return tx.Create(&links).Error
}

// loadQuestionForWrite locks nothing but checks the question exists, is
// live and sits on a board the user may see.
func loadQuestionForWrite(tx *gorm.DB, u *User, questionID int64) (*Question, *Board, error) {
	var q Question
	if err := tx.Where("id = ? AND deleted_at IS NULL", questionID).First(&q).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil, ErrNotFound
		}
		return nil, nil, err
	}
	var b Board
	if err := tx.First(&b, q.BoardID).Error; err != nil {
		return nil, nil, err
	}
	ctx := tx.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if ok, err := CanSeeBoard(ctx, tx, u, &b); err != nil || !ok || !CanReadThread(u, &q) {
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, ErrNotFound
	}
	return &q, &b, nil
}

// AnswerInput is a new answer; ExternalID and CreatedAt are for imports.
type AnswerInput struct {
	Body string
	// Official marks the answer as the company's; only employees with the
	// official permission may.
	Official   bool
	ExternalID string
	CreatedAt  time.Time
	// Screen is what the web asks of a post (imports and seeds skip it).
	Screen Screening
}

// Answer adds an answer to a question.
func Answer(ctx context.Context, db *gorm.DB, author *User, questionID int64, in AnswerInput) (*Post, error) {
	if author.Suspended(time.Now()) {
		return nil, ErrSuspended
	}
	if in.Official && !author.CanSpeakOfficially() {
		return nil, ErrForbidden
	}
	v := &ValidationError{}
	body := validateBody(v, in.Body, AnswerMin)
	if err := v.Err(); err != nil {
		return nil, err
	}
	in.Screen.Private = false // an answer cannot make the thread private
	if err := in.Screen.privateData(body); err != nil {
		return nil, err
	}
	html, err := RenderMarkdown(body)
	if err != nil {
		return nil, err
	}
	now, ext := postStamp(in.CreatedAt, in.ExternalID)
	var p *Post
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q, b, err := loadQuestionForWrite(tx, author, questionID)
		if err != nil {
			return err
		}
		if q.Held {
			return ErrForbidden // nobody answers a question before it is approved
		}
		if q.LockedAt != nil {
			return ErrLocked
		}
		held, err := in.Screen.newAccount(tx, author, KindAnswer, html, now)
		if err != nil {
			return err
		}
		p = &Post{QuestionID: q.ID, AuthorID: author.ID, Kind: KindAnswer, BodyMD: body, BodyHTML: html,
			ExternalID: ext, CreatedAt: now, UpdatedAt: now, Official: in.Official, Held: held}
		if err := tx.Create(p).Error; err != nil {
			return fmt.Errorf("create answer: %w", err)
		}
		if held {
			return nil // published when a moderator approves it (ApproveHeld)
		}
		return publishAnswer(tx, q, b, p, body, now)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// publishAnswer does what makes a written answer public: the question's
// count and activity, search, routing, points and the jobs.
func publishAnswer(tx *gorm.DB, q *Question, b *Board, p *Post, body string, now time.Time) error {
	if err := countAnswer(tx, q.ID, p.ID, body, now); err != nil {
		return err
	}
	if err := awardPost(tx, p, ReasonAnswerPosted, b.ID); err != nil {
		return err
	}
	if err := postWritten(tx, q, p); err != nil {
		return err
	}
	return Enqueue(tx, TaskBadgeCheck, BadgeCheckEvent{UserID: p.AuthorID})
}

// countAnswer makes a new answer part of its question: the answer count
// and last activity, the search index, and the expert routes it ends.
func countAnswer(tx *gorm.DB, questionID, postID int64, body string, now time.Time) error {
	if err := tx.Model(&Question{}).Where("id = ?", questionID).Updates(map[string]any{
		"answer_count":     gorm.Expr("answer_count + 1"),
		"last_activity_at": now,
	}).Error; err != nil {
		return err
	}
	if err := indexPost(tx, postID, "", body); err != nil {
		return err
	}
	// The question has its answer: experts it was routed to are free.
	return tx.Model(&QuestionRoute{}).Where("question_id = ? AND closed_at IS NULL", questionID).
		Updates(map[string]any{"closed_at": now, "close_reason": RouteClosedAnswered}).Error
}

// awardPost gives a post's author the points for writing it.
func awardPost(tx *gorm.DB, p *Post, reason string, boardID int64) error {
	_, _, err := Award(tx, PointEvent{UserID: p.AuthorID, Reason: reason, SubjectType: SubjectPost, SubjectID: p.ID,
		BoardID: &boardID, AwardKey: PostAwardKey(p.ID), CreatedAt: p.CreatedAt})
	return err
}

// PostByID returns a live post.
func PostByID(ctx context.Context, db *gorm.DB, id int64) (*Post, error) {
	var p Post
	err := db.WithContext(ctx).Where("id = ? AND deleted_at IS NULL", id).First(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &p, err
}

// CanEdit reports whether u may edit or delete post p.
func CanEdit(u *User, p *Post) bool {
	return u != nil && (u.ID == p.AuthorID || u.CanModerate())
}

// EditInput is an edit of a post. Title and Tags apply to question posts only.
type EditInput struct {
	Title string
	Body  string
	Tags  []string
}

// EditPost changes a post and keeps its previous text as a revision.
func EditPost(ctx context.Context, db *gorm.DB, editor *User, postID int64, in EditInput) error {
	if editor.Suspended(time.Now()) {
		return ErrSuspended
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return editPostTx(tx, editor, postID, in)
	})
}

// editPostTx is EditPost inside tx (a moderator's edit shares it).
func editPostTx(tx *gorm.DB, editor *User, postID int64, in EditInput) error {
	var p Post
	if err := tx.Where("id = ? AND deleted_at IS NULL", postID).First(&p).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		return err
	}
	q, _, err := loadQuestionForWrite(tx, editor, p.QuestionID)
	if err != nil {
		return err
	}
	if !CanEdit(editor, &p) {
		return ErrForbidden
	}
	if q.LockedAt != nil && !editor.CanModerate() {
		return ErrLocked
	}
	v := &ValidationError{}
	min := 1
	if p.Kind == KindAnswer {
		min = AnswerMin
	}
	body := validateBody(v, in.Body, min)
	title := q.Title
	if p.Kind == KindQuestion {
		title = validateTitle(v, in.Title)
		validateTags(v, in.Tags)
	}
	if err := v.Err(); err != nil {
		return err
	}
	html, err := RenderMarkdown(body)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	rev := PostRevision{PostID: p.ID, EditorID: editor.ID, BodyMD: p.BodyMD, CreatedAt: now}
	if p.Kind == KindQuestion {
		rev.Title = q.Title
	}
	if err := tx.Create(&rev).Error; err != nil {
		return err
	}
	if err := tx.Model(&Post{}).Where("id = ?", p.ID).Updates(map[string]any{
		"body_md": body, "body_html": html, "edited_at": now, "updated_at": now,
		"revision_count": gorm.Expr("revision_count + 1"),
	}).Error; err != nil {
		return err
	}
	if p.Kind == KindQuestion {
		if err := tx.Model(&Question{}).Where("id = ?", q.ID).Updates(map[string]any{"title": title, "updated_at": now}).Error; err != nil {
			return err
		}
		if err := setQuestionTags(tx, q.ID, in.Tags, q.CreatedAt); err != nil {
			return err
		}
	}
	if p.Held {
		return nil // indexed when approved
	}
	if p.Kind == KindQuestion {
		return indexPost(tx, p.ID, title, body)
	}
	return indexPost(tx, p.ID, "", body)
}

// Revisions lists the earlier versions of a post, newest first.
func Revisions(ctx context.Context, db *gorm.DB, postID int64) ([]PostRevision, error) {
	var rs []PostRevision
	err := db.WithContext(ctx).Where("post_id = ?", postID).Order("id DESC").Find(&rs).Error
	return rs, err
}

// DeletePost soft-deletes a post. Deleting the question post deletes the
// question; deleting the accepted answer un-accepts it.
func DeletePost(ctx context.Context, db *gorm.DB, actor *User, postID int64) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var p Post
		if err := tx.Where("id = ? AND deleted_at IS NULL", postID).First(&p).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		return deletePostTx(tx, actor, &p)
	})
}

// deletePostTx is DeletePost of the live post p inside tx (hiding a post
// by a moderator shares it, so counters and points follow the same path).
func deletePostTx(tx *gorm.DB, actor *User, p *Post) error {
	q, _, err := loadQuestionForWrite(tx, actor, p.QuestionID)
	if err != nil {
		return err
	}
	if !CanEdit(actor, p) {
		return ErrForbidden
	}
	now := time.Now().UTC()
	if err := tx.Model(&Post{}).Where("id = ?", p.ID).Update("deleted_at", now).Error; err != nil {
		return err
	}
	if err := reversePostPoints(tx, q, p, &actor.ID); err != nil {
		return err
	}
	if err := unindexPost(tx, p.ID); err != nil {
		return err
	}
	if p.Kind == KindQuestion {
		if err := tx.Model(&Question{}).Where("id = ?", q.ID).Update("deleted_at", now).Error; err != nil {
			return err
		}
		// Private and held questions are not in the board's count.
		if !q.Private && !q.Held {
			if err := tx.Model(&Board{}).Where("id = ?", q.BoardID).
				UpdateColumn("question_count", gorm.Expr("question_count - 1")).Error; err != nil {
				return err
			}
		}
		return Enqueue(tx, TaskQuestionDeleted, QuestionEvent{QuestionID: q.ID, PostID: p.ID, ActorID: actor.ID})
	}
	if p.Held {
		return nil // a held answer was never counted
	}
	upd := map[string]any{"answer_count": gorm.Expr("answer_count - 1")}
	if q.AcceptedAnswerID != nil && *q.AcceptedAnswerID == p.ID {
		upd["accepted_answer_id"] = nil
	}
	return tx.Model(&Question{}).Where("id = ?", q.ID).Updates(upd).Error
}

// CanAccept reports whether u may mark the solution of q.
func CanAccept(u *User, q *Question) bool {
	return u != nil && (u.ID == q.AuthorID || u.CanModerate())
}

// Accept marks answerID as the solution of questionID; answerID 0 un-accepts.
func Accept(ctx context.Context, db *gorm.DB, actor *User, questionID, answerID int64) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q, _, err := loadQuestionForWrite(tx, actor, questionID)
		if err != nil {
			return err
		}
		if !CanAccept(actor, q) {
			return ErrForbidden
		}
		if answerID == 0 {
			if err := reverseAccept(tx, q, &actor.ID); err != nil {
				return err
			}
			return tx.Model(&Question{}).Where("id = ?", q.ID).Update("accepted_answer_id", nil).Error
		}
		var p Post
		err = tx.Where("id = ? AND question_id = ? AND kind = ? AND deleted_at IS NULL", answerID, q.ID, KindAnswer).First(&p).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if q.AcceptedAnswerID != nil && *q.AcceptedAnswerID == p.ID {
			return nil // already the solution: no second award
		}
		if err := reverseAccept(tx, q, &actor.ID); err != nil {
			return err
		}
		if err := awardAccept(tx, q, &p, actor); err != nil {
			return err
		}
		if err := Enqueue(tx, TaskNotifyAccepted, QuestionEvent{QuestionID: q.ID, PostID: p.ID, ActorID: actor.ID}); err != nil {
			return err
		}
		return tx.Model(&Question{}).Where("id = ?", q.ID).Update("accepted_answer_id", p.ID).Error
	})
}

// acceptKeyPrefix is the start of the award keys of accepting answerID.
// Each acceptance gets its own number (accept:<q>:<a>:<n>), so accepting
// again after an un-accept awards again, while a retry of one acceptance
// awards once.
func acceptKeyPrefix(questionID, answerID int64) string {
	return fmt.Sprintf("accept:%d:%d:", questionID, answerID)
}

// awardAccept gives the answer's author answer_accepted and the asker, when
// they are the one accepting, accepted_an_answer. Accepting your own
// answer to your own question gives nothing.
func awardAccept(tx *gorm.DB, q *Question, p *Post, actor *User) error {
	if p.AuthorID == q.AuthorID {
		return nil
	}
	prefix := acceptKeyPrefix(q.ID, p.ID)
	var n int64
	if err := tx.Model(&PointEvent{}).Where("award_key LIKE ? AND reason = ? AND reverses_id IS NULL", prefix+"%", ReasonAnswerAccepted).
		Count(&n).Error; err != nil {
		return fmt.Errorf("count acceptances: %w", err)
	}
	key := fmt.Sprintf("%s%d", prefix, n+1)
	if _, _, err := Award(tx, PointEvent{UserID: p.AuthorID, Reason: ReasonAnswerAccepted, SubjectType: SubjectPost,
		SubjectID: p.ID, BoardID: &q.BoardID, ActorID: &actor.ID, AwardKey: key}); err != nil {
		return err
	}
	if actor.ID == q.AuthorID {
		if _, _, err := Award(tx, PointEvent{UserID: q.AuthorID, Reason: ReasonAcceptedAnAnswer, SubjectType: SubjectPost,
			SubjectID: p.ID, BoardID: &q.BoardID, ActorID: &actor.ID, AwardKey: key + ":asker"}); err != nil {
			return err
		}
	}
	return Enqueue(tx, TaskBadgeCheck, BadgeCheckEvent{UserID: p.AuthorID})
}

// reverseAccept reverses the awards of q's current solution, if any.
func reverseAccept(tx *gorm.DB, q *Question, actorID *int64) error {
	if q.AcceptedAnswerID == nil {
		return nil
	}
	if err := reverseLivePrefix(tx, acceptKeyPrefix(q.ID, *q.AcceptedAnswerID), ReasonAnswerUnaccepted, actorID); err != nil {
		return err
	}
	var author int64
	if err := tx.Model(&Post{}).Where("id = ?", *q.AcceptedAnswerID).Select("author_id").Scan(&author).Error; err != nil {
		return err
	}
	return Enqueue(tx, TaskBadgeCheck, BadgeCheckEvent{UserID: author})
}

// reversePostPoints undoes what a deleted post earned: its own award, its
// kudos' points and, for the solution, the accept awards.
func reversePostPoints(tx *gorm.DB, q *Question, p *Post, actorID *int64) error {
	k := PostAwardKey(p.ID)
	if _, err := Reverse(tx, k, UndoKey(k), ReasonPostDeleted, actorID); err != nil {
		return err
	}
	if err := reversePostKudos(tx, p.ID, actorID); err != nil {
		return err
	}
	if err := reverseLivePrefix(tx, verifyKeyPrefix(p.ID), ReasonPostDeleted, actorID); err != nil {
		return err
	}
	// What an unhide gave back (moderation.go) goes again with the post.
	if err := reverseLivePrefix(tx, restoreKeyPrefix(p.ID), ReasonPostDeleted, actorID); err != nil {
		return err
	}
	if q.AcceptedAnswerID != nil && *q.AcceptedAnswerID == p.ID {
		return reverseLivePrefix(tx, acceptKeyPrefix(q.ID, p.ID), ReasonPostDeleted, actorID)
	}
	return nil
}

// RecountTags recomputes question_count for the given tags from the live
// questions that carry them. It is idempotent, so a job may run it twice.
func RecountTags(ctx context.Context, db *gorm.DB, tagIDs []int64) error {
	if len(tagIDs) == 0 {
		return nil
	}
	sort.Slice(tagIDs, func(i, j int) bool { return tagIDs[i] < tagIDs[j] })
	return db.WithContext(ctx).Exec(`UPDATE tags SET question_count = (
		SELECT COUNT(*) FROM question_tags qt JOIN questions q ON q.id = qt.question_id
		WHERE qt.tag_id = tags.id AND q.deleted_at IS NULL AND q.private = ? AND q.held = ?) WHERE id IN ?`, false, false, tagIDs).Error
}

// TagIDsOfQuestion returns the tag ids a question carries.
func TagIDsOfQuestion(ctx context.Context, db *gorm.DB, questionID int64) ([]int64, error) {
	var ids []int64
	err := db.WithContext(ctx).Model(&QuestionTag{}).Where("question_id = ?", questionID).Pluck("tag_id", &ids).Error
	return ids, err
}
