package models

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Archive exports for compliance: every post (questions and answers, the
// deleted ones flagged), post revision and audit log entry written in a
// period, as JSON lines or CSV in one zip, produced by a job.

// TaskArchiveExport produces one archive export (ArchiveExportEvent).
const TaskArchiveExport = "archive:export"

// ArchiveExportEvent is the payload of TaskArchiveExport.
type ArchiveExportEvent struct {
	ExportID int64 `json:"export_id"`
}

// Archive formats and statuses.
const (
	ArchiveJSONL = "jsonl"
	ArchiveCSV   = "csv"

	ArchiveQueued  = "queued"
	ArchiveRunning = "running"
	ArchiveDone    = "done"
	ArchiveFailed  = "failed"
)

// ArchiveMaxDays bounds an export's period.
const ArchiveMaxDays = 3660

// archiveBatch is how many rows one keyset query reads.
const archiveBatch = 1000

// ArchiveExport is one export and its progress.
type ArchiveExport struct {
	ID          int64
	RequestedBy int64
	Format      string
	PeriodFrom  time.Time
	PeriodTo    time.Time
	Status      string
	RowsTotal   int64
	RowsDone    int64
	FileName    string
	FileSize    int64
	Error       string
	CreatedAt   time.Time
	StartedAt   *time.Time
	FinishedAt  *time.Time
	// RequesterHandle is filled by the list.
	RequesterHandle string `gorm:"->;-:migration"`
}

// Finished reports whether the export will not change any more.
func (e *ArchiveExport) Finished() bool { return e.Status == ArchiveDone || e.Status == ArchiveFailed }

// Percent is the progress in whole percent.
func (e *ArchiveExport) Percent() int {
	if e.Status == ArchiveDone {
		return 100
	}
	if e.RowsTotal == 0 {
		return 0
	}
	return int(100 * e.RowsDone / e.RowsTotal)
}

// LastDay is the last day of the period (its end is exclusive).
func (e *ArchiveExport) LastDay() time.Time { return e.PeriodTo.UTC().AddDate(0, 0, -1) }

// ArchiveFileName is the name of an export's file: made from its id only,
// so no input ever reaches a path.
func ArchiveFileName(id int64) string { return fmt.Sprintf("export-%d.zip", id) }

// StartArchiveExport records an export of [from, to) requested by admin
// and queues its job through the outbox, with an audit entry, in one
// transaction. Bad input is a validation error and writes nothing.
func StartArchiveExport(ctx context.Context, db *gorm.DB, admin *User, from, to time.Time, format string) (*ArchiveExport, error) {
	if !admin.HasRole(RoleAdmin) {
		return nil, ErrForbidden
	}
	v := &ValidationError{}
	if format != ArchiveJSONL && format != ArchiveCSV {
		v.Add("format", "error.invalid", nil)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !from.Before(to) || to.Sub(from) > ArchiveMaxDays*24*time.Hour {
		return nil, errors.New("archive export: bad period")
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	ex := &ArchiveExport{RequestedBy: admin.ID, Format: format, PeriodFrom: from.UTC(), PeriodTo: to.UTC(), Status: ArchiveQueued, CreatedAt: now}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Omit("RequesterHandle").Create(ex).Error; err != nil {
			return fmt.Errorf("create archive export: %w", err)
		}
		if err := Enqueue(tx, TaskArchiveExport, ArchiveExportEvent{ExportID: ex.ID}); err != nil {
			return err
		}
		return Audit(tx, &admin.ID, "archive.export", nil, fmt.Sprintf("#%d %s %s to %s", ex.ID, format,
			ex.PeriodFrom.Format(time.DateOnly), ex.LastDay().Format(time.DateOnly)))
	})
	if err != nil {
		return nil, err
	}
	return ex, nil
}

// ArchiveExports lists the latest exports, newest first.
func ArchiveExports(ctx context.Context, db *gorm.DB, limit int) ([]ArchiveExport, error) {
	var out []ArchiveExport
	err := db.WithContext(ctx).Table("archive_exports e").Select("e.*, u.handle AS requester_handle").
		Joins("LEFT JOIN users u ON u.id = e.requested_by").Order("e.id DESC").Limit(limit).Scan(&out).Error
	return out, err
}

// ArchiveExportByID returns one export.
func ArchiveExportByID(ctx context.Context, db *gorm.DB, id int64) (*ArchiveExport, error) {
	var out []ArchiveExport
	err := db.WithContext(ctx).Table("archive_exports e").Select("e.*, u.handle AS requester_handle").
		Joins("LEFT JOIN users u ON u.id = e.requested_by").Where("e.id = ?", id).Scan(&out).Error
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}

// ClaimArchiveExport marks an export running from the start (rows_done 0)
// and returns it; ok is false for an export already finished, which a
// redelivered task then leaves alone.
func ClaimArchiveExport(ctx context.Context, db *gorm.DB, id int64, now time.Time) (*ArchiveExport, bool, error) {
	res := db.WithContext(ctx).Table("archive_exports").Where("id = ? AND status IN ?", id, []string{ArchiveQueued, ArchiveRunning}).
		Updates(map[string]any{"status": ArchiveRunning, "rows_done": 0, "started_at": now.UTC()})
	if res.Error != nil {
		return nil, false, fmt.Errorf("claim archive export %d: %w", id, res.Error)
	}
	ex, err := ArchiveExportByID(ctx, db, id)
	if err != nil {
		return nil, false, err
	}
	return ex, res.RowsAffected == 1, nil
}

// FinishArchiveExport records the finished file.
func FinishArchiveExport(ctx context.Context, db *gorm.DB, id int64, done, size int64, now time.Time) error {
	return db.WithContext(ctx).Table("archive_exports").Where("id = ? AND status = ?", id, ArchiveRunning).
		Updates(map[string]any{"status": ArchiveDone, "rows_done": done, "rows_total": done, "file_name": ArchiveFileName(id),
			"file_size": size, "finished_at": now.UTC(), "error": ""}).Error
}

// FailArchiveExport records an export that cannot be produced.
func FailArchiveExport(ctx context.Context, db *gorm.DB, id int64, cause string, now time.Time) error {
	return db.WithContext(ctx).Table("archive_exports").Where("id = ? AND status <> ?", id, ArchiveDone).
		Updates(map[string]any{"status": ArchiveFailed, "error": trimTo(cause, 500), "finished_at": now.UTC()}).Error
}

// archiveRow is one exported row.
type archiveRow interface {
	key() (time.Time, int64)
	cells() []string
}

// ArchivePost is a question or an answer in the archive.
type ArchivePost struct {
	ID           int64      `json:"id"`
	Kind         string     `json:"kind"`
	QuestionID   int64      `json:"question_id"`
	BoardID      int64      `json:"board_id"`
	BoardSlug    string     `json:"board"`
	AuthorID     int64      `json:"author_id"`
	AuthorHandle string     `json:"author"`
	Title        string     `json:"title,omitempty"`
	BodyMD       string     `json:"body_md" gorm:"column:body_md"`
	Official     bool       `json:"official"`
	VerifiedBy   *int64     `json:"verified_by"`
	CreatedAt    time.Time  `json:"created_at"`
	EditedAt     *time.Time `json:"edited_at"`
	DeletedAt    *time.Time `json:"deleted_at"`
	Deleted      bool       `json:"deleted"`
	// QuestionDeletedAt marks a question's body deleted with its question.
	QuestionDeletedAt *time.Time `json:"-"`
}

func (p *ArchivePost) key() (time.Time, int64) { return p.CreatedAt, p.ID }
func (p *ArchivePost) cells() []string {
	return []string{i64(p.ID), p.Kind, i64(p.QuestionID), i64(p.BoardID), p.BoardSlug, i64(p.AuthorID), p.AuthorHandle,
		p.Title, p.BodyMD, strconv.FormatBool(p.Official), pi64(p.VerifiedBy), ts(&p.CreatedAt), ts(p.EditedAt), ts(p.DeletedAt),
		strconv.FormatBool(p.Deleted)}
}

// ArchiveRevision is what a post said before an edit.
type ArchiveRevision struct {
	ID           int64     `json:"id"`
	PostID       int64     `json:"post_id"`
	EditorID     int64     `json:"editor_id"`
	EditorHandle string    `json:"editor"`
	Title        string    `json:"title,omitempty"`
	BodyMD       string    `json:"body_md" gorm:"column:body_md"`
	CreatedAt    time.Time `json:"created_at"`
}

func (r *ArchiveRevision) key() (time.Time, int64) { return r.CreatedAt, r.ID }
func (r *ArchiveRevision) cells() []string {
	return []string{i64(r.ID), i64(r.PostID), i64(r.EditorID), r.EditorHandle, r.Title, r.BodyMD, ts(&r.CreatedAt)}
}

// ArchiveAudit is an audit log entry (moderation actions among them).
type ArchiveAudit struct {
	ID           int64     `json:"id"`
	ActorID      *int64    `json:"actor_id"`
	ActorHandle  string    `json:"actor"`
	Action       string    `json:"action"`
	TargetUserID *int64    `json:"target_user_id"`
	TargetHandle string    `json:"target"`
	Detail       string    `json:"detail"`
	CreatedAt    time.Time `json:"created_at"`
}

func (a *ArchiveAudit) key() (time.Time, int64) { return a.CreatedAt, a.ID }
func (a *ArchiveAudit) cells() []string {
	return []string{i64(a.ID), pi64(a.ActorID), a.ActorHandle, a.Action, pi64(a.TargetUserID), a.TargetHandle, a.Detail, ts(&a.CreatedAt)}
}

// ArchiveModeration is a moderation action, with its reason.
type ArchiveModeration struct {
	ID           int64     `json:"id"`
	Action       string    `json:"action"`
	ActorID      int64     `json:"actor_id"`
	ActorHandle  string    `json:"actor"`
	TargetUserID *int64    `json:"target_user_id"`
	PostID       *int64    `json:"post_id"`
	QuestionID   *int64    `json:"question_id"`
	Reason       string    `json:"reason"`
	Detail       string    `json:"detail"`
	CreatedAt    time.Time `json:"created_at"`
}

func (m *ArchiveModeration) key() (time.Time, int64) { return m.CreatedAt, m.ID }
func (m *ArchiveModeration) cells() []string {
	return []string{i64(m.ID), m.Action, i64(m.ActorID), m.ActorHandle, pi64(m.TargetUserID), pi64(m.PostID), pi64(m.QuestionID),
		m.Reason, m.Detail, ts(&m.CreatedAt)}
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }
func pi64(n *int64) string {
	if n == nil {
		return ""
	}
	return i64(*n)
}
func ts(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// ArchiveFiles names the files of an archive, in order.
var ArchiveFiles = []string{"posts", "revisions", "moderation_actions", "audit_log"}

const keyset = ` AND (%s.created_at > ? OR (%s.created_at = ? AND %s.id > ?)) ORDER BY %s.created_at, %s.id LIMIT ?`

func keysetClause(alias string) string {
	return fmt.Sprintf(keyset, alias, alias, alias, alias, alias)
}

var archivePostsSQL = `SELECT p.id, p.kind, p.question_id, q.board_id, b.slug AS board_slug, p.author_id, u.handle AS author_handle,
		CASE WHEN p.kind = 'question' THEN q.title ELSE '' END AS title, p.body_md, p.official, p.verified_by,
		p.created_at, p.edited_at, p.deleted_at, q.deleted_at AS question_deleted_at
	FROM posts p JOIN questions q ON q.id = p.question_id JOIN boards b ON b.id = q.board_id JOIN users u ON u.id = p.author_id
	WHERE p.created_at >= ? AND p.created_at < ?` + keysetClause("p")

var archiveRevisionsSQL = `SELECT r.id, r.post_id, r.editor_id, u.handle AS editor_handle, r.title, r.body_md, r.created_at
	FROM post_revisions r JOIN users u ON u.id = r.editor_id
	WHERE r.created_at >= ? AND r.created_at < ?` + keysetClause("r")

var archiveAuditSQL = `SELECT a.id, a.actor_id, COALESCE(au.handle, '') AS actor_handle, a.action, a.target_user_id,
		COALESCE(tu.handle, '') AS target_handle, a.detail, a.created_at
	FROM audit_log a LEFT JOIN users au ON au.id = a.actor_id LEFT JOIN users tu ON tu.id = a.target_user_id
	WHERE a.created_at >= ? AND a.created_at < ?` + keysetClause("a")

var archiveModerationSQL = `SELECT m.id, m.action, m.actor_id, u.handle AS actor_handle, m.target_user_id, m.post_id,
		m.question_id, m.reason, m.detail, m.created_at
	FROM moderation_actions m JOIN users u ON u.id = m.actor_id
	WHERE m.created_at >= ? AND m.created_at < ?` + keysetClause("m")

// The CSV headers: field names for programs, the same in every language.
var (
	archivePostHeader       = []string{"id", "kind", "question_id", "board_id", "board", "author_id", "author", "title", "body_md", "official", "verified_by", "created_at", "edited_at", "deleted_at", "deleted"}
	archiveRevisionHeader   = []string{"id", "post_id", "editor_id", "editor", "title", "body_md", "created_at"}
	archiveModerationHeader = []string{"id", "action", "actor_id", "actor", "target_user_id", "post_id", "question_id", "reason", "detail", "created_at"}
	archiveAuditHeader      = []string{"id", "actor_id", "actor", "action", "target_user_id", "target", "detail", "created_at"}
)

// CountArchiveRows counts the rows an export of [from, to) holds.
func CountArchiveRows(ctx context.Context, db *gorm.DB, from, to time.Time) (int64, error) {
	var total int64
	for _, table := range []string{"posts", "post_revisions", "moderation_actions", "audit_log"} {
		var n int64
		if err := db.WithContext(ctx).Table(table).Where("created_at >= ? AND created_at < ?", from.UTC(), to.UTC()).Count(&n).Error; err != nil {
			return 0, fmt.Errorf("count %s: %w", table, err)
		}
		total += n
	}
	return total, nil
}

// WriteArchive writes the files of ex into zw, one kind after the other,
// reading each in keyset batches so memory stays bounded, and calls
// progress with the rows written so far after every batch. It returns the
// number of rows written.
func WriteArchive(ctx context.Context, db *gorm.DB, ex *ArchiveExport, zw *zip.Writer, progress func(done int64) error) (int64, error) {
	db = db.WithContext(ctx)
	var done int64
	kinds := []struct {
		name, sql string
		header    []string
		read      func(sql string, args []any) ([]archiveRow, error)
	}{
		{"posts", archivePostsSQL, archivePostHeader, func(sql string, args []any) ([]archiveRow, error) {
			var rows []*ArchivePost
			err := db.Raw(sql, args...).Scan(&rows).Error
			out := make([]archiveRow, len(rows))
			for i, r := range rows {
				if r.DeletedAt == nil && r.Kind == KindQuestion {
					r.DeletedAt = r.QuestionDeletedAt
				}
				r.Deleted = r.DeletedAt != nil
				out[i] = r
			}
			return out, err
		}},
		{"revisions", archiveRevisionsSQL, archiveRevisionHeader, func(sql string, args []any) ([]archiveRow, error) {
			var rows []*ArchiveRevision
			err := db.Raw(sql, args...).Scan(&rows).Error
			out := make([]archiveRow, len(rows))
			for i, r := range rows {
				out[i] = r
			}
			return out, err
		}},
		{"moderation_actions", archiveModerationSQL, archiveModerationHeader, func(sql string, args []any) ([]archiveRow, error) {
			var rows []*ArchiveModeration
			err := db.Raw(sql, args...).Scan(&rows).Error
			out := make([]archiveRow, len(rows))
			for i, r := range rows {
				out[i] = r
			}
			return out, err
		}},
		{"audit_log", archiveAuditSQL, archiveAuditHeader, func(sql string, args []any) ([]archiveRow, error) {
			var rows []*ArchiveAudit
			err := db.Raw(sql, args...).Scan(&rows).Error
			out := make([]archiveRow, len(rows))
			for i, r := range rows {
				out[i] = r
			}
			return out, err
		}},
	}
	from, to := ex.PeriodFrom.UTC(), ex.PeriodTo.UTC()
	for _, k := range kinds {
		f, err := zw.Create(k.name + "." + ex.Format)
		if err != nil {
			return done, err
		}
		enc := newArchiveEncoder(f, ex.Format, k.header)
		// The keyset starts before the period's first instant.
		lastAt, lastID := from.Add(-time.Microsecond), int64(0)
		for {
			rows, err := k.read(k.sql, []any{from, to, lastAt, lastAt, lastID, archiveBatch})
			if err != nil {
				return done, fmt.Errorf("archive %s: %w", k.name, err)
			}
			for _, r := range rows {
				if err := enc.write(r); err != nil {
					return done, err
				}
			}
			if err := enc.flush(); err != nil {
				return done, err
			}
			done += int64(len(rows))
			if err := progress(done); err != nil {
				return done, err
			}
			if len(rows) < archiveBatch {
				break
			}
			lastAt, lastID = rows[len(rows)-1].key()
		}
	}
	return done, nil
}

// archiveEncoder writes rows as JSON lines or CSV.
type archiveEncoder struct {
	json *json.Encoder
	csv  *csv.Writer
}

func newArchiveEncoder(w io.Writer, format string, header []string) *archiveEncoder {
	if format == ArchiveJSONL {
		return &archiveEncoder{json: json.NewEncoder(w)}
	}
	c := csv.NewWriter(w)
	_ = c.Write(header)
	return &archiveEncoder{csv: c}
}

func (e *archiveEncoder) write(r archiveRow) error {
	if e.json != nil {
		return e.json.Encode(r)
	}
	cells := r.cells()
	for i := range cells {
		cells[i] = CSVSafe(cells[i])
	}
	return e.csv.Write(cells)
}

func (e *archiveEncoder) flush() error {
	if e.csv != nil {
		e.csv.Flush()
		return e.csv.Error()
	}
	return nil
}

// CSVSafe guards a CSV cell against formula injection: a spreadsheet runs
// a cell starting with = + - @ (or a tab or carriage return) as a formula,
// so such a cell gets a leading apostrophe. Numbers and times written by
// the server never start so, except negative numbers, which the archive
// does not have.
func CSVSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
