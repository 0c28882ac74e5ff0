package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crowdcare/crowdcare/jobs"
)

// TestMailThroughTheQueue: a mail task enqueued like any job is delivered
// by the worker; with no SMTP server configured it lands in the data
// folder as an .eml file a newcomer can open.
func TestMailThroughTheQueue(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		task, err := jobs.NewMailTask(jobs.Mail{To: "asha@example.com", Subject: "Welcome", Text: "Hello from the worker", Key: "welcome:asha"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ts.App.client.Enqueue(task, asynq.Queue(ts.App.Cfg.Queue)); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for {
			files, _ := filepath.Glob(filepath.Join(ts.App.Cfg.MailDir(), "*.eml"))
			if len(files) == 1 {
				b, _ := os.ReadFile(files[0])
				if !strings.Contains(string(b), "Hello from the worker") || !strings.Contains(string(b), "From: \"Crowdcare\" <noreply@") {
					t.Errorf("mail file:\n%s", b)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no mail in %s after 15 s (%d files)", ts.App.Cfg.MailDir(), len(files))
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
