package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

func newTestUser(t *testing.T, db *gorm.DB, handle string, roles ...models.Role) *models.User {
	t.Helper()
	u := &models.User{Handle: handle, Roles: roles}
	if err := models.CreateUser(context.Background(), db, u); err != nil {
		t.Fatalf("create %s: %v", handle, err)
	}
	return u
}

// TestProfileActivityFollowsVisibility: a profile counts and lists only
// what the viewer may see, newest first, page by page, and never a
// deleted question.
func TestProfileActivityFollowsVisibility(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		asha, bob := newTestUser(t, db, "asha"), newTestUser(t, db, "bob")
		employee := newTestUser(t, db, "emil", models.RoleEmployee)
		mustBoard(t, db, "printers", models.VisibilityPublic)
		mustBoard(t, db, "staff-room", models.VisibilityStaff)
		start := time.Now().Add(-time.Hour)
		var public []int64
		for i := 0; i < 3; i++ {
			q, err := models.Ask(ctx, db, asha, models.AskInput{Board: "printers", Title: fmt.Sprintf("Public printer question %d", i),
				Body: "b", CreatedAt: start.Add(time.Duration(i) * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			public = append(public, q.ID)
			if _, err := models.Answer(ctx, db, bob, q.ID, models.AnswerInput{Body: "public answer", CreatedAt: start.Add(time.Duration(i)*time.Minute + time.Second)}); err != nil {
				t.Fatal(err)
			}
		}
		secret, err := models.Ask(ctx, db, asha, models.AskInput{Board: "staff-room", Title: "Secret staff-room question", Body: "b", CreatedAt: start.Add(10 * time.Minute)})
		if err == nil {
			// asha is a member: she cannot ask on a staff board at all.
			t.Fatalf("member asked on a staff board: %d", secret.ID)
		}
		secret, err = models.Ask(ctx, db, employee, models.AskInput{Board: "staff-room", Title: "Secret staff-room question", Body: "b", CreatedAt: start.Add(10 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.Answer(ctx, db, employee, public[0], models.AnswerInput{Body: "public staff answer", CreatedAt: start.Add(11 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if _, err := models.Answer(ctx, db, employee, secret.ID, models.AnswerInput{Body: "secret staff answer", CreatedAt: start.Add(12 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		// A deleted question leaves the profile.
		gone, err := models.Ask(ctx, db, asha, models.AskInput{Board: "printers", Title: "Deleted printer question", Body: "b", CreatedAt: start.Add(20 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		var goneBody models.Post
		db.Where("question_id = ? AND kind = ?", gone.ID, models.KindQuestion).First(&goneBody)
		if err := models.DeletePost(ctx, db, asha, goneBody.ID); err != nil {
			t.Fatal(err)
		}

		for _, c := range []struct {
			viewer         *models.User
			handle         string
			wantQ, wantA   int64
			wantFirstTitle string
		}{
			{nil, "asha", 3, 0, "Public printer question 2"},
			{bob, "ASHA", 3, 0, "Public printer question 2"},
			{nil, "emil", 0, 1, ""},
			{bob, "emil", 0, 1, ""},
			{employee, "emil", 1, 2, "Secret staff-room question"},
			{nil, "bob", 0, 3, ""},
		} {
			p, err := models.LoadProfile(ctx, db, c.viewer, c.handle)
			if err != nil {
				t.Fatal(c.handle, err)
			}
			if p.QuestionCount != c.wantQ || p.AnswerCount != c.wantA {
				t.Errorf("%s seen by %v: %d questions, %d answers; want %d, %d", c.handle, c.viewer, p.QuestionCount, p.AnswerCount, c.wantQ, c.wantA)
			}
			qs, _, err := models.ProfileQuestions(ctx, db, c.viewer, p.User.ID, "", 0)
			if err != nil || int64(len(qs)) != c.wantQ {
				t.Fatalf("%s questions: %d, %v", c.handle, len(qs), err)
			}
			if len(qs) > 0 && qs[0].Title != c.wantFirstTitle {
				t.Errorf("%s: newest question %q", c.handle, qs[0].Title)
			}
			as, _, err := models.ProfileAnswers(ctx, db, c.viewer, p.User.ID, "", 0)
			if err != nil || int64(len(as)) != c.wantA {
				t.Fatalf("%s answers: %d, %v", c.handle, len(as), err)
			}
			for _, a := range as {
				if c.viewer != employee && strings.Contains(a.QuestionTitle, "Secret") {
					t.Errorf("%s: answer on a staff board shown to %v", c.handle, c.viewer)
				}
			}
		}

		// Keyset pages of one: every item once, in order, then the end.
		var titles []string
		cur := ""
		for i := 0; i < 5; i++ {
			qs, next, err := models.ProfileQuestions(ctx, db, nil, asha.ID, cur, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range qs {
				titles = append(titles, q.Title)
			}
			if next == "" {
				break
			}
			cur = next
		}
		if got := strings.Join(titles, "|"); got != "Public printer question 2|Public printer question 1|Public printer question 0" {
			t.Errorf("question pages: %s", got)
		}
		var answerQs []int64
		cur = ""
		for i := 0; i < 5; i++ {
			as, next, err := models.ProfileAnswers(ctx, db, nil, bob.ID, cur, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range as {
				answerQs = append(answerQs, a.QuestionID)
			}
			if next == "" {
				break
			}
			cur = next
		}
		if fmt.Sprint(answerQs) != fmt.Sprint([]int64{public[2], public[1], public[0]}) {
			t.Errorf("answer pages: %v, want %v", answerQs, public)
		}
		if _, _, err := models.ProfileAnswers(ctx, db, nil, bob.ID, "not-a-cursor!", 2); !errors.Is(err, models.ErrBadCursor) {
			t.Errorf("bad cursor: %v", err)
		}
		for _, h := range []string{"nobody", "a b", "x\x00y", "\xff\xfe"} {
			if _, err := models.LoadProfile(ctx, db, nil, h); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("profile %q: %v", h, err)
			}
		}
	})
}

// TestAccountHandleChange: a handle change is validated, unique in any
// case, audited, and an invalid field leaves every field as it was.
func TestAccountHandleChange(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		newTestUser(t, db, "alice")
		bob := newTestUser(t, db, "bob")
		bad := []struct {
			in      models.AccountInput
			field   string
			message string
		}{
			{models.AccountInput{Handle: "alice", DisplayName: "New Bob"}, "handle", "error.handle_taken"},
			{models.AccountInput{Handle: "ALICE", DisplayName: "New Bob"}, "handle", "error.handle_taken"},
			{models.AccountInput{Handle: "b", DisplayName: "New Bob"}, "handle", "error.handle_invalid"},
			{models.AccountInput{Handle: "bob smith", DisplayName: "New Bob"}, "handle", "error.handle_invalid"},
			{models.AccountInput{Handle: "bobby", DisplayName: "New Bob", TimeZone: "Mars/Base"}, "time_zone", "error.invalid"},
			{models.AccountInput{Handle: "bobby", DisplayName: ""}, "display_name", "error.required"},
		}
		for _, c := range bad {
			u, _ := models.UserByID(ctx, db, bob.ID)
			err := models.UpdateAccount(ctx, db, u, c.in)
			var v *models.ValidationError
			if !errors.As(err, &v) || v.Field(c.field) == nil || v.Field(c.field).Message != c.message {
				t.Errorf("%+v: %v", c.in, err)
			}
			if u.Handle != "bob" || u.DisplayName != "bob" {
				t.Errorf("%+v: the user in memory changed to %q / %q", c.in, u.Handle, u.DisplayName)
			}
			stored, _ := models.UserByID(ctx, db, bob.ID)
			if stored.Handle != "bob" || stored.DisplayName != "bob" || stored.TimeZone != "" {
				t.Errorf("%+v: stored %+v", c.in, stored)
			}
		}
		// Both bad fields are reported at once.
		err := models.UpdateAccount(ctx, db, bob, models.AccountInput{Handle: "alice", DisplayName: "", TimeZone: "Mars/Base"})
		if v, ok := err.(*models.ValidationError); !ok || len(v.Fields) != 3 {
			t.Errorf("three bad fields: %v", err)
		}
		var n int64
		db.Model(&models.AuditEntry{}).Count(&n)
		if n != 0 {
			t.Errorf("%d audit entries after refused changes", n)
		}

		// Changing only the case of one's own handle is allowed.
		if err := models.UpdateAccount(ctx, db, bob, models.AccountInput{Handle: "Bob", DisplayName: "Bob B", TimeZone: "Asia/Kolkata"}); err != nil {
			t.Fatal(err)
		}
		if err := models.UpdateAccount(ctx, db, bob, models.AccountInput{Handle: "bobby", DisplayName: "Bob B", Locale: "hi"}); err != nil {
			t.Fatal(err)
		}
		stored, err := models.UserByHandle(ctx, db, "BOBBY")
		if err != nil || stored.ID != bob.ID || stored.Handle != "bobby" || stored.Locale != "hi" || bob.Handle != "bobby" {
			t.Fatalf("after change: %+v %v (in memory %q)", stored, err, bob.Handle)
		}
		log, err := models.AuditLog(ctx, db, bob.ID, 0, 10)
		if err != nil || len(log) != 2 || log[0].Action != "user.handle" || log[0].Detail != "Bob → bobby" || log[1].Detail != "bob → Bob" ||
			log[0].ActorID == nil || *log[0].ActorID != bob.ID {
			t.Errorf("audit: %+v %v", log, err)
		}
		// Saving without a change writes no entry.
		if err := models.UpdateAccount(ctx, db, bob, models.AccountInput{Handle: "bobby", DisplayName: "Bob C"}); err != nil {
			t.Fatal(err)
		}
		if log, _ := models.AuditLog(ctx, db, bob.ID, 0, 10); len(log) != 2 {
			t.Errorf("%d audit entries after a save without a handle change", len(log))
		}
	})
}
