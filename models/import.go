package models

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// ImportPost is one line of an import file (the post format of the
// trends evaluation streams): a question or an answer with its author,
// board, language, tags and time. id is the post's external id.
type ImportPost struct {
	ID        string   `json:"id"`
	Type      string   `json:"type"` // question or answer
	Board     string   `json:"board"`
	Author    string   `json:"author"`
	Lang      string   `json:"lang"`
	Title     string   `json:"title"`
	Body      string   `json:"body"`
	Tags      []string `json:"tags"`
	Topic     string   `json:"topic"` // an answer's question, by external id
	CreatedAt string   `json:"created_at"`
}

// ImportLineError is a line of an import file that was not imported.
type ImportLineError struct {
	Line int
	ID   string
	Err  error
}

func (e ImportLineError) Error() string {
	if e.ID != "" {
		return fmt.Sprintf("line %d (%s): %v", e.Line, e.ID, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

// ImportReport tells what an import did.
type ImportReport struct {
	Questions, Answers int // imported
	Existing           int // already imported earlier: skipped
	Users, Boards      int // created
	Errors             []ImportLineError
}

// ImportOptions tunes an import.
type ImportOptions struct {
	// Progress, when set, is called every 1,000 lines.
	Progress func(line int, rep *ImportReport)
}

// maxImportLine bounds one line of an import file.
const maxImportLine = 1 << 20

// ImportJSONL loads posts, one JSON object a line, through the same rules
// as posting on the forum (Ask and Answer: validation, Markdown, search,
// points). Each line is one transaction: its user and board (created when
// missing), its post and its language, all or nothing. A post whose
// external id is already present is skipped, so importing a file again
// changes nothing. An answer may come before its question (both in the same
// second): it waits for it. Bad lines are reported with their numbers and
// the import goes on; the error returned is only for failures of the
// database or the reader.
func ImportJSONL(ctx context.Context, db *gorm.DB, r io.Reader, opt ImportOptions) (*ImportReport, error) {
	im := &importer{users: map[string]*User{}, boards: map[string]bool{}, rep: &ImportReport{}, waiting: map[string][]pendingAnswer{}}
	// The line's transaction is the only one: Ask, Answer, CreateUser and
	// CreateBoard run inside it without savepoints of their own, whose
	// journalling made a large import several times slower.
	db = db.WithContext(ctx).Session(&gorm.Session{DisableNestedTransaction: true})
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxImportLine)
	line := 0
	for sc.Scan() {
		line++
		if err := ctx.Err(); err != nil {
			return im.rep, err
		}
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		if err := im.importRaw(ctx, db, line, raw); err != nil {
			im.failWaiting()
			return im.rep, err
		}
		if opt.Progress != nil && line%1000 == 0 {
			opt.Progress(line, im.rep)
		}
	}
	im.failWaiting()
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("longer than %d bytes", maxImportLine)
		}
		return im.rep, ImportLineError{Line: line + 1, Err: err}
	}
	return im.rep, nil
}

// importRaw imports one line, then the answers that were waiting for it.
func (im *importer) importRaw(ctx context.Context, db *gorm.DB, line int, raw []byte) error {
	var p ImportPost
	if err := decodeStrict(raw, &p); err != nil {
		im.fail(line, "", fmt.Errorf("not a post: %v", err))
		return nil
	}
	if err := im.importLine(ctx, db, line, &p); err != nil || p.Type != KindQuestion {
		return err
	}
	waiting := im.waiting[p.ID]
	delete(im.waiting, p.ID)
	for _, a := range waiting {
		if err := im.importLine(ctx, db, a.line, &a.post); err != nil {
			return err
		}
	}
	return nil
}

// pendingAnswer is an answer whose question has not been imported yet.
type pendingAnswer struct {
	line int
	post ImportPost
}

// importLine imports one post in its own transaction, recording a bad
// line and returning only errors that end the import.
func (im *importer) importLine(ctx context.Context, tx *gorm.DB, line int, p *ImportPost) error {
	err := im.importPost(ctx, tx, p)
	var v *ValidationError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errNoTopic):
		im.waiting[p.Topic] = append(im.waiting[p.Topic], pendingAnswer{line, *p})
		return nil
	case errors.As(err, &v) || errors.Is(err, errBadImport):
		im.fail(line, p.ID, err)
		return nil
	}
	return ImportLineError{Line: line, ID: p.ID, Err: err}
}

// failWaiting reports the answers whose question never came.
func (im *importer) failWaiting() {
	var rest []pendingAnswer
	for _, as := range im.waiting {
		rest = append(rest, as...)
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i].line < rest[j].line })
	for _, a := range rest {
		im.fail(a.line, a.post.ID, badImport("topic %q is no question of the file or the forum", a.post.Topic))
	}
	im.waiting = map[string][]pendingAnswer{}
	sort.SliceStable(im.rep.Errors, func(i, j int) bool { return im.rep.Errors[i].Line < im.rep.Errors[j].Line })
}

// decodeStrict decodes one JSON object and refuses trailing data.
func decodeStrict(raw []byte, p *ImportPost) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(p); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON value on the line")
	}
	return nil
}

// errBadImport marks a line that cannot be imported as written.
var errBadImport = errors.New("bad post")

func badImport(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadImport, fmt.Sprintf(format, args...))
}

type importer struct {
	users   map[string]*User // by lower-cased handle
	boards  map[string]bool  // slugs known to exist
	rep     *ImportReport
	waiting map[string][]pendingAnswer // by their question's external id
}

