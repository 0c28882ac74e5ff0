package models_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/models"
)

// synthQ is one question of a synthetic stream.
type synthQ struct {
	Board, Author, Title, Body string
	Tags                       []string
	At                         time.Time
}

// trendWorld writes synthetic streams straight into the tables (much
// faster than Ask, and the detector reads only questions, posts and tags)
// and runs the detector over them.
type trendWorld struct {
	t      testing.TB
	db     *gorm.DB
	boards map[string]int64
	users  map[string]int64
	tags   map[string]int64
	n      int
}

func newTrendWorld(t testing.TB, db *gorm.DB) *trendWorld {
	return &trendWorld{t: t, db: db, boards: map[string]int64{}, users: map[string]int64{}, tags: map[string]int64{}}
}

func (w *trendWorld) board(slug string) int64 {
	if id, ok := w.boards[slug]; ok {
		return id
	}
	b, err := models.CreateBoard(context.Background(), w.db, models.BoardInput{Slug: slug, Name: slug, Visibility: models.VisibilityPublic})
	if err != nil {
		w.t.Fatal(err)
	}
	w.boards[slug] = b.ID
	return b.ID
}

func (w *trendWorld) user(handle string) int64 {
	if id, ok := w.users[handle]; ok {
		return id
	}
	u := &models.User{Handle: handle}
	if err := models.CreateUser(context.Background(), w.db, u); err != nil {
		w.t.Fatal(err)
	}
	w.users[handle] = u.ID
	return u.ID
}

func (w *trendWorld) tag(name string) int64 {
	if id, ok := w.tags[name]; ok {
		return id
	}
	tag := models.Tag{Name: name}
	if err := w.db.Create(&tag).Error; err != nil {
		w.t.Fatal(err)
	}
	w.tags[name] = tag.ID
	return tag.ID
}

// add stores questions and returns their external ids (s1, s2, ...).
func (w *trendWorld) add(qs ...synthQ) []string {
	w.t.Helper()
	var ids []string
	for start := 0; start < len(qs); start += 500 {
		chunk := qs[start:min(start+500, len(qs))]
		questions := make([]models.Question, len(chunk))
		for i, q := range chunk {
			w.n++
			ext := fmt.Sprintf("s%d", w.n)
			ids = append(ids, ext)
			at := q.At.UTC().Truncate(time.Microsecond)
			questions[i] = models.Question{BoardID: w.board(q.Board), AuthorID: w.user(q.Author), Title: q.Title,
				ExternalID: &ext, CreatedAt: at, UpdatedAt: at, LastActivityAt: at}
		}
		if err := w.db.Create(&questions).Error; err != nil {
			w.t.Fatal(err)
		}
		posts := make([]models.Post, len(chunk))
		var links []models.QuestionTag
		for i, q := range chunk {
			posts[i] = models.Post{QuestionID: questions[i].ID, AuthorID: questions[i].AuthorID, Kind: models.KindQuestion,
				BodyMD: q.Body, CreatedAt: questions[i].CreatedAt, UpdatedAt: questions[i].CreatedAt}
			for _, tg := range q.Tags {
				links = append(links, models.QuestionTag{QuestionID: questions[i].ID, TagID: w.tag(tg), CreatedAt: questions[i].CreatedAt})
			}
		}
		if err := w.db.Create(&posts).Error; err != nil {
			w.t.Fatal(err)
		}
		if len(links) > 0 {
			if err := w.db.Create(&links).Error; err != nil {
				w.t.Fatal(err)
			}
		}
	}
	return ids
}

// run runs the detector at each step from from to to and returns the
// issues held at the last one.
func (w *trendWorld) run(from, to time.Time, step time.Duration) []models.HeldIssue {
	w.t.Helper()
	var held []models.HeldIssue
	for at := from; !at.After(to); at = at.Add(step) {
		if _, err := models.RunTrends(context.Background(), w.db, models.TrendRunOptions{Until: at}); err != nil {
			w.t.Fatalf("run at %s: %v", at, err)
		}
	}
	held, err := models.HeldIssues(context.Background(), w.db, models.ScopeLive, to, models.TrendConfig{})
	if err != nil {
		w.t.Fatal(err)
	}
	return held
}

// issues returns every stored live issue.
func (w *trendWorld) issues() []models.EmergingIssue {
	w.t.Helper()
	var out []models.EmergingIssue
	if err := w.db.Where("scope = ?", models.ScopeLive).Order("id").Find(&out).Error; err != nil {
		w.t.Fatal(err)
	}
	return out
}

