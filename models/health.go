package models

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Community health: how well the questions of a period were served. Every
// figure is about the cohort of questions asked in the period — live
// questions created in [From, To) on the boards the viewer may read (or
// one of them) — and is computed in SQL, as of the moment it is asked:
//
//   - first response: the earliest live answer by someone other than the
//     asker; time to first response runs from the question to it;
//   - response rate: the share of the cohort that has a first response;
//   - resolution rate: the share with an accepted answer or a live
//     verified answer;
//   - first responders are counted by the answerer's roles today:
//     employees, then active experts, then every other member;
//   - a target breach is a question on a board with a first-response
//     target whose first response came later than the target, or that is
//     still unanswered past it;
//   - top contributors wrote the most live answers to the cohort's
//     questions (not their own).

// CanViewHealth reports whether u may open the community health dashboard:
// admins, moderators and the product team.
func CanViewHealth(u *User) bool {
	return u.HasRole(RoleAdmin) || u.HasRole(RoleModerator) || u.HasRole(RoleProduct)
}

// HealthMaxDays bounds a period, so one request reads a bounded cohort.
const HealthMaxDays = 366

// HealthTopLimit is how many top contributors the dashboard lists.
const HealthTopLimit = 10

// HealthQuery chooses the cohort.
type HealthQuery struct {
	From, To time.Time // [From, To), whole UTC days
	BoardID  int64     // 0: every board the viewer may read
	Now      time.Time // zero: time.Now()
}

// Delay buckets of the response-time distribution, upper bounds in
// seconds; the last bucket is open.
var HealthDelayBuckets = []int64{3600, 4 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600}

// HealthDelayBucketNames name the buckets (HealthDelayBuckets and one
// more), for message ids and CSV rows.
var HealthDelayBucketNames = []string{"under_1h", "1h_4h", "4h_24h", "1d_3d", "3d_7d", "over_7d"}

// HealthFigures are the dashboard's numbers.
type HealthFigures struct {
	From, To time.Time
	Asked    int64
	Answered int64
	Resolved int64
	// MedianSeconds and P90Seconds are percentiles of the time to first
	// response of the answered questions (linear interpolation between
	// ranks, PostgreSQL's percentile_cont); zero when none was answered.
	MedianSeconds float64
	P90Seconds    float64
	// First responses by who wrote them.
	ByEmployee, ByExpert, ByMember int64
	// WithTarget questions were asked on a board with a target; Breaches
	// of them missed it.
	WithTarget, Breaches int64
	// Delays counts answered questions per bucket of HealthDelayBuckets.
	Delays []int64
	// Days holds the questions asked on each UTC day of the period.
	Days      []HealthDay
	Languages []HealthLanguage
	Top       []HealthContributor
}

// HealthDay is one day's questions.
type HealthDay struct {
	Day   time.Time
	Count int64
}

// HealthLanguage is one language's questions ("" when unknown).
type HealthLanguage struct {
	Lang  string
	Count int64
}

// HealthContributor is one of the top answerers of the cohort.
type HealthContributor struct {
	UserID         int64
	Handle         string
	DisplayName    string
	Answers        int64
	FirstResponses int64
	Accepted       int64
}

// Name is what the dashboard shows for the contributor.
func (c HealthContributor) Name() string {
	if c.DisplayName != "" {
		return c.DisplayName
	}
	return c.Handle
}

// Rate returns part/whole as a percentage, 0 for an empty whole.
func Rate(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return 100 * float64(part) / float64(whole)
}

// healthCohort is the WITH clause the statement reads: the cohort (c)
// and each question's first response (f), both materialised so that the
// first-response lookup runs once per question, through posts_question_id,
// however many figures read it. Its arguments are from, to, the visible
// boards and, with a board, its id.
func healthCohort(d Dialect, board bool) string {
	var b strings.Builder
	b.WriteString(`WITH c AS MATERIALIZED (
		SELECT q.id, q.board_id, q.author_id, q.created_at, q.lang, q.accepted_answer_id,
			(SELECT p.id FROM posts p WHERE p.question_id = q.id AND p.kind = 'answer' AND p.deleted_at IS NULL
				AND p.author_id <> q.author_id ORDER BY p.created_at, p.id LIMIT 1) AS first_id
		FROM questions q
		WHERE q.deleted_at IS NULL AND q.created_at >= ? AND q.created_at < ? AND q.board_id IN (?)`)
	if board {
		b.WriteString(` AND q.board_id = ?`)
	}
	b.WriteString(`
	), f AS MATERIALIZED (
		SELECT c.id, c.board_id, c.author_id, c.lang, c.accepted_answer_id, c.first_id,
			fa.author_id AS first_author, bd.first_response_minutes AS target,
			` + epochSeconds(d, "c.created_at") + ` AS asked_s,
			` + epochSeconds(d, "fa.created_at") + ` - ` + epochSeconds(d, "c.created_at") + ` AS delay
		FROM c JOIN boards bd ON bd.id = c.board_id LEFT JOIN posts fa ON fa.id = c.first_id
	)`)
	if d != Postgres {
		b.WriteString(`, r AS (SELECT delay, ROW_NUMBER() OVER (ORDER BY delay) - 1 AS i, COUNT(*) OVER () AS n
			FROM f WHERE first_id IS NOT NULL)`)
	}
	return b.String()
}

