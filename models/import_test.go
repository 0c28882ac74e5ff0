package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// importStream has good lines (an answer that comes, in the same second,
// before its question) and one bad line of each kind.
const importStream = `{"id": "q1", "type": "question", "board": "printers", "author": "u00001", "lang": "en", "title": "Scanner stops with E-301", "body": "Since 4.2.1 every scan fails.", "tags": ["scan"], "created_at": "2026-03-02T10:00:00Z"}
{not json
{"type": "question", "board": "printers", "author": "u00002", "title": "No id here at all", "body": "x", "created_at": "2026-03-02T10:01:00Z"}
{"id": "c1", "type": "comment", "author": "u00002", "body": "Me too", "created_at": "2026-03-02T10:02:00Z"}
{"id": "q2", "type": "question", "board": "printers", "author": "not a handle", "title": "Bad author handle", "body": "x", "created_at": "2026-03-02T10:03:00Z"}
{"id": "q3", "type": "question", "board": "printers", "author": "u00003", "title": "Bad time here", "body": "x", "created_at": "yesterday"}
{"id": "q4", "type": "question", "board": "printers", "author": "newbie", "title": "Hi", "body": "too short a title", "created_at": "2026-03-02T10:04:00Z"}
{"id": "a9", "type": "answer", "topic": "q999", "author": "u00004", "body": "Nobody asked this", "created_at": "2026-03-02T10:05:00Z"}
{"id": "q5", "type": "question", "board": "Bad Board", "author": "u00005", "title": "A board that is no slug", "body": "x", "created_at": "2026-03-02T10:06:00Z"}
{"id": "a1", "type": "answer", "topic": "q6", "author": "u00001", "lang": "hi", "body": "मेरे साथ भी यही हो रहा है।", "created_at": "2026-03-02T11:00:00Z"}
{"id": "q6", "type": "question", "board": "mobile-app", "author": "u00006", "lang": "hi", "title": "ऐप खुलते ही बंद हो जाता है", "body": "iOS 18.2 के बाद ऐप बंद हो जाता है।", "created_at": "2026-03-02T11:00:00Z"}
{"id": "a2", "type": "answer", "topic": "q1", "author": "u00006", "body": "Same here, following.", "created_at": "2026-03-02T12:00:00Z"}
`

// TestImportJSONL: good lines go in with their ids, users, boards and
// languages; each bad line is reported by number and leaves nothing
// behind; a second import adds nothing.
func TestImportJSONL(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		rep, err := models.ImportJSONL(ctx, db, strings.NewReader(importStream), models.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Questions != 2 || rep.Answers != 2 || rep.Boards != 2 || rep.Existing != 0 {
			t.Fatalf("report %+v, want 2 questions, 2 answers, 2 boards", rep)
		}
		wantLines := map[int]string{2: "not a post", 3: "id is missing", 4: `type "comment"`, 5: "not a valid handle",
			6: "RFC 3339", 7: "title: too short", 8: `topic "q999"`, 9: "not a valid slug"}
		if len(rep.Errors) != len(wantLines) {
			t.Errorf("%d bad lines reported, want %d: %v", len(rep.Errors), len(wantLines), rep.Errors)
		}
		for _, e := range rep.Errors {
			if want, ok := wantLines[e.Line]; !ok || !strings.Contains(e.Error(), want) {
				t.Errorf("line %d: %q, want it to mention %q", e.Line, e.Error(), want)
			}
		}
		if _, err := models.UserByHandle(ctx, db, "newbie"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("the author of a refused question was created: %v", err)
		}
		var q struct {
			ExternalID string
			Lang       string
			Answers    int `gorm:"column:answer_count"`
		}
		if err := db.Raw(`SELECT external_id, lang, answer_count FROM questions WHERE external_id = 'q6'`).Scan(&q).Error; err != nil || q.Lang != "hi" || q.Answers != 1 {
			t.Errorf("q6: %+v, %v; want lang hi and its early answer", q, err)
		}
		before := importCounts(t, db)
		rep, err = models.ImportJSONL(ctx, db, strings.NewReader(importStream), models.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Questions != 0 || rep.Answers != 0 || rep.Users != 0 || rep.Existing != 4 {
			t.Errorf("second import %+v, want the 4 posts found and nothing added", rep)
		}
		if after := importCounts(t, db); after != before {
			t.Errorf("second import changed the forum: %v -> %v", before, after)
		}
	})
}

func importCounts(t *testing.T, db *gorm.DB) [4]int64 {
	t.Helper()
	var n [4]int64
	for i, table := range []string{"users", "boards", "questions", "posts"} {
		if err := db.Table(table).Count(&n[i]).Error; err != nil {
			t.Fatal(err)
		}
	}
	return n
}
