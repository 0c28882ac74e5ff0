package models_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// Statement budgets from DESIGN.md: a question page costs a fixed, small
// number of statements however many answers, authors and roles it shows.
const (
	questionPageBudget = 6
	listPageBudget     = 3
)

// stmtCounter is a gorm logger that records every statement gorm runs
// (gorm calls Trace once per executed statement, whatever the log level).
type stmtCounter struct {
	logger.Interface
	mu   sync.Mutex
	sqls []string
}

func (c *stmtCounter) LogMode(logger.LogLevel) logger.Interface { return c }

func (c *stmtCounter) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()
	c.mu.Lock()
	c.sqls = append(c.sqls, sql)
	c.mu.Unlock()
}

// count runs f against a db that reports to a fresh counter and returns
// the statements f ran.
func count(db *gorm.DB, f func(db *gorm.DB) error) ([]string, error) {
	c := &stmtCounter{Interface: logger.Discard}
	err := f(db.Session(&gorm.Session{Logger: c}))
	return c.sqls, err
}

func TestQuestionPageStatementBudget(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		asker := &models.User{Handle: "asker", Roles: []models.Role{models.RoleExpert}}
		if err := models.CreateUser(ctx, db, asker); err != nil {
			t.Fatal(err)
		}
		if _, err := models.CreateBoard(ctx, db, models.BoardInput{Slug: "printers", Name: "Printers", Visibility: models.VisibilityPublic}); err != nil {
			t.Fatal(err)
		}
		ask := func(title string) *models.Question {
			q, err := models.Ask(ctx, db, asker, models.AskInput{Board: "printers", Title: title, Body: "It *blinks*.",
				Tags: []string{"laserjet", "firmware", "e-301"}})
			if err != nil {
				t.Fatal(err)
			}
			return q
		}
		one, fifty := ask("Question with one answer"), ask("Question with fifty answers")
		// 50 distinct authors, most holding one or two roles, so an N+1 on
		// users or roles shows up as dozens of statements.
		for i := 0; i < 50; i++ {
			u := &models.User{Handle: fmt.Sprintf("helper%02d", i), Roles: rolesFor(i)}
			if err := models.CreateUser(ctx, db, u); err != nil {
				t.Fatal(err)
			}
			a, err := models.Answer(ctx, db, u, fifty.ID, models.AnswerInput{Body: fmt.Sprintf("Answer number %d.", i)})
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				if _, err := models.Answer(ctx, db, u, one.ID, models.AnswerInput{Body: "The only answer."}); err != nil {
					t.Fatal(err)
				}
			}
			if i == 25 {
				if err := models.Accept(ctx, db, asker, fifty.ID, a.ID); err != nil {
					t.Fatal(err)
				}
			}
		}

		var v1, v50 *models.QuestionView
		small, err := count(db, func(db *gorm.DB) (err error) { v1, err = models.LoadQuestion(ctx, db, nil, one.ID); return })
		if err != nil {
			t.Fatal(err)
		}
		big, err := count(db, func(db *gorm.DB) (err error) { v50, err = models.LoadQuestion(ctx, db, nil, fifty.ID); return })
		if err != nil {
			t.Fatal(err)
		}
		// A signed-in reader adds one statement: which posts they gave kudos.
		var vSigned *models.QuestionView
		signed, err := count(db, func(db *gorm.DB) (err error) { vSigned, err = models.LoadQuestion(ctx, db, asker, fifty.ID); return })
		if err != nil {
			t.Fatal(err)
		}
		if len(signed) > questionPageBudget || len(signed) > len(big)+1 {
			t.Errorf("question page for a signed-in reader ran %d statements (budget %d):\n%s", len(signed), questionPageBudget, strings.Join(signed, "\n"))
		}
		if vSigned.Body.Author == nil || vSigned.Body.Author.RankName == "" {
			t.Errorf("author rank not loaded: %+v", vSigned.Body.Author)
		}
		if len(v1.Answers) != 1 || len(v50.Answers) != 50 || v50.Solution == nil || len(v50.Tags) != 3 {
			t.Fatalf("loaded %d and %d answers, solution %v, tags %v", len(v1.Answers), len(v50.Answers), v50.Solution, v50.Tags)
		}
		for i, a := range v50.Answers {
			if a.Author == nil || a.Author.Handle != fmt.Sprintf("helper%02d", i) || len(a.Author.Roles) != len(rolesFor(i)) {
				t.Fatalf("answer %d: author %+v, want helper%02d with roles %v", i, a.Author, i, rolesFor(i))
			}
		}
		if len(big) != len(small) || len(big) > questionPageBudget || len(small) == 0 {
			t.Errorf("question page ran %d statements for 1 answer and %d for 50 (budget %d, the same for both):\n%s",
				len(small), len(big), questionPageBudget, strings.Join(big, "\n"))
		}

		// Fill a whole list page (and a next one) so the list's per-row work shows.
		for i := 0; i <= models.PageSize; i++ {
			ask(fmt.Sprintf("Filler question %d", i))
		}
		tag, err := models.TagByName(ctx, db, "laserjet")
		if err != nil {
			t.Fatal(err)
		}
		var next string
		lists := map[string]models.ListOptions{
			"latest":     {Kind: models.ListLatest},
			"unanswered": {Kind: models.ListUnanswered},
			"tag":        {Kind: models.ListLatest, TagID: tag.ID},
		}
		for name, opt := range lists {
			var rows []models.QuestionSummary
			sqls, err := count(db, func(db *gorm.DB) (err error) {
				rows, next, err = models.ListQuestions(ctx, db, nil, opt)
				return
			})
			if err != nil {
				t.Fatal(name, err)
			}
			if len(rows) != models.PageSize || next == "" || len(rows[0].Tags) != 3 {
				t.Fatalf("%s list: %d rows, next %q", name, len(rows), next)
			}
			if len(sqls) > listPageBudget {
				t.Errorf("%s list page ran %d statements (budget %d):\n%s", name, len(sqls), listPageBudget, strings.Join(sqls, "\n"))
			}
			opt.Cursor = next
			sqls, err = count(db, func(db *gorm.DB) (err error) { _, _, err = models.ListQuestions(ctx, db, nil, opt); return })
			if err != nil || len(sqls) > listPageBudget {
				t.Errorf("%s list, second page: %d statements, %v", name, len(sqls), err)
			}
		}
	})
}

// rolesFor gives the i-th helper none, one or two roles.
func rolesFor(i int) []models.Role {
	switch i % 4 {
	case 1:
		return []models.Role{models.RoleExpert}
	case 2:
		return []models.Role{models.RoleEmployee, models.RoleModerator}
	case 3:
		return []models.Role{models.RoleProduct}
	}
	return nil
}
