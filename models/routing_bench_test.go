package models_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// Sizes of the routing benchmark's forum.
const (
	rbExperts   = 30
	rbMembers   = 200
	rbBoards    = 3
	rbTags      = 20
	rbDue       = 100
	rbExpertRec = 600 // accepted answers by experts in the history, whatever its size
)

// BenchmarkRouteQuestions measures one routing run over rbDue due
// questions (each routed to three experts) in a forum whose history holds
// a few thousand, then four times as many, answered and ancient unanswered
// questions. The experts' own record stays the same size, so a run that
// read the history would show it in the time per run; the statements per
// run are logged.
//
//	go test ./models/ -run '^$' -bench BenchmarkRouteQuestions -benchtime 20x
//
// With TEST_DATABASE_URL set it runs on PostgreSQL too; with
// CROWDCARE_BENCH_EXPLAIN=1 it prints the plan of each read of a run that
// comes before the per-question transactions.
func BenchmarkRouteQuestions(b *testing.B) {
	for _, backend := range testenv.Backends() {
		for _, history := range []int{2000, 8000} {
			b.Run(fmt.Sprintf("%s/history=%d", backend, history), func(b *testing.B) {
				db := testenv.DB(b, backend)
				ctx := context.Background()
				now := time.Now().UTC().Truncate(time.Second)
				seedRouteBench(b, db, now, history)
				reset := func() {
					if err := db.Exec("DELETE FROM notifications").Error; err != nil {
						b.Fatal(err)
					}
					if err := db.Exec("DELETE FROM question_routes").Error; err != nil {
						b.Fatal(err)
					}
				}
				sqls, err := count(db, func(db *gorm.DB) error { _, err := models.RouteQuestions(ctx, db, now); return err })
				if err != nil {
					b.Fatal(err)
				}
				b.Logf("one run: %d statements", len(sqls))
				if os.Getenv("CROWDCARE_BENCH_EXPLAIN") != "" {
					explainRouteRun(b, db, sqls)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					reset()
					b.StartTimer()
					res, err := models.RouteQuestions(ctx, db, now)
					if err != nil {
						b.Fatal(err)
					}
					if res.Routed != 3*rbDue {
						b.Fatalf("routed %d, want %d", res.Routed, 3*rbDue)
					}
				}
				b.StopTimer()
				// A run with nothing left to route (every due question has
				// its experts) is what most scheduled runs are.
				start := time.Now()
				res, err := models.RouteQuestions(ctx, db, now)
				if err != nil || res.Routed != 0 {
					b.Fatalf("idle run: %+v %v", res, err)
				}
				b.Logf("a run with nothing to route: %s", time.Since(start).Round(time.Microsecond))
			})
		}
	}
}

