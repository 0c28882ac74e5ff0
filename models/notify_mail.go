package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Recipient is a member as mails address them.
type Recipient struct {
	User
	Mode      string
	ModeSince time.Time
}

// mailable reports whether mails may go to u: a verified address only.
func mailable(u *User) bool { return u.EmailVerified && u.Email != "" }

// NotificationForMail loads a notification for its own mail, with its
// recipient, if that mail is due: the recipient wants a mail per event,
// has a verified email, may still see what it is about, and it was not
// mailed before. Otherwise it returns nil.
func NotificationForMail(ctx context.Context, db *gorm.DB, id int64) (*NotificationView, *Recipient, error) {
	db = db.WithContext(ctx)
	var n Notification
	if err := db.Where("id = ?", id).Take(&n).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	var emailed int64
	if err := db.Table("notifications").Where("id = ? AND emailed_at IS NOT NULL", id).Count(&emailed).Error; err != nil {
		return nil, nil, err
	}
	if emailed > 0 {
		return nil, nil, nil
	}
	u, err := UserByID(ctx, db, n.UserID)
	if err != nil {
		return nil, nil, err
	}
	mode, _, err := EmailModeOf(ctx, db, u.ID)
	if err != nil || mode != EmailEvent || !mailable(u) {
		return nil, nil, err
	}
	views, err := notificationViews(visibleNotifications(db, u).Where("n.id = ?", id))
	if err != nil || len(views) == 0 {
		return nil, nil, err // not visible to them (any more): no mail
	}
	return &views[0], &Recipient{User: *u, Mode: mode}, nil
}

func notificationViews(q *gorm.DB) ([]NotificationView, error) {
	var out []NotificationView
	err := q.Select("n.*, q.title AS question_title, a.handle AS actor_handle, a.display_name AS actor_name").
		Joins("LEFT JOIN users a ON a.id = n.actor_id").Order("n.created_at, n.id").Scan(&out).Error
	return out, err
}

// QueueNotificationMail marks notification id mailed and writes the mail
// (outbox kind mailKind, payload mail) in one transaction; a second call
// queues nothing.
func QueueNotificationMail(ctx context.Context, db *gorm.DB, id int64, mailKind string, mail any) (bool, error) {
	queued := false
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Table("notifications").Where("id = ? AND emailed_at IS NULL", id).Update("emailed_at", time.Now().UTC())
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		queued = true
		return Enqueue(tx, mailKind, mail)
	})
	return queued, err
}

// DigestPeriod returns the digest period of mode (EmailDaily or
// EmailWeekly) that has most recently ended at now in loc: its key, and
// the window [from, to) of notifications it covers. Periods end at
// DigestHour local time, every day or every Monday, whatever the offset or
// daylight saving time.
func DigestPeriod(mode string, loc *time.Location, now time.Time) (key string, from, to time.Time) {
	l := now.In(loc)
	end := time.Date(l.Year(), l.Month(), l.Day(), DigestHour, 0, 0, 0, loc)
	if end.After(l) {
		end = end.AddDate(0, 0, -1)
	}
	if mode == EmailWeekly {
		back := (int(end.Weekday()) + 6) % 7 // days since Monday
		end = end.AddDate(0, 0, -back)
		return "w:" + end.Format("2006-01-02"), end.AddDate(0, 0, -7), end
	}
	return "d:" + end.Format("2006-01-02"), end.AddDate(0, 0, -1), end
}

// DigestRecipients returns up to limit members after user id `after` who
// chose a daily or weekly digest and have a verified email.
func DigestRecipients(ctx context.Context, db *gorm.DB, after int64, limit int) ([]Recipient, error) {
	var out []Recipient
	err := db.WithContext(ctx).Table("users").Select("users.*, np.email_mode AS mode, np.updated_at AS mode_since").
		Joins("JOIN notification_prefs np ON np.user_id = users.id").
		Where("np.email_mode IN ? AND users.id > ? AND users.email_verified = ? AND users.email <> ''",
			[]string{EmailDaily, EmailWeekly}, after, true).
		Order("users.id").Limit(limit).Scan(&out).Error
	return out, err
}

