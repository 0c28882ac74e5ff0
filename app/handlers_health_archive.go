package app

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/crowdcare/crowdcare/models"
)

// archiveListSize is how many past exports the page lists.
const archiveListSize = 50

type archiveData struct {
	Exports []models.ArchiveExport
	Export  *models.ArchiveExport // the one shown, on its own page
	Formats []string
}

func (s *server) archiveExportsPage(c *gin.Context) {
	today := time.Now().UTC().Format(time.DateOnly)
	first := time.Now().UTC().AddDate(0, -1, 0).Format(time.DateOnly)
	s.showArchiveExports(c, http.StatusOK, nil, url.Values{"from": {first}, "to": {today}, "format": {models.ArchiveJSONL}})
}

func (s *server) showArchiveExports(c *gin.Context, status int, verr *models.ValidationError, form url.Values) {
	exs, err := models.ArchiveExports(c.Request.Context(), s.db, archiveListSize)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, status, "admin_exports", &Page{Title: "archive.title", Errors: verr, Form: form,
		Data: &archiveData{Exports: exs, Formats: []string{models.ArchiveJSONL, models.ArchiveCSV}}})
}

// archivePeriod reads from and to (UTC days, both included) into [from, to).
func archivePeriod(v *models.ValidationError, fromS, toS string) (time.Time, time.Time) {
	return dayPeriod(v, strings.TrimSpace(fromS), strings.TrimSpace(toS), models.ArchiveMaxDays)
}

// dayPeriod reads from and to (YYYY-MM-DD, UTC days, both included) into
// [from, to), at most maxDays long, adding what is wrong to v.
func dayPeriod(v *models.ValidationError, fromS, toS string, maxDays int) (time.Time, time.Time) {
	from, err1 := time.Parse(time.DateOnly, fromS)
	to, err2 := time.Parse(time.DateOnly, toS)
	if err1 != nil {
		v.Add("from", "health.error.date", nil)
	}
	if err2 != nil {
		v.Add("to", "health.error.date", nil)
	}
	switch {
	case err1 != nil || err2 != nil:
	case to.Before(from):
		v.Add("to", "health.error.range", nil)
	case to.Sub(from) >= time.Duration(maxDays)*24*time.Hour:
		v.Add("to", "health.error.too_long", map[string]any{"Count": maxDays})
	}
	return from, to.AddDate(0, 0, 1)
}

// archiveExportStart records an export and queues its job; bad input
// shows the form again with 422 and writes nothing.
func (s *server) archiveExportStart(c *gin.Context) {
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	v := &models.ValidationError{}
	from, to := archivePeriod(v, form.Get("from"), form.Get("to"))
	format := form.Get("format")
	if format != models.ArchiveJSONL && format != models.ArchiveCSV {
		v.Add("format", "error.invalid", nil)
	}
	if v.Err() != nil {
		s.showArchiveExports(c, http.StatusUnprocessableEntity, v, form)
		return
	}
	ex, err := models.StartArchiveExport(c.Request.Context(), s.db, currentUser(c), from, to, format)
	if verr, bad := validationErr(err); bad {
		s.showArchiveExports(c, http.StatusUnprocessableEntity, verr, form)
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/exports/"+strconv.FormatInt(ex.ID, 10))
}

// archiveExportPage shows one export's progress; the page's script asks
// for the same as JSON to update it without a reload.
func (s *server) archiveExportPage(c *gin.Context) {
	id, ok := paramID(c)
	if !ok {
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return
	}
	ex, err := models.ArchiveExportByID(c.Request.Context(), s.db, id)
	if err != nil {
		s.handleErr(c, err)
		return
	}
	if wantsJSON(c) {
		c.Header("Cache-Control", "no-store")
		l, statusID := s.localizer(c), "archive.status."+ex.Status
		c.JSON(http.StatusOK, gin.H{"status": ex.Status, "status_label": l.T(statusID),
			"rows_done": ex.RowsDone, "rows_total": ex.RowsTotal, "percent": ex.Percent(), "finished": ex.Finished(),
			"progress_label": l.T("archive.progress", "Done", ex.RowsDone, "Total", ex.RowsTotal)})
		return
	}
	s.render(c, http.StatusOK, "admin_export", &Page{Title: "archive.export_title", Data: &archiveData{Export: ex}})
}

// archiveExportDownload sends a finished export's file. The path is made
// from the export's id alone; an export that does not exist, is not done
// or whose file is gone is 404.
func (s *server) archiveExportDownload(c *gin.Context) {
	id, ok := paramID(c)
	if !ok {
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return
	}
	ex, err := models.ArchiveExportByID(c.Request.Context(), s.db, id)
	if err != nil {
		s.handleErr(c, err)
		return
	}
	path := filepath.Join(s.cfg.ExportDir(), models.ArchiveFileName(ex.ID))
	st, err := os.Stat(path)
	if ex.Status != models.ArchiveDone || errors.Is(err, os.ErrNotExist) || (err == nil && !st.Mode().IsRegular()) {
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	name := "crowdcare-archive-" + ex.PeriodFrom.UTC().Format(time.DateOnly) + "-to-" + ex.LastDay().Format(time.DateOnly) + "-" + ex.Format + ".zip"
	c.Header("Cache-Control", "no-store")
	c.FileAttachment(path, name)
}