// seedRouteBench writes the benchmark's forum with multi-row INSERTs:
// boards with a one-hour target, experts answering in them, history
// questions (rbExpertRec of them solved by experts, the rest answered by
// members, a tenth unanswered and older than models.RouteMaxAge) and rbDue
// unanswered questions past the target.
func seedRouteBench(b *testing.B, db *gorm.DB, now time.Time, history int) {
	b.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	var boards []*models.Board
	for i := 0; i < rbBoards; i++ {
		bd, err := models.CreateBoard(ctx, db, models.BoardInput{Slug: fmt.Sprintf("board-%d", i), Name: fmt.Sprintf("Board %d", i),
			Visibility: models.VisibilityPublic, FirstResponseMinutes: 60})
		if err != nil {
			b.Fatal(err)
		}
		boards = append(boards, bd)
	}
	users := make([]models.User, rbExperts+rbMembers)
	for i := range users {
		users[i] = models.User{Handle: fmt.Sprintf("user%04d", i), DisplayName: fmt.Sprintf("User %d", i), CreatedAt: now, UpdatedAt: now}
	}
	must(b, db.CreateInBatches(&users, 500).Error)
	var tier int64
	must(b, db.Raw("SELECT id FROM expert_tiers ORDER BY position LIMIT 1").Scan(&tier).Error)
	experts, members := users[:rbExperts], users[rbExperts:]
	for i, u := range experts {
		must(b, db.Create(&models.Expert{UserID: u.ID, TierID: tier, Status: models.ExpertActive, Since: now, UpdatedAt: now}).Error)
		must(b, db.Create(&models.UserRole{UserID: u.ID, Role: models.RoleExpert, CreatedAt: now}).Error)
		must(b, db.Create(&models.ExpertBoard{UserID: u.ID, BoardID: boards[i%rbBoards].ID}).Error)
	}
	tags := make([]models.Tag, rbTags)
	for i := range tags {
		tags[i] = models.Tag{Name: fmt.Sprintf("tag-%d", i)}
	}
	must(b, db.Create(&tags).Error)
	must(b, db.Exec("UPDATE settings SET value = '20' WHERE name = ?", models.SettingRouteMaxOpen).Error)

	type qspec struct {
		at       time.Time
		answerer int64 // 0: unanswered
		accepted bool
	}
	specs := make([]qspec, 0, history+rbDue)
	for i := 0; i < history; i++ {
		at := now.Add(-models.RouteMaxAge - time.Duration(rng.IntN(365*24))*time.Hour)
		switch {
		case i < rbExpertRec:
			specs = append(specs, qspec{at: at, answerer: experts[i%rbExperts].ID, accepted: true})
		case i%10 == 0:
			specs = append(specs, qspec{at: at}) // ancient and unanswered: never routed
		default:
			specs = append(specs, qspec{at: at, answerer: members[rng.IntN(rbMembers)].ID, accepted: i%2 == 0})
		}
	}
	for i := 0; i < rbDue; i++ {
		specs = append(specs, qspec{at: now.Add(-2*time.Hour - time.Duration(i)*97*time.Minute)})
	}
	const chunk = 500
	for start := 0; start < len(specs); start += chunk {
		part := specs[start:min(start+chunk, len(specs))]
		qs := make([]models.Question, len(part))
		for i, s := range part {
			n := 0
			if s.answerer != 0 {
				n = 1
			}
			qs[i] = models.Question{BoardID: boards[(start+i)%rbBoards].ID, AuthorID: members[(start+i)%rbMembers].ID,
				Title: fmt.Sprintf("Question %d", start+i), AnswerCount: n, CreatedAt: s.at, UpdatedAt: s.at, LastActivityAt: s.at}
		}
		must(b, db.Create(&qs).Error)
		var posts []models.Post
		var links []models.QuestionTag
		for i, s := range part {
			q := qs[i]
			posts = append(posts, models.Post{QuestionID: q.ID, AuthorID: q.AuthorID, Kind: models.KindQuestion, BodyMD: "b", BodyHTML: "<p>b</p>", CreatedAt: s.at, UpdatedAt: s.at})
			if s.answerer != 0 {
				posts = append(posts, models.Post{QuestionID: q.ID, AuthorID: s.answerer, Kind: models.KindAnswer, BodyMD: "a", BodyHTML: "<p>a</p>", CreatedAt: s.at, UpdatedAt: s.at})
			}
			t1 := rng.IntN(rbTags)
			t2 := (t1 + 1 + rng.IntN(rbTags-1)) % rbTags
			links = append(links, models.QuestionTag{QuestionID: q.ID, TagID: tags[t1].ID, CreatedAt: s.at},
				models.QuestionTag{QuestionID: q.ID, TagID: tags[t2].ID, CreatedAt: s.at})
		}
		must(b, db.Create(&posts).Error)
		must(b, db.Create(&links).Error)
		var accepted []string
		for i, s := range part {
			if s.accepted {
				accepted = append(accepted, fmt.Sprint(qs[i].ID))
			}
		}
		if len(accepted) > 0 {
			must(b, db.Exec(`UPDATE questions SET accepted_answer_id = (SELECT p.id FROM posts p WHERE p.question_id = questions.id AND p.kind = 'answer')
				WHERE id IN (`+strings.Join(accepted, ",")+`)`).Error)
		}
	}
	if models.DialectOf(db) == models.Postgres {
		must(b, db.Exec("ANALYZE").Error)
	}
}

// explainRouteRun logs the plan of each read a routing run makes before
// its per-question transactions (those read one question and its experts
// by key).
func explainRouteRun(b *testing.B, db *gorm.DB, sqls []string) {
	b.Helper()
	prefix := "EXPLAIN QUERY PLAN "
	if models.DialectOf(db) == models.Postgres {
		prefix = "EXPLAIN (ANALYZE, COSTS OFF) "
	}
	for _, sql := range sqls {
		if strings.Contains(sql, "FOR UPDATE") || strings.HasPrefix(sql, "INSERT") {
			break
		}
		if !strings.HasPrefix(sql, "SELECT") {
			continue
		}
		var lines []string
		rows, err := db.Raw(prefix + sql).Rows()
		if err != nil {
			b.Fatalf("explain %s: %v", sql, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				b.Fatal(err)
			}
			lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
		}
		rows.Close()
		fmt.Fprintf(os.Stderr, "%.300s\n  %s\n", sql, strings.Join(lines, "\n  "))
	}
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