// healthPercentile is the p-th percentile of delay over the answered
// questions, as a scalar subquery. PostgreSQL has percentile_cont; on
// SQLite the same definition is computed from the ranks in r: with n
// sorted values v(0..n-1) and position x = p(n-1), the value is
// v(⌊x⌋) + (x-⌊x⌋)(v(⌊x⌋+1) - v(⌊x⌋)).
func healthPercentile(d Dialect, p string) string {
	if d == Postgres {
		return `(SELECT COALESCE(percentile_cont(` + p + `) WITHIN GROUP (ORDER BY delay), 0) FROM f WHERE first_id IS NOT NULL)`
	}
	x := p + " * (n - 1)"
	lo := "CAST(" + x + " AS INTEGER)" // ⌊x⌋: x is never negative
	return `(SELECT COALESCE(SUM(CASE WHEN i = ` + lo + ` THEN delay * (1.0 - (` + x + ` - ` + lo + `))
		WHEN i = ` + lo + ` + 1 THEN delay * (` + x + ` - ` + lo + `) ELSE 0 END), 0) FROM r)`
}

// healthBucket is the index of delay's bucket in HealthDelayBuckets.
func healthBucket() string {
	var b strings.Builder
	b.WriteString("CASE")
	for i, hi := range HealthDelayBuckets {
		fmt.Fprintf(&b, " WHEN delay < %d THEN %d", hi, i)
	}
	fmt.Fprintf(&b, " ELSE %d END", len(HealthDelayBuckets))
	return b.String()
}

// healthSelect is every figure in one statement over the materialised
// cohort, as rows of one shape: a section, two texts (k, k2), seven counts
// (a..g) and two reals (x, y). Its arguments after the cohort's are now
// (epoch seconds, for unanswered breaches), from (epoch seconds, for the
// day numbers) and the contributors' limit.
func healthSelect(d Dialect) string {
	return `
	SELECT 'summary' AS section, '' AS k, '' AS k2, COUNT(*) AS a, COUNT(first_id) AS b,
		COALESCE(SUM(CASE WHEN accepted_answer_id IS NOT NULL OR EXISTS (SELECT 1 FROM posts v WHERE v.question_id = f.id
			AND v.kind = 'answer' AND v.deleted_at IS NULL AND v.verified_by IS NOT NULL) THEN 1 ELSE 0 END), 0) AS c,
		COALESCE(SUM(CASE WHEN target > 0 THEN 1 ELSE 0 END), 0) AS d,
		COALESCE(SUM(CASE WHEN target > 0 AND ((first_id IS NOT NULL AND delay > target * 60)
			OR (first_id IS NULL AND asked_s + target * 60 < ?)) THEN 1 ELSE 0 END), 0) AS e,
		COALESCE(SUM(CASE WHEN first_id IS NOT NULL AND EXISTS (SELECT 1 FROM user_roles r1 WHERE r1.user_id = f.first_author
			AND r1.role = 'employee') THEN 1 ELSE 0 END), 0) AS f,
		COALESCE(SUM(CASE WHEN first_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM user_roles r1 WHERE r1.user_id = f.first_author
			AND r1.role = 'employee') AND EXISTS (SELECT 1 FROM user_roles r2 WHERE r2.user_id = f.first_author
			AND r2.role = 'expert') THEN 1 ELSE 0 END), 0) AS g,
		` + healthPercentile(d, "0.5") + ` AS x, ` + healthPercentile(d, "0.9") + ` AS y
	FROM f
	UNION ALL
	SELECT 'delay', '', '', t.bucket, COUNT(*), 0, 0, 0, 0, 0, 0.0, 0.0
	FROM (SELECT ` + healthBucket() + ` AS bucket FROM f WHERE first_id IS NOT NULL) t GROUP BY t.bucket
	UNION ALL
	SELECT 'day', '', '', t.day, COUNT(*), 0, 0, 0, 0, 0, 0.0, 0.0
	FROM (SELECT (asked_s - ?) / 86400 AS day FROM f) t GROUP BY t.day
	UNION ALL
	SELECT 'lang', lang, '', COUNT(*), 0, 0, 0, 0, 0, 0, 0.0, 0.0 FROM f GROUP BY lang
	UNION ALL
	SELECT 'top', t.handle, t.display_name, t.user_id, t.answers, t.first_responses, t.accepted, 0, 0, 0, 0.0, 0.0
	FROM (SELECT p.author_id AS user_id, u.handle, u.display_name, COUNT(*) AS answers,
			COALESCE(SUM(CASE WHEN p.id = c.first_id THEN 1 ELSE 0 END), 0) AS first_responses,
			COALESCE(SUM(CASE WHEN p.id = c.accepted_answer_id THEN 1 ELSE 0 END), 0) AS accepted
		FROM c JOIN posts p ON p.question_id = c.id AND p.kind = 'answer' AND p.deleted_at IS NULL AND p.author_id <> c.author_id
		JOIN users u ON u.id = p.author_id
		GROUP BY p.author_id, u.handle, u.display_name
		ORDER BY COUNT(*) DESC, p.author_id LIMIT ?) t`
}

