package jobs_test

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/jobs"
	"github.com/crowdcare/crowdcare/models"
)

// TestArchiveExportJob: the job writes exactly the period's rows, in
// keyset batches across ties of created_at; a redelivered task changes
// nothing; an export cut short starts again from nothing.
func TestArchiveExportJob(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		admin := &models.User{Handle: "ada", Roles: []models.Role{models.RoleAdmin}}
		if err := models.CreateUser(ctx, db, admin); err != nil {
			t.Fatal(err)
		}
		q := w.ask("A question with many answers")
		from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		db.Exec("UPDATE posts SET created_at = ? WHERE question_id = ?", from.Add(time.Hour), q)
		// 2,500 answers at the same instant: the batches (1,000) must page
		// through ties by id; 10 more outside the period.
		posts := make([]models.Post, 0, 2510)
		for i := 0; i < 2510; i++ {
			at := from.Add(2 * time.Hour)
			if i >= 2500 {
				at = from.AddDate(0, 0, 1)
			}
			posts = append(posts, models.Post{QuestionID: q, AuthorID: w.asker.ID, Kind: models.KindAnswer, BodyMD: "a", BodyHTML: "<p>a</p>", CreatedAt: at, UpdatedAt: at})
		}
		if err := db.Omit("KudosCount").CreateInBatches(posts, 500).Error; err != nil {
			t.Fatal(err)
		}
		ex, err := models.StartArchiveExport(ctx, db, admin, from, from.AddDate(0, 0, 1), models.ArchiveJSONL)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		mux := jobs.NewMux(jobs.Deps{DB: db, Logger: discard(), ExportDir: dir})
		task := asynq.NewTask(models.TaskArchiveExport, []byte(`{"export_id":`+itoa(ex.ID)+`}`))
		// Cut short: a running export with progress and a stale temp file.
		db.Exec("UPDATE archive_exports SET status = 'running', rows_done = 1234 WHERE id = ?", ex.ID)
		os.WriteFile(filepath.Join(dir, models.ArchiveFileName(ex.ID)+".tmp-1"), []byte("junk"), 0o600)
		if err := mux.ProcessTask(ctx, task); err != nil {
			t.Fatal(err)
		}
		got, _ := models.ArchiveExportByID(ctx, db, ex.ID)
		// 2,501 posts; the audit log's export entry was written now, not in March.
		if got.Status != models.ArchiveDone || got.RowsDone != 2501 || got.RowsTotal != 2501 {
			t.Fatalf("export %+v", got)
		}
		path := filepath.Join(dir, models.ArchiveFileName(ex.ID))
		ids := archivePostIDs(t, path)
		if len(ids) != 2501 {
			t.Fatalf("%d distinct posts in the file, want 2501", len(ids))
		}
		if left, _ := filepath.Glob(path + ".tmp-*"); len(left) != 0 {
			t.Errorf("temporary files left: %v", left)
		}
		st1, _ := os.Stat(path)
		for i := 0; i < 2; i++ {
			if err := mux.ProcessTask(ctx, task); err != nil {
				t.Fatal(err)
			}
		}
		st2, _ := os.Stat(path)
		again, _ := models.ArchiveExportByID(ctx, db, ex.ID)
		if !st2.ModTime().Equal(st1.ModTime()) || again.RowsDone != got.RowsDone || !again.FinishedAt.Equal(*got.FinishedAt) {
			t.Error("a redelivered task redid the export")
		}
		if err := mux.ProcessTask(ctx, asynq.NewTask(models.TaskArchiveExport, []byte(`{"export_id":999}`))); err == nil {
			t.Error("an unknown export was accepted")
		}
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// archivePostIDs reads posts.jsonl of an archive and returns its ids,
// failing on a duplicate.
func archivePostIDs(t *testing.T, path string) map[int64]bool {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	ids := map[int64]bool{}
	for _, f := range zr.File {
		if f.Name != "posts.jsonl" {
			continue
		}
		rc, _ := f.Open()
		sc := bufio.NewScanner(rc)
		for sc.Scan() {
			var p models.ArchivePost
			if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if ids[p.ID] {
				t.Fatalf("post %d twice", p.ID)
			}
			ids[p.ID] = true
		}
		rc.Close()
	}
	return ids
}