// DigestsSent returns which of the given periods of each user were
// already sent, keyed "user/period".
func DigestsSent(ctx context.Context, db *gorm.DB, userIDs []int64, periods []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		UserID int64
		Period string
	}
	err := db.WithContext(ctx).Table("notification_digests").Select("user_id, period").
		Where("user_id IN ? AND period IN ?", userIDs, periods).Scan(&rows).Error
	for _, r := range rows {
		out[strconv.FormatInt(r.UserID, 10)+"/"+r.Period] = true
	}
	return out, err
}

// DigestItems lists u's unread notifications created in [from, to) that u
// may still see, oldest first (at most 100).
func DigestItems(ctx context.Context, db *gorm.DB, u *User, from, to time.Time) ([]NotificationView, error) {
	db = db.WithContext(ctx)
	return notificationViews(visibleNotifications(db, u).
		Where("n.read_at IS NULL AND n.created_at >= ? AND n.created_at < ?", from.UTC(), to.UTC()).Limit(100))
}

// RecordDigest writes that userID's period was digested (items
// notifications, at sentAt) and, when there are items, its mail, in one
// transaction. A period already recorded writes nothing: each period is
// mailed exactly once.
func RecordDigest(ctx context.Context, db *gorm.DB, userID int64, period string, items int, sentAt time.Time, mailKind string, mail any) (bool, error) {
	queued := false
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Table("notification_digests").Create(map[string]any{
			"user_id": userID, "period": period, "items": items, "sent_at": sentAt.UTC()})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		if items == 0 {
			return nil
		}
		queued = true
		return Enqueue(tx, mailKind, mail)
	})
	return queued, err
}

// FollowOfNotification names a follow that explains a notification
// (the question, or the board or a tag of a new question), for the mail's
// "stop following" link; ok is false when none does.
func FollowOfNotification(ctx context.Context, db *gorm.DB, n *NotificationView) (typ string, id int64, name string, ok bool) {
	if n.QuestionID == nil || (n.Kind != NotifyReplyFollowed && n.Kind != NotifyQuestionFollow) {
		return "", 0, "", false
	}
	db = db.WithContext(ctx)
	var f []Follow
	db.Raw(`SELECT f.* FROM follows f WHERE f.user_id = ? AND (
		(f.target_type = ? AND f.target_id = ?)
		OR (f.target_type = ? AND f.target_id = (SELECT board_id FROM questions WHERE id = ?))
		OR (f.target_type = ? AND f.target_id IN (SELECT tag_id FROM question_tags WHERE question_id = ?)))
		ORDER BY f.id LIMIT 1`, n.UserID, FollowQuestion, *n.QuestionID, FollowBoard, *n.QuestionID, FollowTag, *n.QuestionID).Scan(&f)
	if len(f) == 0 {
		return "", 0, "", false
	}
	return f[0].TargetType, f[0].TargetID, followTargetName(db, f[0].TargetType, f[0].TargetID), true
}

// NotifyAwards tells a user about the automatic badges they earned since
// `since` and the rank they hold (above the first), once each.
func NotifyAwards(ctx context.Context, db *gorm.DB, userID int64, since time.Time) (int, error) {
	db = db.WithContext(ctx)
	var badges []struct {
		ID   int64
		Slug string
		Name string
	}
	if err := db.Table("user_badges ub").Joins("JOIN badges b ON b.id = ub.badge_id").
		Where("ub.user_id = ? AND b.kind = ? AND ub.created_at >= ?", userID, BadgeAuto, since.UTC()).
		Select("ub.id, b.slug, b.name").Order("ub.id").Scan(&badges).Error; err != nil {
		return 0, err
	}
	var rank []struct {
		ID   int64
		Name string
	}
	if err := db.Table("users u").Joins("JOIN ranks r ON r.id = u.rank_id").Where("u.id = ? AND r.threshold > 0", userID).
		Select("r.id, r.name").Scan(&rank).Error; err != nil {
		return 0, err
	}
	if len(badges) == 0 && len(rank) == 0 {
		return 0, nil
	}
	var handle string
	if err := db.Table("users").Where("id = ?", userID).Select("handle").Scan(&handle).Error; err != nil {
		return 0, err
	}
	n := 0
	err := db.Transaction(func(tx *gorm.DB) error {
		for _, b := range badges {
			ok, err := Notify(tx, Notification{UserID: userID, Kind: NotifyBadgeEarned, Detail: b.Name, URL: "/badges/" + b.Slug,
				DedupKey: fmt.Sprintf("badge:%d", b.ID)})
			if err != nil {
				return err
			}
			if ok {
				n++
			}
		}
		for _, r := range rank {
			ok, err := Notify(tx, Notification{UserID: userID, Kind: NotifyRankReached, Detail: r.Name, URL: "/u/" + handle + "/points",
				DedupKey: fmt.Sprintf("rank:%d", r.ID)})
			if err != nil {
				return err
			}
			if ok {
				n++
			}
		}
		return nil
	})
	return n, err
}