// healthRow is one row of healthSelect.
type healthRow struct {
	Section, K, K2      string
	A, B, C, D, E, F, G int64
	X, Y                float64
}

// CommunityHealth computes the figures of q for viewer, in one statement
// (PostgreSQL: in a read-only transaction with JIT off: compiling the plan
// cost more than running it, 0.5 s on the large seed). The board, when set,
// must be one the viewer may read (the caller resolves it with
// BoardBySlug); boards the viewer may not read never count.
func CommunityHealth(ctx context.Context, db *gorm.DB, viewer *User, q HealthQuery) (*HealthFigures, error) {
	if !q.From.Before(q.To) {
		return nil, fmt.Errorf("community health: the period must start before it ends")
	}
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	db = db.WithContext(ctx)
	d := DialectOf(db)
	from, to := q.From.UTC(), q.To.UTC()
	args := []any{from, to, VisibleBoards(db, viewer)}
	if q.BoardID != 0 {
		args = append(args, q.BoardID)
	}
	args = append(args, q.Now.Unix(), from.Unix(), HealthTopLimit)
	sql := healthCohort(d, q.BoardID != 0) + healthSelect(d) + "\n"
	var rows []healthRow
	err := db.Transaction(func(tx *gorm.DB) error {
		if d == Postgres {
			// A bounded cohort is best served by index lookups per
			// question; the planner, misjudging the posts per question,
			// otherwise hashes the whole posts table for the contributors.
			if err := tx.Exec("SET LOCAL jit = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off").Error; err != nil {
				return err
			}
		}
		return tx.Raw(sql, args...).Scan(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("community health: %w", err)
	}
	days := int(to.Sub(from) / (24 * time.Hour))
	out := &HealthFigures{From: from, To: to, Delays: make([]int64, len(HealthDelayBucketNames)), Days: make([]HealthDay, days)}
	for i := range out.Days {
		out.Days[i].Day = from.AddDate(0, 0, i)
	}
	for _, r := range rows {
		switch r.Section {
		case "summary":
			out.Asked, out.Answered, out.Resolved, out.WithTarget, out.Breaches = r.A, r.B, r.C, r.D, r.E
			out.ByEmployee, out.ByExpert, out.ByMember = r.F, r.G, r.B-r.F-r.G
			// Both backends interpolate in floating point; whole seconds
			// interpolated are kept to the millisecond.
			out.MedianSeconds, out.P90Seconds = math.Round(r.X*1000)/1000, math.Round(r.Y*1000)/1000
		case "delay":
			if r.A >= 0 && int(r.A) < len(out.Delays) {
				out.Delays[r.A] = r.B
			}
		case "day":
			if r.A >= 0 && int(r.A) < days {
				out.Days[r.A].Count = r.B
			}
		case "lang":
			out.Languages = append(out.Languages, HealthLanguage{Lang: r.K, Count: r.A})
		case "top":
			out.Top = append(out.Top, HealthContributor{UserID: r.A, Handle: r.K, DisplayName: r.K2, Answers: r.B, FirstResponses: r.C, Accepted: r.D})
		}
	}
	sort.SliceStable(out.Languages, func(i, j int) bool {
		a, b := out.Languages[i], out.Languages[j]
		return a.Count > b.Count || a.Count == b.Count && a.Lang < b.Lang
	})
	sort.SliceStable(out.Top, func(i, j int) bool {
		a, b := out.Top[i], out.Top[j]
		return a.Answers > b.Answers || a.Answers == b.Answers && a.UserID < b.UserID
	})
	return out, nil
}
