package models_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

func TestSeedDemo(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		rep, err := models.SeedDemo(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Skipped || rep.Users != 10 || rep.Boards != 5 || rep.Questions != 25 || rep.Answers < 20 || rep.Accepted < 8 {
			t.Fatalf("first run: %+v", rep)
		}
		again, err := models.SeedDemo(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Skipped || again != (models.SeedReport{Skipped: true}) {
			t.Fatalf("second run wrote something: %+v", again)
		}
		var questions, answers int64
		db.Model(&models.Question{}).Count(&questions)
		db.Model(&models.Post{}).Where("kind = ?", models.KindAnswer).Count(&answers)
		if questions != 25 || answers != int64(rep.Answers) {
			t.Fatalf("after two runs: %d questions, %d answers; want 25, %d", questions, answers, rep.Answers)
		}
		checkDemoRenders(t, db)
		checkCounts(t, db)
		checkSearchIndex(t, db)
	})
}

// checkDemoRenders loads what the home page and a question page show.
func checkDemoRenders(t *testing.T, db *gorm.DB) {
	t.Helper()
	ctx := context.Background()
	var q models.Question
	if err := db.Where("external_id = ?", "demo-q01").Take(&q).Error; err != nil {
		t.Fatal(err)
	}
	v, err := models.LoadQuestion(ctx, db, nil, q.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Answers) != 2 || v.Solution == nil || v.Solution.Author.Handle != "mira" || len(v.Tags) != 3 {
		t.Fatalf("question page: %d answers, solution %+v, tags %v", len(v.Answers), v.Solution, v.Tags)
	}
	if !strings.Contains(v.Body.BodyHTML, "<ol>") || !strings.Contains(v.Body.BodyHTML, "<pre><code>") {
		t.Errorf("question body was not rendered as Markdown: %s", v.Body.BodyHTML)
	}
	if !v.Answers[1].Author.HasRole(models.RoleEmployee) {
		t.Errorf("ravi's roles: %v", v.Answers[1].Author.Roles)
	}
	if !strings.Contains(v.Solution.BodyHTML, "<code>Settings → Web Services → Update printer</code>") {
		t.Errorf("inline code in the solution: %s", v.Solution.BodyHTML)
	}
	if age := time.Since(v.CreatedAt); age < 20*24*time.Hour {
		t.Errorf("question was asked %v ago, want about 21 days", age)
	}

	latest, next, err := models.ListQuestions(ctx, db, nil, models.ListOptions{Kind: models.ListLatest})
	if err != nil {
		t.Fatal(err)
	}
	// Visitors see the 22 public questions; the 3 early-access ones are hidden.
	if len(latest) != 22 || next != "" {
		t.Fatalf("visitor's latest list: %d questions, next %q", len(latest), next)
	}
	for _, s := range latest {
		if s.BoardSlug == "early-access" {
			t.Errorf("visitor sees early-access question %q", s.Title)
		}
	}
	mira, err := models.UserByHandle(ctx, db, "mira")
	if err != nil {
		t.Fatal(err)
	}
	expertView, _, err := models.ListQuestions(ctx, db, mira, models.ListOptions{Kind: models.ListLatest})
	if err != nil || len(expertView) != 25 {
		t.Fatalf("expert's latest list: %d questions, %v", len(expertView), err)
	}
	waiting, _, err := models.ListQuestions(ctx, db, nil, models.ListOptions{Kind: models.ListUnanswered})
	if err != nil || len(waiting) < 5 {
		t.Fatalf("unanswered list: %d, %v", len(waiting), err)
	}
	for _, s := range waiting {
		if s.AnswerCount != 0 {
			t.Errorf("%q in the unanswered list has %d answers", s.Title, s.AnswerCount)
		}
	}
	if time.Since(waiting[0].CreatedAt) < 24*time.Hour {
		t.Errorf("oldest unanswered question is only %v old", time.Since(waiting[0].CreatedAt))
	}
	for _, query := range []string{"e-301", "प्रिंटर", "பேட்டரி", "పేపర్", "BIOS"} {
		res, _, err := models.Search(ctx, db, nil, query, 1)
		if err != nil || len(res) == 0 {
			t.Errorf("search %q: %d results, %v", query, len(res), err)
		}
	}
}