// errNoTopic means an answer's question is not (yet) in the forum.
var errNoTopic = errors.New("no such question")

func (im *importer) fail(line int, id string, err error) {
	im.rep.Errors = append(im.rep.Errors, ImportLineError{Line: line, ID: id, Err: readableImportError(err)})
}

// readableImportError turns a validation error's message ids into words
// for the command line.
func readableImportError(err error) error {
	var v *ValidationError
	if !errors.As(err, &v) {
		return err
	}
	parts := make([]string, len(v.Fields))
	for i, f := range v.Fields {
		msg := strings.ReplaceAll(strings.TrimPrefix(f.Message, "error."), "_", " ")
		keys := make([]string, 0, len(f.Args))
		for k := range f.Args {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			msg += fmt.Sprintf(" (%s %v)", strings.ToLower(k), f.Args[k])
		}
		parts[i] = f.Field + ": " + msg
	}
	return errors.New(strings.Join(parts, "; "))
}

// importPost imports one post in one transaction; the caches learn of a
// user or board only once it committed.
func (im *importer) importPost(ctx context.Context, db *gorm.DB, p *ImportPost) error {
	if err := checkImportPost(p); err != nil {
		return err
	}
	at, err := time.Parse(time.RFC3339, p.CreatedAt)
	if err != nil {
		return badImport("created_at %q is not an RFC 3339 time", p.CreatedAt)
	}
	var n int64
	if err := db.Model(&Post{}).Where("external_id = ?", p.ID).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		im.rep.Existing++
		return nil
	}
	var newUser *User
	newBoard := false
	err = db.Transaction(func(tx *gorm.DB) error {
		author, created, err := im.user(ctx, tx, p.Author)
		if err != nil {
			return err
		}
		if created {
			newUser = author
		}
		if p.Type == KindQuestion {
			if newBoard, err = im.board(ctx, tx, p.Board); err != nil {
				return err
			}
			_, err := Ask(ctx, tx, author, AskInput{Board: p.Board, Title: p.Title, Body: p.Body, Tags: ParseTags(strings.Join(p.Tags, ",")),
				ExternalID: p.ID, CreatedAt: at, Lang: p.Lang})
			return err
		}
		var qid []int64
		if err := tx.Model(&Question{}).Where("external_id = ? AND deleted_at IS NULL", p.Topic).Pluck("id", &qid).Error; err != nil {
			return err
		}
		if len(qid) == 0 {
			return errNoTopic
		}
		_, err = Answer(ctx, tx, author, qid[0], AnswerInput{Body: p.Body, ExternalID: p.ID, CreatedAt: at})
		return err
	})
	if err != nil {
		return err
	}
	// Only what committed enters the caches.
	if newUser != nil {
		im.users[strings.ToLower(newUser.Handle)] = newUser
		im.rep.Users++
	}
	if newBoard {
		im.boards[p.Board] = true
		im.rep.Boards++
	}
	if p.Type == KindQuestion {
		im.rep.Questions++
	} else {
		im.rep.Answers++
	}
	return nil
}

// checkImportPost checks what Ask and Answer do not: the fields of the
// import format itself.
func checkImportPost(p *ImportPost) error {
	switch {
	case p.ID == "":
		return badImport("id is missing")
	case len(p.ID) > 100 || !utf8.ValidString(p.ID):
		return badImport("id is longer than 100 bytes or not UTF-8")
	case p.Type != KindQuestion && p.Type != KindAnswer:
		return badImport("type %q is neither question nor answer", p.Type)
	case p.Author == "":
		return badImport("author is missing")
	case ValidateHandle(p.Author) != nil:
		return badImport("author %q is not a valid handle (3-40 letters, digits, - or _)", p.Author)
	case p.CreatedAt == "":
		return badImport("created_at is missing")
	case len(p.Lang) > 16:
		return badImport("lang %q is longer than 16 bytes", p.Lang)
	case p.Type == KindQuestion && p.Board == "":
		return badImport("board is missing")
	case p.Type == KindQuestion && !validSlug(p.Board):
		return badImport("board %q is not a valid slug (lower-case letters, digits and -)", p.Board)
	case p.Type == KindAnswer && p.Topic == "":
		return badImport("topic (the question answered) is missing")
	}
	return nil
}

// user returns the author, creating them inside tx when missing.
func (im *importer) user(ctx context.Context, tx *gorm.DB, handle string) (*User, bool, error) {
	if u, ok := im.users[strings.ToLower(handle)]; ok {
		return u, false, nil
	}
	u, err := UserByHandle(ctx, tx, handle)
	if err == nil {
		im.users[strings.ToLower(handle)] = u
		return u, false, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, false, err
	}
	u = &User{Handle: handle, CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	if err := CreateUser(ctx, tx, u); err != nil {
		return nil, false, err
	}
	return u, true, nil
}

// board makes sure the board exists, creating a public one inside tx, and
// reports whether it did.
func (im *importer) board(ctx context.Context, tx *gorm.DB, slug string) (bool, error) {
	if im.boards[slug] {
		return false, nil
	}
	var n int64
	if err := tx.Model(&Board{}).Where("slug = ?", slug).Count(&n).Error; err != nil {
		return false, err
	}
	if n > 0 {
		im.boards[slug] = true
		return false, nil
	}
	if _, err := CreateBoard(ctx, tx, BoardInput{Slug: slug, Name: slug, Visibility: VisibilityPublic}); err != nil {
		return false, err
	}
	return true, nil
}
