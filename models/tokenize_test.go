package models_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", nil},
		{"only punctuation", " ... -- !? ", nil},
		{"english with punctuation", "Hello, World! Printer: (offline)?", []string{"hello", "world", "printer", "offline"}},
		{"apostrophes inside words are dropped", "Don't panic, it’s the printer's fault", []string{"dont", "panic", "its", "the", "printers", "fault"}},
		{"quotes around words split", "'quoted' o' 'x", []string{"quoted", "o", "x"}},
		{"error code stays whole", "Error E-301 again", []string{"error", "e-301", "again"}},
		{"version stays whole", "after update 4.2.1 it broke", []string{"after", "update", "4.2.1", "it", "broke"}},
		{"underscore joins", "set max_retries", []string{"set", "max_retries"}},
		{"trailing dot dropped", "the end.", []string{"the", "end"}},
		{"trailing dashes and dots dropped", "foo- bar-- baz... v2.", []string{"foo", "bar", "baz", "v2"}},
		{"leading dashes dropped", "--verbose -x", []string{"verbose", "x"}},
		{"double separators split", "a..b a--b", []string{"a", "b", "a", "b"}},
		{"hindi keeps vowel signs and viramas", "प्रिंटर काम नहीं कर रहा है", []string{"प्रिंटर", "काम", "नहीं", "कर", "रहा", "है"}},
		{"hindi with danda", "प्रिंटर बंद है। कृपया मदद करें", []string{"प्रिंटर", "बंद", "है", "कृपया", "मदद", "करें"}},
		{"bulgarian lower-cased", "Принтерът НЕ Печата", []string{"принтерът", "не", "печата"}},
		{"tamil words whole", "அச்சுப்பொறி வேலை செய்யவில்லை", []string{"அச்சுப்பொறி", "வேலை", "செய்யவில்லை"}},
		{"telugu words whole", "ప్రింటర్ పనిచేయడం లేదు", []string{"ప్రింటర్", "పనిచేయడం", "లేదు"}},
		{"mixed scripts", "HP LaserJet प्रिंटर принтер E-301", []string{"hp", "laserjet", "प्रिंटर", "принтер", "e-301"}},
		{"emoji dropped", "printer 🖨️ on fire 🔥🔥 👍🏽 ok👌", []string{"printer", "on", "fire", "ok"}},
		{"emoji zwj sequence dropped", "family 👨‍👩‍👧 photo", []string{"family", "photo"}},
		{"keycap emoji keeps its digit only", "press 1️⃣", []string{"press", "1"}},
		{"zero-width joiner does not split a word", "क्\u200dष", []string{"क्ष"}},
		{"stray combining mark is no token", "\u0301 a", []string{"a"}},
		{"decomposed equals composed", "cafe\u0301 café", []string{"café", "café"}},
		{"devanagari digits", "त्रुटि ४०४", []string{"त्रुटि", "४०४"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := models.Tokenize(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("Tokenize(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestTokenizeNFC checks that composed and decomposed spellings of the same
// word give byte-identical tokens, so either one finds the other.
func TestTokenizeNFC(t *testing.T) {
	pairs := [][2]string{
		{"caf\u00e9", "cafe\u0301"},
		{"\u00c5ngstr\u00f6m", "A\u030angstro\u0308m"},
		{"\u0915\u093c", "\u0958"}, // क़: NFC keeps the nukta sequence; the precomposed form is excluded from composition
		{"\u0439", "\u0438\u0306"}, // й
	}
	for _, p := range pairs {
		a, b := models.Tokenize(p[0]), models.Tokenize(p[1])
		if !slices.Equal(a, b) || len(a) != 1 {
			t.Errorf("%q → %q but %q → %q", p[0], a, p[1], b)
		}
	}
}

// FuzzTokenize checks the invariants search and trend detection rely on.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{
		"", "Don't panic: E-301 after 4.2.1.", "प्रिंटर काम नहीं कर रहा है", "Принтерът НЕ печата",
		"அச்சுப்பொறி வேலை", "ప్రింటర్ పనిచేయడం", "🖨️🔥 1️⃣", "cafe\u0301", "a-\u0301b", "\xff\xfe bad utf8",
		"İSTANBUL ΣΊΣΥΦΟΣ", "x.-y_'z'", "\u200d\u0301\ufe0f",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := models.Tokenize(s)
		for _, tok := range toks {
			if tok == "" {
				t.Fatalf("empty token from %q", s)
			}
			if !utf8.ValidString(tok) {
				t.Fatalf("invalid UTF-8 token %q from %q", tok, s)
			}
			if strings.ToLower(tok) != tok {
				t.Fatalf("token %q from %q is not lower-case", tok, s)
			}
			if strings.IndexFunc(tok, unicode.IsSpace) >= 0 {
				t.Fatalf("token %q from %q holds whitespace", tok, s)
			}
			// A token must find itself: searching for it yields exactly it.
			if again := models.Tokenize(tok); len(again) != 1 || again[0] != tok {
				t.Fatalf("token %q from %q tokenizes again as %q", tok, s, again)
			}
		}
	})
}

// TestSearchLanguages indexes questions in Bulgarian, Tamil and Telugu and
// finds them by whole words and by a prefix of the last word, on every
// backend; a question on a staff-only board stays hidden from a visitor.
func TestSearchLanguages(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		asker := &models.User{Handle: "asker"}
		staff := &models.User{Handle: "staffer", Roles: []models.Role{models.RoleEmployee}}
		for _, u := range []*models.User{asker, staff} {
			if err := models.CreateUser(ctx, db, u); err != nil {
				t.Fatal(err)
			}
		}
		mustBoard(t, db, "public-help", models.VisibilityPublic)
		mustBoard(t, db, "staff-room", models.VisibilityStaff)
		ask := func(board, title, body string, by *models.User) int64 {
			t.Helper()
			q, err := models.Ask(ctx, db, by, models.AskInput{Board: board, Title: title, Body: body})
			if err != nil {
				t.Fatalf("ask %q: %v", title, err)
			}
			return q.ID
		}
		bg := ask("public-help", "Принтерът не печата", "След обновяването показва грешка E-301.", asker)
		ta := ask("public-help", "அச்சுப்பொறி வேலை செய்யவில்லை", "புதுப்பிப்புக்குப் பிறகு பிழை காட்டுகிறது.", asker)
		te := ask("public-help", "ప్రింటర్ పనిచేయడం లేదు", "నవీకరణ తర్వాత లోపం చూపిస్తుంది.", asker)
		secret := ask("staff-room", "Прототип скенер изтичане", "Вътрешна информация за скенера.", staff)

		cases := []struct {
			query string
			want  []int64
		}{
			{"принтерът", []int64{bg}},
			{"ПРИНТЕРЪТ НЕ", []int64{bg}},        // lower-cased like the index
			{"принтерът печ", []int64{bg}},       // prefix of the last word
			{"печ принтерът", nil},               // only the last word is a prefix
			{"грешка e-301", []int64{bg}},        // body text, error code whole
			{"e-30", []int64{bg}},                // the prefix keeps the dash
			{"п", []int64{bg}},                   // "прототип" is on the staff board
			{"அச்சுப்பொறி", []int64{ta}},         // whole Tamil word
			{"அச்சுப்பொறி செய்ய", []int64{ta}},   // Tamil prefix
			{"அச்சு", []int64{ta}},               // Tamil prefix alone
			{"செய்யவில்லை வேலை", []int64{ta}},    // order does not matter
			{"பிழை", []int64{ta}},                // Tamil body word
			{"ప్రింటర్", []int64{te}},            // whole Telugu word
			{"ప్రింటర్ పనిచే", []int64{te}},      // Telugu prefix
			{"ప్రి", []int64{te}},                // Telugu prefix alone
			{"లోపం", []int64{te}},                // Telugu body word
			{"பிழை ప్రింటర్", nil},               // every term must match one post
			{"скенер", nil},                      // staff-only title, visitor
			{"вътрешна информация", nil},         // staff-only body, visitor
			{"принтерът-печата", nil},            // joined by a dash it is one term
			{"печата.", []int64{bg}},             // trailing dot dropped
			{"(принтерът)", []int64{bg}},         // brackets dropped
			{"принтерът 🖨️", []int64{bg}},        // emoji ignored
			{"ప్రింటర్\ufe0f", []int64{te}},      // variation selector ignored
			{"NEAR(принтерът)", nil},             // FTS5 syntax is just words
			{"принтерът & !печата", []int64{bg}}, // tsquery syntax is just words
			{"принтерът:*", []int64{bg}},         // tsquery syntax is just words
			{"скенер*", nil},                     // a star is no wildcard past the visibility check
			{"...", nil},                         // nothing searchable
		}
		for _, c := range cases {
			if got := searchIDs(t, db, nil, c.query); !slices.Equal(got, c.want) {
				t.Errorf("visitor search %q: got %v, want %v", c.query, got, c.want)
			}
		}
		if got := searchIDs(t, db, staff, "скенер"); !slices.Equal(got, []int64{secret}) {
			t.Errorf("staff search for the staff-only question: got %v, want [%d]", got, secret)
		}
		if got := searchIDs(t, db, asker, "скенер"); len(got) != 0 {
			t.Errorf("member search for the staff-only question: got %v", got)
		}
	})
}

func mustBoard(t *testing.T, db *gorm.DB, slug string, v models.Visibility) {
	t.Helper()
	if _, err := models.CreateBoard(context.Background(), db, models.BoardInput{Slug: slug, Name: slug, Visibility: v}); err != nil {
		t.Fatal(err)
	}
}

func searchIDs(t *testing.T, db *gorm.DB, viewer *models.User, query string) []int64 {
	t.Helper()
	res, _, err := models.Search(context.Background(), db, viewer, query, 1)
	if err != nil {
		t.Fatalf("search %q: %v", query, err)
	}
	var ids []int64
	for _, r := range res {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	return ids
}
