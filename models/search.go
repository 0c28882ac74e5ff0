package models

import (
	"context"
	"database/sql/driver"
	"strings"

	"gorm.io/gorm"
)

// pgTextArray is a text[] parameter. gorm would expand a plain []string
// into a list of parameters; a driver.Valuer is passed as one.
type pgTextArray []string

// arrayEscaper escapes an element of a PostgreSQL array literal. It is
// built once: building a Replacer per element made bulk indexing CPU-bound.
var arrayEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// Value renders the PostgreSQL array literal.
func (a pgTextArray) Value() (driver.Value, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(arrayEscaper.Replace(s))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}

// indexPost (re)writes the search entry of a post. title is the question
// title for question posts and empty for answers.
func indexPost(tx *gorm.DB, postID int64, title, body string) error {
	lex := searchLexemes(title, body)
	if DialectOf(tx) == Postgres {
		if len(lex) == 0 {
			return tx.Exec(`UPDATE posts SET search_vector = NULL WHERE id = ?`, postID).Error
		}
		return tx.Exec(`UPDATE posts SET search_vector = array_to_tsvector(CAST(? AS text[])) WHERE id = ?`, pgTextArray(lex), postID).Error
	}
	if err := tx.Exec(`DELETE FROM post_search WHERE rowid = ?`, postID).Error; err != nil {
		return err
	}
	return tx.Exec(`INSERT INTO post_search (rowid, tokens) VALUES (?, ?)`, postID, strings.Join(lex, " ")).Error
}

func unindexPost(tx *gorm.DB, postID int64) error {
	if DialectOf(tx) == Postgres {
		return tx.Exec(`UPDATE posts SET search_vector = NULL WHERE id = ?`, postID).Error
	}
	return tx.Exec(`DELETE FROM post_search WHERE rowid = ?`, postID).Error
}

// SearchPageSize is how many results a search page holds.
const SearchPageSize = 20

// searchCandidates bounds how many matching posts one search ranks.
const searchCandidates = 1000

// maxSearchTerms bounds the work one query can ask for.
const maxSearchTerms = 12

// Search finds live questions whose title, body or answers hold every term
// of query, best match first, on boards viewer may see. The last term also
// matches as a prefix. page counts from 1.
func Search(ctx context.Context, db *gorm.DB, viewer *User, query string, page int) ([]QuestionSummary, bool, error) {
	terms := searchLexemes(query)
	if len(terms) == 0 {
		return nil, false, nil
	}
	if len(terms) > maxSearchTerms {
		terms = terms[:maxSearchTerms]
	}
	if page < 1 {
		page = 1
	}
	var ids []int64
	var err error
	type hit struct{ ID int64 }
	var hits []hit
	offset := (page - 1) * SearchPageSize
	if DialectOf(db) == Postgres {
		parts := make([]string, len(terms))
		for i, t := range terms {
			parts[i] = "'" + t + "'"
		}
		parts[len(parts)-1] += ":*"
		// Ranking is done among the most recent searchCandidates matching
		// posts: a common word matches a quarter of all posts, and ranking
		// them all cost 150 ms at 100,000 questions (40 ms this way).
		tsq := strings.Join(parts, " & ")
		err = db.WithContext(ctx).Raw(`
			WITH hits AS MATERIALIZED (
				SELECT p.id, p.question_id FROM posts p
				WHERE p.search_vector @@ CAST(? AS tsquery) AND p.deleted_at IS NULL
				ORDER BY p.id DESC LIMIT ?)
			SELECT q.id FROM hits h
			JOIN posts p ON p.id = h.id
			JOIN questions q ON q.id = h.question_id
			JOIN boards b ON b.id = q.board_id
			WHERE q.deleted_at IS NULL AND p.held = ? AND ?
			GROUP BY q.id
			ORDER BY MAX(ts_rank(p.search_vector, CAST(? AS tsquery))) DESC, q.id DESC
			LIMIT ? OFFSET ?`, tsq, searchCandidates, false, SeenQuestions(db, viewer, "q"), tsq, SearchPageSize+1, offset).
			Scan(&hits).Error
	} else {
		parts := make([]string, len(terms))
		for i, t := range terms {
			parts[i] = `"` + t + `"`
		}
		parts[len(parts)-1] += "*"
		err = db.WithContext(ctx).Raw(`
			SELECT q.id FROM post_search s
			JOIN posts p ON p.id = s.rowid
			JOIN questions q ON q.id = p.question_id
			JOIN boards b ON b.id = q.board_id
			WHERE post_search MATCH ? AND p.deleted_at IS NULL AND q.deleted_at IS NULL
			  AND p.held = ? AND ?
			GROUP BY q.id
			ORDER BY MIN(s.rank), q.id DESC
			LIMIT ? OFFSET ?`, strings.Join(parts, " AND "), false, SeenQuestions(db, viewer, "q"), SearchPageSize+1, offset).
			Scan(&hits).Error
	}
	if err != nil {
		return nil, false, err
	}
	more := len(hits) > SearchPageSize
	if more {
		hits = hits[:SearchPageSize]
	}
	for _, h := range hits {
		ids = append(ids, h.ID)
	}
	sums, err := summariesByIDs(ctx, db, ids)
	return sums, more, err
}