// streamStart is where synthetic streams begin: a Monday, midnight UTC.
var streamStart = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// background is ordinary traffic: recurring topics in five languages with
// a daily rhythm and 40% growth over the stream, as forums have, none of
// them news.
type background struct {
	rng    *rand.Rand
	boards []string
	rate   float64 // questions per hour at the daily peak
	hours  int
	users  int
}

var backgroundTopics = []struct{ title, body string }{
	{"{m} printer shows offline", "My {m} says offline although it is on the network. Restarted twice."},
	{"Paper feeds crooked on {m}", "Every page comes out skewed on the {m}. Cleaned the rollers."},
	{"Cannot install the {m} driver", "The installer stops halfway for the {m}. What can I do?"},
	{"{m} प्रिंटर ऑफ़लाइन दिखा रहा है", "मेरा {m} नेटवर्क पर है फिर भी ऑफ़लाइन दिखाता है।"},
	{"{m} принтерът показва офлайн", "Моят {m} е в мрежата, но показва офлайн."},
	{"{m} அச்சுப்பொறி இணைக்கப்படவில்லை", "என் {m} வலையமைப்பில் இருந்தும் இணைக்கப்படவில்லை."},
	{"{m} ప్రింటర్ కనెక్ట్ కావడం లేదు", "నా {m} నెట్‌వర్క్‌లో ఉన్నా ఆఫ్‌లైన్ చూపిస్తోంది."},
	{"Battery drains fast on {m}", "The {m} loses half its charge overnight while asleep."},
}

var backgroundModels = []string{"P100", "P200", "X5", "Z9", "Q7"}

func (b background) questions() []synthQ {
	var out []synthQ
	for h := 0; h < b.hours; h++ {
		growth := 1 + 0.4*float64(h)/float64(b.hours)
		diurnal := 0.35 + 0.65*(0.5-0.5*math.Cos(2*math.Pi*float64(h%24-3)/24))
		for i := poisson(b.rng, b.rate*growth*diurnal); i > 0; i-- {
			tp := backgroundTopics[b.rng.IntN(len(backgroundTopics))]
			m := backgroundModels[b.rng.IntN(len(backgroundModels))]
			out = append(out, synthQ{
				Board:  b.boards[b.rng.IntN(len(b.boards))],
				Author: fmt.Sprintf("u%05d", 1+b.rng.IntN(b.users)),
				Title:  strings.ReplaceAll(tp.title, "{m}", m),
				Body:   strings.ReplaceAll(tp.body, "{m}", m),
				At:     streamStart.Add(time.Duration(h)*time.Hour + time.Duration(b.rng.IntN(3600))*time.Second),
			})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

func poisson(rng *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// burstTexts is one problem told in five languages; they share the error
// code and the version, as real reports of one problem share its names.
var burstTexts = []struct{ title, body string }{
	{"Error E-733 after update 7.1.4", "Since firmware 7.1.4 the scanner stops with E-733."},
	{"E-733 when scanning since 7.1.4", "Every scan job fails with E-733 after the 7.1.4 update."},
	{"7.1.4 अपडेट के बाद E-733 त्रुटि", "फर्मवेयर 7.1.4 के बाद स्कैनर E-733 पर रुक जाता है।"},
	{"Грешка E-733 след обновяване до 7.1.4", "След 7.1.4 скенерът спира с E-733."},
	{"7.1.4 புதுப்பிப்புக்குப் பிறகு E-733 பிழை", "7.1.4 க்குப் பிறகு ஸ்கேனர் E-733 இல் நிற்கிறது."},
	{"7.1.4 నవీకరణ తర్వాత E-733 లోపం", "7.1.4 తర్వాత స్కానర్ E-733 వద్ద ఆగిపోతోంది."},
}

// burst returns n questions of the burst on board from distinct new askers
// (prefix), spread evenly over span from start, cycling through the
// languages.
func burst(board, prefix string, n int, start time.Time, span time.Duration) []synthQ {
	out := make([]synthQ, n)
	for i := range out {
		tx := burstTexts[i%len(burstTexts)]
		out[i] = synthQ{Board: board, Author: fmt.Sprintf("%s%03d", prefix, i), Title: tx.title, Body: tx.body,
			At: start.Add(time.Duration(i) * span / time.Duration(n))}
	}
	return out
}