func TestSeedLarge(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		// On top of the demo, so the shared boards and tags are reused and
		// the counts must add up across both.
		if _, err := models.SeedDemo(ctx, db); err != nil {
			t.Fatal(err)
		}
		var progress []int
		opt := models.LargeSeedOptions{Questions: 300, Users: 80, FiftyEvery: 100, Seed: 7,
			Progress: func(done, total int) { progress = append(progress, done) }}
		if err := models.SeedLarge(ctx, db, opt); err != nil {
			t.Fatal(err)
		}
		if len(progress) == 0 || progress[len(progress)-1] != 300 {
			t.Errorf("progress reports: %v", progress)
		}
		var questions, qposts int64
		db.Model(&models.Question{}).Count(&questions)
		db.Model(&models.Post{}).Where("kind = ?", models.KindQuestion).Count(&qposts)
		if questions != 325 || qposts != 325 {
			t.Fatalf("%d questions with %d question posts; want 325", questions, qposts)
		}
		var fifty []struct {
			QuestionID int64
			Authors    int
		}
		db.Raw(`SELECT question_id, COUNT(DISTINCT author_id) AS authors FROM posts
			WHERE kind = 'answer' GROUP BY question_id HAVING COUNT(*) = 50`).Scan(&fifty)
		if len(fifty) != 3 {
			t.Fatalf("%d questions with 50 answers, want 3", len(fifty))
		}
		for _, f := range fifty {
			if f.Authors != 50 {
				t.Errorf("question %d: 50 answers by %d authors", f.QuestionID, f.Authors)
			}
		}
		var unanswered, accepted int64
		db.Model(&models.Question{}).Where("answer_count = 0").Count(&unanswered)
		db.Model(&models.Question{}).Where("accepted_answer_id IS NOT NULL").Count(&accepted)
		if unanswered < 30 || accepted < 30 {
			t.Errorf("%d unanswered and %d accepted of 325: the seed lacks variety", unanswered, accepted)
		}
		checkCounts(t, db)
		checkSearchIndex(t, db)

		res, _, err := models.Search(ctx, db, nil, "diagnostics", 1)
		if err != nil || len(res) == 0 {
			t.Fatalf("search for seeded text: %d results, %v", len(res), err)
		}
		var q models.Question
		db.Where("answer_count = 50").Take(&q)
		v, err := models.LoadQuestion(ctx, db, nil, q.ID)
		if err != nil || len(v.Answers) != 50 {
			t.Fatalf("50-answer question page: %v", err)
		}
		for i := 1; i < len(v.Answers); i++ {
			if v.Answers[i].CreatedAt.Before(v.Answers[i-1].CreatedAt) || !v.Answers[i].CreatedAt.After(v.CreatedAt) {
				t.Fatalf("answer %d written at %v, before its predecessor or the question", i, v.Answers[i].CreatedAt)
			}
		}
		// Paging through the whole latest list visits every public question once.
		seen := map[int64]bool{}
		for cur := ""; ; {
			page, next, err := models.ListQuestions(ctx, db, nil, models.ListOptions{Kind: models.ListLatest, Cursor: cur})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range page {
				if seen[s.ID] {
					t.Fatalf("question %d listed twice", s.ID)
				}
				seen[s.ID] = true
			}
			if next == "" {
				break
			}
			cur = next
		}
		if len(seen) != 322 {
			t.Errorf("latest list pages hold %d questions, want 322 public ones", len(seen))
		}
	})
}

// checkCounts verifies every cached count against the rows it counts.
func checkCounts(t *testing.T, db *gorm.DB) {
	t.Helper()
	checks := map[string]string{
		"answer_count differs from the live answers": `SELECT COUNT(*) FROM questions q WHERE q.answer_count <>
			(SELECT COUNT(*) FROM posts p WHERE p.question_id = q.id AND p.kind = 'answer' AND p.deleted_at IS NULL)`,
		"board question_count differs from the live questions": `SELECT COUNT(*) FROM boards b WHERE b.question_count <>
			(SELECT COUNT(*) FROM questions q WHERE q.board_id = b.id AND q.deleted_at IS NULL)`,
		"tag question_count differs from the tagged questions": `SELECT COUNT(*) FROM tags t WHERE t.question_count <>
			(SELECT COUNT(*) FROM question_tags qt JOIN questions q ON q.id = qt.question_id
			 WHERE qt.tag_id = t.id AND q.deleted_at IS NULL)`,
		"accepted answer is not an answer of its question": `SELECT COUNT(*) FROM questions q WHERE q.accepted_answer_id IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.id = q.accepted_answer_id AND p.question_id = q.id AND p.kind = 'answer')`,
		"last_activity_at is not the last post": `SELECT COUNT(*) FROM questions q WHERE q.last_activity_at <>
			(SELECT MAX(p.created_at) FROM posts p WHERE p.question_id = q.id)`,
		"tag link time is not the question's": `SELECT COUNT(*) FROM question_tags qt JOIN questions q ON q.id = qt.question_id
			WHERE qt.created_at <> q.created_at`,
	}
	for what, sql := range checks {
		var bad int64
		if err := db.Raw(sql).Scan(&bad).Error; err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if bad != 0 {
			t.Errorf("%d rows: %s", bad, what)
		}
	}
}

// checkSearchIndex verifies that every live post's search entry holds
// exactly the lexemes of its title (for question posts) and body, as
// models.Tokenize produces them.
func checkSearchIndex(t *testing.T, db *gorm.DB) {
	t.Helper()
	var posts []struct {
		ID     int64
		Kind   string
		Title  string
		BodyMD string
	}
	if err := db.Raw(`SELECT p.id, p.kind, q.title, p.body_md FROM posts p JOIN questions q ON q.id = p.question_id
		WHERE p.deleted_at IS NULL`).Scan(&posts).Error; err != nil {
		t.Fatal(err)
	}
	indexed := indexedLexemes(t, db)
	for _, p := range posts {
		text := p.BodyMD
		if p.Kind == models.KindQuestion {
			text = p.Title + "\n" + text
		}
		want := distinctSorted(models.Tokenize(text))
		if got := indexed[p.ID]; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("post %d is indexed as\n%v\nwant\n%v", p.ID, got, want)
		}
	}
	if len(indexed) != len(posts) {
		t.Errorf("%d search entries for %d live posts", len(indexed), len(posts))
	}
}

func indexedLexemes(t *testing.T, db *gorm.DB) map[int64][]string {
	t.Helper()
	var rows []struct {
		ID     int64
		Tokens string
	}
	sql := `SELECT rowid AS id, tokens FROM post_search`
	if models.DialectOf(db) == models.Postgres {
		sql = `SELECT id, array_to_string(tsvector_to_array(search_vector), ' ') AS tokens FROM posts WHERE search_vector IS NOT NULL`
	}
	if err := db.Raw(sql).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[int64][]string{}
	for _, r := range rows {
		out[r.ID] = distinctSorted(strings.Fields(r.Tokens))
	}
	return out
}

func distinctSorted(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] && len(s) <= 100 {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
