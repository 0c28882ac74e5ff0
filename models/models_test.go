package models_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

func TestAskAnswerAcceptSearch(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		alice := &models.User{Handle: "alice"}
		bob := &models.User{Handle: "bob"}
		for _, u := range []*models.User{alice, bob} {
			if err := models.CreateUser(ctx, db, u); err != nil {
				t.Fatal(err)
			}
		}
		b, err := models.CreateBoard(ctx, db, models.BoardInput{Slug: "printers", Name: "Printers", Visibility: models.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		q, err := models.Ask(ctx, db, alice, models.AskInput{Board: b.Slug, Title: "Printer shows E-301 after update 4.2.1", Body: "It **blinks**. प्रिंटर काम नहीं कर रहा", Tags: []string{"laserjet", "firmware"}})
		if err != nil {
			t.Fatal(err)
		}
		a, err := models.Answer(ctx, db, bob, q.ID, models.AnswerInput{Body: "Reset the tray."})
		if err != nil {
			t.Fatal(err)
		}
		if err := models.Accept(ctx, db, bob, q.ID, a.ID); err != models.ErrForbidden {
			t.Fatalf("bob accepted alice's question: %v", err)
		}
		if err := models.Accept(ctx, db, alice, q.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		v, err := models.LoadQuestion(ctx, db, nil, q.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Solution == nil || v.Solution.ID != a.ID || len(v.Answers) != 1 || len(v.Tags) != 2 {
			t.Fatalf("view: %+v", v)
		}
		for _, query := range []string{"e-301", "4.2.1", "प्रिंटर", "blink", "tray", "printer shows"} {
			res, _, err := models.Search(ctx, db, nil, query, 1)
			if err != nil {
				t.Fatal(query, err)
			}
			if len(res) != 1 || res[0].ID != q.ID {
				t.Errorf("search %q: %d results", query, len(res))
			}
		}
		list, next, err := models.ListQuestions(ctx, db, nil, models.ListOptions{Kind: models.ListSolved})
		if err != nil || len(list) != 1 || next != "" {
			t.Fatalf("solved list: %v %d %q", err, len(list), next)
		}
	})
}