// RemindAskerDaysSetting names the settings row holding after how many
// days an asker with answers but none accepted is reminded (default 3).
const RemindAskerDaysSetting = "remind_asker_days"

// RemindAskerDays reads the setting.
func RemindAskerDays(ctx context.Context, db *gorm.DB) int {
	var v string
	db.WithContext(ctx).Table("settings").Where("name = ?", RemindAskerDaysSetting).Select("value").Scan(&v)
	if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= 365 {
		return n
	}
	return 3
}

// RemindAskers reminds, once ever per question, the askers of questions
// asked at least N days before now (and at most N+30) that have an answer
// from someone else and none accepted. It returns how many it reminded.
func RemindAskers(ctx context.Context, db *gorm.DB, now time.Time) (int, error) {
	db = db.WithContext(ctx)
	days := RemindAskerDays(ctx, db)
	cutoff := now.UTC().AddDate(0, 0, -days)
	var qs []Question
	if err := db.Where(`deleted_at IS NULL AND accepted_answer_id IS NULL AND answer_count > 0
		AND created_at <= ? AND created_at > ?
		AND NOT EXISTS (SELECT 1 FROM asker_reminders r WHERE r.question_id = questions.id)
		AND EXISTS (SELECT 1 FROM posts p WHERE p.question_id = questions.id AND p.kind = ? AND p.deleted_at IS NULL AND p.author_id <> questions.author_id)`,
		cutoff, cutoff.AddDate(0, 0, -30), KindAnswer).Order("id").Limit(500).Find(&qs).Error; err != nil {
		return 0, fmt.Errorf("questions to remind: %w", err)
	}
	n := 0
	for _, q := range qs {
		err := db.Transaction(func(tx *gorm.DB) error {
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Table("asker_reminders").
				Create(map[string]any{"question_id": q.ID, "reminded_at": now.UTC()})
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			qid := q.ID
			ok, err := Notify(tx, Notification{UserID: q.AuthorID, Kind: NotifyRemindAccept, QuestionID: &qid,
				Detail: strconv.Itoa(days), URL: fmt.Sprintf("/q/%d", q.ID), DedupKey: fmt.Sprintf("remind:%d", q.ID)})
			if ok {
				n++
			}
			return err
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// mailWatermarkSetting names the settings row holding the id of the last
// notification the per-event mail sweep looked at.
const mailWatermarkSetting = "notify_mail_watermark"

// MailSettle is how old a notification must be before the mail sweep
// takes it: transactions that took lower ids have committed by then, so
// the watermark never passes a notification that is still being written.
const MailSettle = 30 * time.Second

// NotificationsToMail returns, oldest first, up to limit notifications
// after the sweep's watermark that have settled by now. It stops at the
// first one still settling, so the watermark never skips one.
func NotificationsToMail(ctx context.Context, db *gorm.DB, now time.Time, limit int) ([]int64, error) {
	db = db.WithContext(ctx)
	var wm string
	if err := db.Table("settings").Where("name = ?", mailWatermarkSetting).Select("value").Scan(&wm).Error; err != nil {
		return nil, err
	}
	after, _ := strconv.ParseInt(wm, 10, 64)
	var rows []struct {
		ID        int64
		CreatedAt time.Time
	}
	if err := db.Table("notifications").Select("id, created_at").Where("id > ?", after).Order("id").Limit(limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	var out []int64
	for _, r := range rows {
		if r.CreatedAt.After(now.Add(-MailSettle)) {
			break
		}
		out = append(out, r.ID)
	}
	return out, nil
}

// SetMailWatermark records that the sweep has looked at every
// notification up to id.
func SetMailWatermark(ctx context.Context, db *gorm.DB, id int64) error {
	return db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"})}).
		Table("settings").Create(map[string]any{"name": mailWatermarkSetting, "value": strconv.FormatInt(id, 10), "updated_at": time.Now().UTC()}).Error
}
