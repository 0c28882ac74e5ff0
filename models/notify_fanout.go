package models

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Notification kinds of members' activity.
const (
	NotifyAnswered       = "answered"          // an answer to my question
	NotifyReplyFollowed  = "reply_followed"    // an answer in a question I follow
	NotifyQuestionFollow = "question_followed" // a new question on a board or tag I follow
	NotifyMention        = "mention"           // @handle in a question or answer
	NotifyAccepted       = "answer_accepted"   // my answer was accepted
	NotifyKudos          = "kudos"             // people gave kudos to my post (one per post, updated)
	NotifyBadgeEarned    = "badge_earned"      // an automatic badge
	NotifyRankReached    = "rank_reached"
	NotifyRemindAccept   = "remind_accept" // my question has answers and none accepted
)

func init() {
	NotificationKinds = append(NotificationKinds, NotifyAnswered, NotifyReplyFollowed, NotifyQuestionFollow, NotifyMention,
		NotifyAccepted, NotifyKudos, NotifyBadgeEarned, NotifyRankReached, NotifyRemindAccept)
}

// Outbox kinds (and asynq task types) of notification work.
const (
	// TaskNotifyPost fans a new question or answer out to the people it
	// concerns (QuestionEvent payload).
	TaskNotifyPost = "notify:post"
	// TaskNotifyKudos updates the kudos notification of a post (KudosEvent).
	TaskNotifyKudos = "notify:kudos"
	// TaskNotifyAccepted tells an answer's author it was accepted (QuestionEvent).
	TaskNotifyAccepted = "notify:accepted"
)

// KudosEvent is the payload of TaskNotifyKudos.
type KudosEvent struct {
	PostID  int64 `json:"post_id"`
	ActorID int64 `json:"actor_id"`
}

// postWritten, called in the transaction that writes an answer, makes its
// author follow the question and queues the fan-out. (A new question's
// fan-out runs with its TaskQuestionCreated job.)
func postWritten(tx *gorm.DB, q *Question, p *Post) error {
	if err := follow(tx, p.AuthorID, FollowQuestion, q.ID); err != nil {
		return err
	}
	return Enqueue(tx, TaskNotifyPost, QuestionEvent{QuestionID: q.ID, PostID: p.ID, ActorID: p.AuthorID})
}

// mentionPattern finds @handle not inside a word or an email address.
var mentionPattern = regexp.MustCompile(`(?:^|[^\w@./-])@([A-Za-z0-9][A-Za-z0-9_-]{1,38}[A-Za-z0-9])\b`)

// maxMentions bounds how many people one post can notify by name.
const maxMentions = 20

// Mentions returns the distinct handles (lower-cased) mentioned in text,
// leaving out code spans and blocks.
func Mentions(text string) []string {
	text = stripCode(text)
	seen := map[string]bool{}
	var out []string
	for _, m := range mentionPattern.FindAllStringSubmatch(text, -1) {
		h := strings.ToLower(m[1])
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
			if len(out) == maxMentions {
				break
			}
		}
	}
	return out
}

var codePattern = regexp.MustCompile("(?s)```.*?```|`[^`\n]*`")

func stripCode(s string) string { return codePattern.ReplaceAllString(s, " ") }

// postContext is a live post with its question and board.
type postContext struct {
	Post     Post
	Question Question
	Board    Board
}

func loadPostContext(db *gorm.DB, postID int64) (*postContext, error) {
	var pc postContext
	if err := db.Where("id = ? AND deleted_at IS NULL", postID).Take(&pc.Post).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	if err := db.Where("id = ? AND deleted_at IS NULL", pc.Post.QuestionID).Take(&pc.Question).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	if err := db.Where("id = ?", pc.Question.BoardID).Take(&pc.Board).Error; err != nil {
		return nil, err
	}
	return &pc, nil
}

// recipient is one person a post notifies, with why.
type recipient struct {
	UserID int64
	Kind   string
}

