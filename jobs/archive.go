package jobs

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hibiken/asynq"

	"github.com/crowdcare/crowdcare/models"
)

// handleArchiveExport produces one archive export into ExportDir. It is
// idempotent: a finished export is left alone, and an export cut short (a
// crash, a redelivery) starts again from nothing, writing a temporary
// file that is renamed into place only when complete, so a download never
// sees half a file and a rerun never duplicates a row.
func (d Deps) handleArchiveExport(ctx context.Context, t *asynq.Task) error {
	var ev models.ArchiveExportEvent
	if err := json.Unmarshal(t.Payload(), &ev); err != nil || ev.ExportID == 0 {
		return fmt.Errorf("archive export payload %q: %w", t.Payload(), asynq.SkipRetry)
	}
	if d.ExportDir == "" {
		return fmt.Errorf("archive export: no export directory: %w", asynq.SkipRetry)
	}
	ex, ok, err := models.ClaimArchiveExport(ctx, d.DB, ev.ExportID, d.now())
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("archive export %d: %w", ev.ExportID, asynq.SkipRetry)
	}
	if err != nil {
		return err
	}
	if !ok {
		return nil // finished by an earlier delivery
	}
	if err := d.writeArchive(ctx, ex); err != nil {
		if ctx.Err() == nil {
			d.logger().Error("archive export failed", "export", ex.ID, "err", err)
			_ = models.FailArchiveExport(context.WithoutCancel(ctx), d.DB, ex.ID, err.Error(), d.now())
			return fmt.Errorf("archive export %d: %v: %w", ex.ID, err, asynq.SkipRetry)
		}
		return err
	}
	return nil
}

func (d Deps) writeArchive(ctx context.Context, ex *models.ArchiveExport) error {
	total, err := models.CountArchiveRows(ctx, d.DB, ex.PeriodFrom, ex.PeriodTo)
	if err != nil {
		return err
	}
	if err := d.DB.WithContext(ctx).Table("archive_exports").Where("id = ?", ex.ID).Update("rows_total", total).Error; err != nil {
		return err
	}
	if err := os.MkdirAll(d.ExportDir, 0o750); err != nil {
		return err
	}
	final := filepath.Join(d.ExportDir, models.ArchiveFileName(ex.ID))
	// A run cut short left its temporary file behind.
	stale, _ := filepath.Glob(final + ".tmp-*")
	for _, f := range stale {
		_ = os.Remove(f)
	}
	tmp, err := os.CreateTemp(d.ExportDir, models.ArchiveFileName(ex.ID)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up otherwise
	defer tmp.Close()
	buf := bufio.NewWriterSize(tmp, 1<<16)
	zw := zip.NewWriter(buf)
	done, err := models.WriteArchive(ctx, d.DB, ex, zw, func(done int64) error {
		return d.DB.WithContext(ctx).Table("archive_exports").Where("id = ?", ex.ID).Update("rows_done", done).Error
	})
	if err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := buf.Flush(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	st, err := tmp.Stat()
	if err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return err
	}
	return models.FinishArchiveExport(ctx, d.DB, ex.ID, done, st.Size(), d.now())
}
