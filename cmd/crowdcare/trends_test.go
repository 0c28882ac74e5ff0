package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/crowdcare/crowdcare/internal/testenv"
)

// writeStream writes a small stream in the evaluation's post format: four
// days of ordinary questions with answers, then twenty people reporting
// one error, in English and Hindi. It returns the file, the burst's
// question ids and every question's time.
func writeStream(t *testing.T) (string, map[string]bool, map[string]time.Time) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 1))
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	type post map[string]any
	var posts []post
	asked := map[string]time.Time{}
	n := 0
	question := func(at time.Time, author, lang, title, body string) string {
		n++
		id := fmt.Sprintf("q%05d", n)
		asked[id] = at
		posts = append(posts, post{"id": id, "type": "question", "board": "printers", "author": author, "lang": lang,
			"title": title, "body": body, "tags": []string{"printing"}, "created_at": at.Format(time.RFC3339)})
		if rng.IntN(2) == 0 {
			posts = append(posts, post{"id": "a" + id[1:], "type": "answer", "topic": id, "author": fmt.Sprintf("u%04d", rng.IntN(300)),
				"body": "Restart it and try again.", "created_at": at.Add(40 * time.Minute).Format(time.RFC3339)})
		}
		return id
	}
	titles := []string{"Printer shows offline", "Paper feeds crooked", "Cannot install the driver", "प्रिंटर ऑफ़लाइन दिखा रहा है"}
	for h := 0; h < 100; h++ {
		for i := 0; i < 2+rng.IntN(4); i++ {
			tl := titles[rng.IntN(len(titles))]
			question(start.Add(time.Duration(h)*time.Hour+time.Duration(rng.IntN(3600))*time.Second),
				fmt.Sprintf("u%04d", rng.IntN(300)), "en", tl, tl+" since this morning, please help.")
		}
	}
	burst := map[string]bool{}
	onset := start.Add(90 * time.Hour)
	for i := 0; i < 20; i++ {
		title, lang := "Error E-733 after update 7.1.4", "en"
		if i%3 == 2 {
			title, lang = "7.1.4 अपडेट के बाद E-733 त्रुटि", "hi"
		}
		burst[question(onset.Add(time.Duration(i)*15*time.Minute), fmt.Sprintf("b%03d", i), lang, title, "The scanner stops with E-733.")] = true
	}
	sort.SliceStable(posts, func(i, j int) bool { return posts[i]["created_at"].(string) < posts[j]["created_at"].(string) })
	var buf bytes.Buffer
	for _, p := range posts {
		b, _ := json.Marshal(p)
		buf.Write(append(b, '\n'))
	}
	file := filepath.Join(t.TempDir(), "stream.jsonl")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return file, burst, asked
}

// TestImportAndBacktestCommands imports a stream with `crowdcare import`
// (twice: the second adds nothing) and replays it with `crowdcare trends
// backtest`: the burst is one issue, and no line holds a question asked
// after the line's time.
func TestImportAndBacktestCommands(t *testing.T) {
	file, burst, asked := writeStream(t)
	for _, b := range testenv.Backends() {
		t.Run(string(b), func(t *testing.T) {
			ctx := context.Background()
			env := envOf(backendEnv(t, b, t.TempDir()))
			var out bytes.Buffer
			if err := run(ctx, []string{"import", file}, env, &out); err != nil {
				t.Fatalf("import: %v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), fmt.Sprintf("imported %d questions", len(asked))) {
				t.Fatalf("import said:\n%s", out.String())
			}
			out.Reset()
			if err := run(ctx, []string{"import", file}, env, &out); err != nil || !strings.Contains(out.String(), "imported 0 questions and 0 answers") {
				t.Fatalf("second import: %v\n%s", err, out.String())
			}
			out.Reset()
			err := run(ctx, []string{"trends", "backtest", "--from", "2026-03-02T00:00:00Z", "--to", "2026-03-06T04:00:00Z", "--step", "1h"}, env, &out)
			if err != nil {
				t.Fatalf("backtest: %v", err)
			}
			issues := map[string]bool{}
			sc := bufio.NewScanner(&out)
			sc.Buffer(nil, 1<<20)
			var last []string
			for sc.Scan() {
				var line struct {
					At     string   `json:"at"`
					Issue  string   `json:"issue"`
					Topics []string `json:"topics"`
					Terms  []string `json:"terms"`
				}
				if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
					t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
				}
				at, err := time.Parse(time.RFC3339, line.At)
				if err != nil || line.Issue == "" || len(line.Terms) == 0 {
					t.Fatalf("bad line %q", sc.Text())
				}
				for _, q := range line.Topics {
					if asked[q].After(at) {
						t.Fatalf("the line at %s holds %s, asked at %s", line.At, q, asked[q])
					}
				}
				issues[line.Issue] = true
				last = line.Topics
			}
			if len(issues) != 1 {
				t.Fatalf("%d issues in the replay, want the one burst", len(issues))
			}
			in := 0
			for _, q := range last {
				if burst[q] {
					in++
				}
			}
			if in < 18 || in < len(last)*9/10 {
				t.Errorf("the issue holds %d of the 20 burst questions among %d", in, len(last))
			}
		})
	}
}

// TestImportReportsBadLines: a bad line fails the command after the good
// ones are in, naming the line.
func TestImportReportsBadLines(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.jsonl")
	content := `{"id": "q1", "type": "question", "board": "printers", "author": "u0001", "title": "Printer shows offline", "body": "Since today.", "created_at": "2026-03-02T10:00:00Z"}
{"id": "q2", "type": "question", "board": "printers", "author": "u0002", "title": "Bad time", "body": "x", "created_at": "soon"}
`
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	env := envOf(map[string]string{"CROWDCARE_DATA_DIR": t.TempDir()})
	err := run(context.Background(), []string{"import", file}, env, &out)
	if err == nil || !strings.Contains(err.Error(), "1 bad lines") || !strings.Contains(out.String(), "line 2 (q2)") ||
		!strings.Contains(out.String(), "imported 1 questions") {
		t.Fatalf("import of a bad line: %v\n%s", err, out.String())
	}
}

// TestTrendsCommandUsage: missing or malformed arguments are refused with
// the usage, and --help documents both commands.
func TestTrendsCommandUsage(t *testing.T) {
	env := envOf(map[string]string{"CROWDCARE_DATA_DIR": t.TempDir()})
	for _, args := range [][]string{{"import"}, {"import", "a", "b"}, {"import", filepath.Join(t.TempDir(), "missing.jsonl")},
		{"trends"}, {"trends", "forecast"}, {"trends", "backtest"}, {"trends", "backtest", "--from", "2026-03-02T00:00:00Z"},
		{"trends", "backtest", "--from", "monday", "--to", "2026-03-02T00:00:00Z"},
		{"trends", "backtest", "--from", "2026-03-03T00:00:00Z", "--to", "2026-03-02T00:00:00Z"},
		{"trends", "backtest", "--from", "2026-03-02T00:00:00Z", "--to", "2026-03-03T00:00:00Z", "--step", "0s"}} {
		if err := run(context.Background(), args, env, &bytes.Buffer{}); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, env, &out); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"import FILE.jsonl", "trends backtest --from TIME --to TIME"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("--help does not document %q", s)
		}
	}
}