// FanOutPost writes the notifications of a new question or answer: people
// it mentions first, then (for an answer) the asker and the question's
// followers, or (for a question) the followers of its board and tags. Each
// person gets at most one notification per post (the dedup key is the
// post's), never the author, and only people who may read the board. A
// redelivered task writes nothing more. It returns how many it wrote.
func FanOutPost(ctx context.Context, db *gorm.DB, postID int64) (int, error) {
	db = db.WithContext(ctx)
	pc, err := loadPostContext(db, postID)
	if errors.Is(err, ErrNotFound) {
		return 0, nil // deleted before the job ran: nothing to tell
	}
	if err != nil {
		return 0, err
	}
	var rs []recipient
	if hs := Mentions(pc.Post.BodyMD); len(hs) > 0 {
		var ids []int64
		if err := db.Model(&User{}).Where("LOWER(handle) IN ?", hs).Order("id").Pluck("id", &ids).Error; err != nil {
			return 0, err
		}
		for _, id := range ids {
			rs = append(rs, recipient{id, NotifyMention})
		}
	}
	var followers []int64
	if pc.Post.Kind == KindAnswer {
		rs = append(rs, recipient{pc.Question.AuthorID, NotifyAnswered})
		// Only those who followed before the answer was written: a later
		// answerer hears of later answers, not of this one.
		if err := db.Model(&Follow{}).Where("target_type = ? AND target_id = ? AND created_at <= ?", FollowQuestion, pc.Question.ID, pc.Post.CreatedAt).
			Order("user_id").Pluck("user_id", &followers).Error; err != nil {
			return 0, err
		}
		for _, id := range followers {
			rs = append(rs, recipient{id, NotifyReplyFollowed})
		}
	} else {
		if err := db.Raw(`SELECT DISTINCT f.user_id FROM follows f WHERE ((f.target_type = ? AND f.target_id = ?)
			OR (f.target_type = ? AND f.target_id IN (SELECT tag_id FROM question_tags WHERE question_id = ?))) AND f.created_at <= ? ORDER BY f.user_id`,
			FollowBoard, pc.Board.ID, FollowTag, pc.Question.ID, pc.Post.CreatedAt).Scan(&followers).Error; err != nil {
			return 0, err
		}
		for _, id := range followers {
			rs = append(rs, recipient{id, NotifyQuestionFollow})
		}
	}
	return notifyAbout(db, pc, rs, "post:"+strconv.FormatInt(pc.Post.ID, 10), pc.Post.AuthorID, "")
}

// notifyAbout notifies each recipient who may read pc's board (never the
// actor), once per dedup key, in one transaction.
func notifyAbout(db *gorm.DB, pc *postContext, rs []recipient, key string, actorID int64, detail string) (int, error) {
	ids := make([]int64, 0, len(rs))
	for _, r := range rs {
		ids = append(ids, r.UserID)
	}
	users, err := UsersByIDs(db.Statement.Context, db, ids)
	if err != nil {
		return 0, err
	}
	ctx := db.Statement.Context
	url := fmt.Sprintf("/q/%d", pc.Question.ID)
	if pc.Post.Kind == KindAnswer {
		url += fmt.Sprintf("#post-%d", pc.Post.ID)
	}
	n := 0
	done := map[int64]bool{}
	err = db.Transaction(func(tx *gorm.DB) error {
		for _, r := range rs {
			u := users[r.UserID]
			if u == nil || r.UserID == actorID || done[r.UserID] {
				continue
			}
			done[r.UserID] = true
			if ok, err := CanSeeBoard(ctx, tx, u, &pc.Board); err != nil {
				return err
			} else if !ok || !CanReadThread(u, &pc.Question) {
				continue // never tell someone about a post they cannot read
			}
			qid := pc.Question.ID
			var actor *int64
			if actorID != 0 {
				actor = &actorID
			}
			wrote, err := Notify(tx, Notification{UserID: r.UserID, Kind: r.Kind, QuestionID: &qid, ActorID: actor,
				Detail: detail, URL: url, DedupKey: key})
			if err != nil {
				return err
			}
			if wrote {
				n++
			}
		}
		return nil
	})
	return n, err
}

