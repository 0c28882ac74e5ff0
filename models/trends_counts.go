package models

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

// countKey is one count of a term on a board in one time bucket.
type countKey struct {
	board, term, bucket int64
}

// askerKey is one asker counted for a term in a bucket on a board.
type askerKey struct {
	countKey
	author int64
}

// countTable is one of the tables of counts and the time bucket it counts
// by: hours for the record, days for the baselines, which read a week.
type countTable struct {
	name, column string
	bucket       func(hour int64) int64
}

var countTables = []countTable{
	{"trend_counts", "hour", func(h int64) int64 { return h }},
	{"trend_daily", "day", dayOfHour},
}

// dayOfHour returns the Unix day holding Unix hour h.
func dayOfHour(h int64) int64 {
	if h < 0 {
		return (h - 23) / 24
	}
	return h / 24
}

// dayOf returns t's daily bucket: Unix days.
func dayOf(t time.Time) int64 { return dayOfHour(hourOf(t)) }

// countDocs stores the batch's documents and adds them to the counts,
// counting each asker once per term, board and bucket however many
// questions they post (the same account posting 30 copies is one asker).
func (d *detector) countDocs(tx *gorm.DB, docs []*trendDoc) error {
	seen, err := d.countedAskers(tx, docs)
	if err != nil {
		return err
	}
	if err := d.insertDocs(tx, docs); err != nil {
		return err
	}
	for ti, table := range countTables {
		askers := map[countKey]int{}
		posts := map[countKey]int{}
		for _, doc := range docs {
			for _, t := range append([]int64{0}, doc.Terms...) {
				k := countKey{doc.BoardID, t, table.bucket(doc.Hour)}
				posts[k]++
				if ak := (askerKey{k, doc.AuthorID}); !seen[ti][ak] {
					seen[ti][ak] = true
					askers[k]++
				}
			}
		}
		if err := d.addCounts(tx, table, posts, func(k countKey) []any { return []any{askers[k], posts[k], 0} },
			"askers = %[1]s.askers + excluded.askers, posts = %[1]s.posts + excluded.posts"); err != nil {
			return fmt.Errorf("add trend counts: %w", err)
		}
	}
	return nil
}

// addCounts upserts one row per key of keys into table: values gives the
// row's askers, posts and claimed, and set how an existing row takes them
// (%[1]s is the table).
func (d *detector) addCounts(tx *gorm.DB, table countTable, keys map[countKey]int, values func(countKey) []any, set string) error {
	for _, chunk := range chunks(sortedCountKeys(keys), 1000) {
		var sql strings.Builder
		args := make([]any, 0, 7*len(chunk))
		fmt.Fprintf(&sql, `INSERT INTO %s (scope, board_id, term_id, %s, askers, posts, claimed) VALUES `, table.name, table.column)
		for i, k := range chunk {
			if i > 0 {
				sql.WriteString(",")
			}
			sql.WriteString("(?,?,?,?,?,?,?)")
			args = append(append(args, d.scope, k.board, k.term, k.bucket), values(k)...)
		}
		fmt.Fprintf(&sql, ` ON CONFLICT (scope, board_id, term_id, %s) DO UPDATE SET `, table.column)
		fmt.Fprintf(&sql, set, table.name)
		if err := tx.Exec(sql.String(), args...).Error; err != nil {
			return err
		}
	}
	return nil
}

// sortedCountKeys returns the keys of m in a fixed order, so two writers
// never lock the same rows in opposite orders.
func sortedCountKeys(m map[countKey]int) []countKey {
	keys := make([]countKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.board != b.board {
			return a.board < b.board
		}
		if a.term != b.term {
			return a.term < b.term
		}
		return a.bucket < b.bucket
	})
	return keys
}

// countedAskers returns, per count table, the (term, board, bucket, asker)
// combinations that earlier batches already counted for the batch's askers.
func (d *detector) countedAskers(tx *gorm.DB, docs []*trendDoc) ([]map[askerKey]bool, error) {
	seen := make([]map[askerKey]bool, len(countTables))
	for i := range seen {
		seen[i] = map[askerKey]bool{}
	}
	authorSet := map[int64]bool{}
	minH, maxH := docs[0].Hour, docs[0].Hour
	for _, doc := range docs {
		authorSet[doc.AuthorID] = true
		minH, maxH = min(minH, doc.Hour), max(maxH, doc.Hour)
	}
	// Whole days, for the daily counts.
	minH, maxH = dayOfHour(minH)*24, dayOfHour(maxH)*24+23
	authors := make([]int64, 0, len(authorSet))
	for a := range authorSet {
		authors = append(authors, a)
	}
	sort.Slice(authors, func(i, j int) bool { return authors[i] < authors[j] })
	for _, chunk := range chunks(authors, 900) {
		var rows []struct {
			BoardID  int64
			AuthorID int64
			Hour     int64
			Terms    string
		}
		if err := tx.Raw(`SELECT board_id, author_id, hour, terms FROM trend_docs
			WHERE scope = ? AND author_id IN ? AND hour >= ? AND hour <= ?`, d.scope, chunk, minH, maxH).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("read counted askers: %w", err)
		}
		for _, r := range rows {
			for _, t := range append([]int64{0}, parseTermList(r.Terms)...) {
				for ti, table := range countTables {
					seen[ti][askerKey{countKey{r.BoardID, t, table.bucket(r.Hour)}, r.AuthorID}] = true
				}
			}
		}
	}
	return seen, nil
}

// prune drops per-question rows and hourly counts past their retention:
// the detector only looks back one span and one baseline.
func (d *detector) prune(tx *gorm.DB, until time.Time) error {
	if err := tx.Exec(`DELETE FROM trend_docs WHERE scope = ? AND created_at < ?`,
		d.scope, until.Add(-d.cfg.DocRetention)).Error; err != nil {
		return fmt.Errorf("prune trend documents: %w", err)
	}
	edge := hourOf(until.Add(-d.cfg.CountRetention))
	for _, table := range countTables {
		if err := tx.Exec(fmt.Sprintf(`DELETE FROM %s WHERE scope = ? AND %s < ?`, table.name, table.column),
			d.scope, table.bucket(edge)).Error; err != nil {
			return fmt.Errorf("prune %s: %w", table.name, err)
		}
	}
	return nil
}