// NotifyAnswerAccepted tells an answer's author that it is the accepted
// solution, once per answer, unless they accepted it themselves or it was
// un-accepted before the job ran.
func NotifyAnswerAccepted(ctx context.Context, db *gorm.DB, postID, actorID int64) (int, error) {
	db = db.WithContext(ctx)
	pc, err := loadPostContext(db, postID)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if pc.Question.AcceptedAnswerID == nil || *pc.Question.AcceptedAnswerID != pc.Post.ID {
		return 0, nil
	}
	return notifyAbout(db, pc, []recipient{{pc.Post.AuthorID, NotifyAccepted}}, "accepted:"+strconv.FormatInt(pc.Post.ID, 10), actorID, "")
}

// NotifyKudosOn keeps one notification per post about its kudos: "N people
// gave kudos". A new giver updates it (count, latest giver, unread again);
// a redelivered task finds the count unchanged and changes nothing.
func NotifyKudosOn(ctx context.Context, db *gorm.DB, postID int64) error {
	db = db.WithContext(ctx)
	pc, err := loadPostContext(db, postID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var live []Kudos
	if err := db.Where("post_id = ? AND withdrawn_at IS NULL AND giver_id <> ?", postID, pc.Post.AuthorID).
		Order("created_at DESC, id DESC").Limit(1).Find(&live).Error; err != nil {
		return err
	}
	var count int64
	if err := db.Model(&Kudos{}).Where("post_id = ? AND withdrawn_at IS NULL AND giver_id <> ?", postID, pc.Post.AuthorID).Count(&count).Error; err != nil {
		return err
	}
	if count == 0 {
		return nil
	}
	key := "kudos:" + strconv.FormatInt(postID, 10)
	detail := strconv.FormatInt(count, 10)
	var cur Notification
	err = db.Where("user_id = ? AND dedup_key = ?", pc.Post.AuthorID, key).Take(&cur).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		_, err = notifyAbout(db, pc, []recipient{{pc.Post.AuthorID, NotifyKudos}}, key, live[0].GiverID, detail)
		return err
	}
	if err != nil || cur.Detail == detail {
		return err
	}
	upd := map[string]any{"detail": detail, "actor_id": live[0].GiverID}
	if n, _ := strconv.ParseInt(cur.Detail, 10, 64); count > n {
		// More people: it is news again.
		upd["read_at"] = nil
		upd["created_at"] = time.Now().UTC().Truncate(time.Microsecond)
	}
	return db.Model(&Notification{}).Where("id = ? AND detail = ?", cur.ID, cur.Detail).Updates(upd).Error
}

// NotificationArgs are the arguments of a notification's sentence
// (message notify.KIND): the question's title, the actor's name, the
// detail, and for kudos the count that picks the plural form.
func NotificationArgs(n *NotificationView) map[string]any {
	actor := n.ActorName
	if actor == "" {
		actor = n.ActorHandle
	}
	args := map[string]any{"Title": n.QuestionTitle, "Actor": actor, "Detail": n.Detail}
	if n.Kind == NotifyKudos {
		c, _ := strconv.Atoi(n.Detail)
		args["Count"] = c
	}
	return args
}

// NotificationDetailShown reports whether a notification's detail is
// shown apart from its sentence (kinds whose sentence holds it do not).
func NotificationDetailShown(kind string) bool {
	switch kind {
	case NotifyBadgeGranted, NotifyExpertTier, NotifyKudos, NotifyBadgeEarned, NotifyRankReached, NotifyRemindAccept:
		return false
	}
	return true
}
