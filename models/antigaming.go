package models

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// Kinds of kudos cases.
const (
	CaseSerial = "serial" // one giver, one receiver, many kudos in a short time
	CaseRing   = "ring"   // two users giving each other kudos
	CaseRing3  = "ring3"  // three users giving kudos round a circle
)

// Statuses of a kudos case.
const (
	CaseOpen      = "open"
	CaseDismissed = "dismissed"
	CaseConfirmed = "confirmed"
)

// KudosAuditReason is the ledger reason of the rows that take back the
// points of kudos found gaming.
const KudosAuditReason = "kudos_reversed"

// Settings of the audit (rows of the settings table, from migration 0006).
const (
	SettingKudosSerialMax   = "kudos.serial_max"
	SettingKudosRingMin     = "kudos.ring_min"
	SettingKudosAuditWindow = "kudos.audit_window_hours"
)

// KudosCase is one suspected case of kudos gaming.
type KudosCase struct {
	ID             int64
	Kind           string
	GiverID        int64
	ReceiverID     int64
	ThirdID        *int64
	KudosCount     int
	PointsReversed int
	WindowStart    time.Time
	WindowEnd      time.Time
	Status         string
	DecidedBy      *int64
	DecidedAt      *time.Time
	CreatedAt      time.Time
}

// TableName maps KudosCase to its table.
func (KudosCase) TableName() string { return "kudos_cases" }

// KudosAuditOptions tunes AuditKudos; zero values take the settings.
type KudosAuditOptions struct {
	Now       time.Time
	Window    time.Duration // kudos.audit_window_hours (24 h)
	SerialMax int           // kudos.serial_max (5): more than this is serial
	RingMin   int           // kudos.ring_min (3): each way, to be a ring
}

// KudosAuditResult says what an audit found.
type KudosAuditResult struct {
	Cases    int
	Reversed int // kudos whose points were taken back
}

// auditKudos is one counted, live kudos under audit.
type auditKudos struct {
	ID         int64
	GiverID    int64
	ReceiverID int64
	CreatedAt  time.Time
}

// kudosCaseDraft is a case before it is written.
type kudosCaseDraft struct {
	kind     string
	users    []int64 // giver, receiver[, third]
	kudos    []auditKudos
	from, to time.Time
}

// AuditKudos looks at the counted, live kudos of the last two windows (so
// that a nightly run overlaps the previous one) that belong to no case yet
// and opens a case, reversing the points through the ledger, for:
//   - serial kudos: more than SerialMax from one giver to one receiver
//     within any Window;
//   - rings: two users who each gave the other at least RingMin kudos, or
//     three users who did so round a circle, within the two windows.
//
// Each case is written with its kudos, reversals and audit entry in one
// transaction; a kudos belongs to one case at most, so running the audit
// again over the same time finds nothing new and reverses nothing twice.
func AuditKudos(ctx context.Context, db *gorm.DB, opt KudosAuditOptions) (KudosAuditResult, error) {
	db = db.WithContext(ctx)
	if err := auditDefaults(db, &opt); err != nil {
		return KudosAuditResult{}, err
	}
	ks, err := loadAuditKudos(db, opt)
	if err != nil {
		return KudosAuditResult{}, err
	}
	var res KudosAuditResult
	for _, d := range findKudosCases(ks, opt) {
		n, err := openKudosCase(db, d, opt.Now)
		if err != nil {
			return res, err
		}
		res.Cases++
		res.Reversed += n
	}
	return res, nil
}

// auditDefaults fills the options left zero from the settings.
func auditDefaults(db *gorm.DB, opt *KudosAuditOptions) error {
	if opt.Now.IsZero() {
		opt.Now = time.Now().UTC()
	}
	for _, s := range []struct {
		name string
		dst  *int
		def  int
	}{{SettingKudosSerialMax, &opt.SerialMax, 5}, {SettingKudosRingMin, &opt.RingMin, 3}} {
		if *s.dst > 0 {
			continue
		}
		v, err := SettingInt(db, s.name)
		if err != nil {
			return err
		}
		*s.dst = v
		if v <= 0 {
			*s.dst = s.def
		}
	}
	if opt.Window <= 0 {
		h, err := SettingInt(db, SettingKudosAuditWindow)
		if err != nil {
			return err
		}
		if h <= 0 {
			h = 24
		}
		opt.Window = time.Duration(h) * time.Hour
	}
	return nil
}

// loadAuditKudos reads the kudos under audit, only for the pairs (giver,
// receiver) with enough of them to matter.
func loadAuditKudos(db *gorm.DB, opt KudosAuditOptions) ([]auditKudos, error) {
	const live = `k.counted AND k.withdrawn_at IS NULL AND k.created_at > ? AND k.created_at <= ?
		AND NOT EXISTS (SELECT 1 FROM kudos_case_items i WHERE i.kudos_id = k.id)`
	from := opt.Now.Add(-2 * opt.Window)
	least := min(opt.SerialMax+1, opt.RingMin)
	var ks []auditKudos
	err := db.Raw(`SELECT k.id, k.giver_id, k.receiver_id, k.created_at FROM kudos k
		JOIN (SELECT k.giver_id, k.receiver_id FROM kudos k WHERE `+live+`
			GROUP BY k.giver_id, k.receiver_id HAVING COUNT(*) >= ?) p
		ON p.giver_id = k.giver_id AND p.receiver_id = k.receiver_id
		WHERE `+live+` ORDER BY k.giver_id, k.receiver_id, k.created_at, k.id`,
		from, opt.Now, least, from, opt.Now).Scan(&ks).Error
	if err != nil {
		return nil, fmt.Errorf("kudos under audit: %w", err)
	}
	return ks, nil
}

type userPair [2]int64

// findKudosCases applies the rules to kudos sorted by giver, receiver and
// time. Serial cases come first; a kudos in one is not counted again for a
// ring.
func findKudosCases(ks []auditKudos, opt KudosAuditOptions) []kudosCaseDraft {
	pairs := map[userPair][]auditKudos{}
	var order []userPair
	for _, k := range ks {
		p := userPair{k.GiverID, k.ReceiverID}
		if _, ok := pairs[p]; !ok {
			order = append(order, p)
		}
		pairs[p] = append(pairs[p], k)
	}
	var out []kudosCaseDraft
	for _, p := range order {
		flagged, rest := serialKudos(pairs[p], opt.Window, opt.SerialMax)
		if len(flagged) > 0 {
			out = append(out, newDraft(CaseSerial, []int64{p[0], p[1]}, flagged))
		}
		pairs[p] = rest
	}
	return append(out, findRings(pairs, order, opt.RingMin)...)
}

// serialKudos splits one pair's kudos (sorted by time) into those inside
// some Window holding more than max of them, and the rest.
func serialKudos(ks []auditKudos, window time.Duration, most int) (flagged, rest []auditKudos) {
	in := make([]bool, len(ks))
	j := 0
	for i := range ks {
		for j < len(ks) && ks[j].CreatedAt.Sub(ks[i].CreatedAt) <= window {
			j++
		}
		if j-i > most {
			for x := i; x < j; x++ {
				in[x] = true
			}
		}
	}
	for i, k := range ks {
		if in[i] {
			flagged = append(flagged, k)
		} else {
			rest = append(rest, k)
		}
	}
	return flagged, rest
}

// findRings finds two-user rings, then three-user circles among the pairs
// left, each user of a ring giving the next at least min kudos.
func findRings(pairs map[userPair][]auditKudos, order []userPair, least int) []kudosCaseDraft {
	strong := func(a, b int64) bool { return len(pairs[userPair{a, b}]) >= least }
	var out []kudosCaseDraft
	used := map[userPair]bool{}
	for _, p := range order {
		a, b := p[0], p[1]
		if a < b && strong(a, b) && strong(b, a) {
			ks := append(append([]auditKudos{}, pairs[userPair{a, b}]...), pairs[userPair{b, a}]...)
			out = append(out, newDraft(CaseRing, []int64{a, b}, ks))
			used[userPair{a, b}], used[userPair{b, a}] = true, true
		}
	}
	free := func(a, b int64) bool { return !used[userPair{a, b}] && strong(a, b) }
	for _, p := range order {
		a, b := p[0], p[1]
		if !free(a, b) {
			continue
		}
		for _, q := range order {
			c := q[1]
			// The circle is found once, from its smallest user.
			if q[0] != b || c == a || a > b || a > c || !free(b, c) || !free(c, a) {
				continue
			}
			var ks []auditKudos
			for _, e := range []userPair{{a, b}, {b, c}, {c, a}} {
				ks = append(ks, pairs[e]...)
				used[e] = true
			}
			out = append(out, newDraft(CaseRing3, []int64{a, b, c}, ks))
			break
		}
	}
	return out
}

func newDraft(kind string, users []int64, ks []auditKudos) kudosCaseDraft {
	sort.Slice(ks, func(i, j int) bool { return ks[i].ID < ks[j].ID })
	d := kudosCaseDraft{kind: kind, users: users, kudos: ks, from: ks[0].CreatedAt, to: ks[0].CreatedAt}
	for _, k := range ks {
		if k.CreatedAt.Before(d.from) {
			d.from = k.CreatedAt
		}
		if k.CreatedAt.After(d.to) {
			d.to = k.CreatedAt
		}
	}
	return d
}

// openKudosCase writes one case: the case row, its kudos, the reversal of
// each kudos' points, and an audit entry, in one transaction. It returns
// how many kudos it reversed.
func openKudosCase(db *gorm.DB, d kudosCaseDraft, now time.Time) (int, error) {
	reversed := 0
	err := db.Transaction(func(tx *gorm.DB) error {
		reversed = 0
		c := KudosCase{Kind: d.kind, GiverID: d.users[0], ReceiverID: d.users[1], KudosCount: len(d.kudos),
			WindowStart: d.from.UTC(), WindowEnd: d.to.UTC(), Status: CaseOpen, CreatedAt: now.UTC()}
		if len(d.users) > 2 {
			c.ThirdID = &d.users[2]
		}
		if err := tx.Create(&c).Error; err != nil {
			return fmt.Errorf("create kudos case: %w", err)
		}
		ids := make([]int64, len(d.kudos))
		undo := make([]string, len(d.kudos))
		for i, k := range d.kudos {
			ids[i] = k.ID
			// A kudos already in a case (a run in parallel) ends this
			// transaction on the primary key, before any reversal counts.
			if err := tx.Exec(`INSERT INTO kudos_case_items (kudos_id, case_id) VALUES (?, ?)`, k.ID, c.ID).Error; err != nil {
				return fmt.Errorf("add kudos %d to case: %w", k.ID, err)
			}
			key := KudosAwardKey(k.ID)
			undo[i] = key + ":ring"
			ok, err := Reverse(tx, key, undo[i], KudosAuditReason, nil)
			if err != nil {
				return err
			}
			if ok {
				reversed++
			}
		}
		// These kudos no longer give points: counted says so to every
		// reader of the kudos table.
		if err := tx.Model(&Kudos{}).Where("id IN ?", ids).Update("counted", false).Error; err != nil {
			return fmt.Errorf("uncount kudos: %w", err)
		}
		var pts int
		if err := tx.Raw(`SELECT COALESCE(SUM(points), 0) FROM point_events WHERE award_key IN ?`, undo).Scan(&pts).Error; err != nil {
			return fmt.Errorf("reversed points: %w", err)
		}
		if err := tx.Model(&c).Update("points_reversed", -pts).Error; err != nil {
			return err
		}
		return Audit(tx, nil, "kudos.case_open", &c.GiverID, fmt.Sprintf("case %d: %s, users %v, %d kudos between %s and %s, %d points reversed",
			c.ID, c.Kind, d.users, len(d.kudos), c.WindowStart.Format(time.RFC3339), c.WindowEnd.Format(time.RFC3339), -pts))
	})
	return reversed, err
}

// KudosCaseView is a case with its users' handles, for the moderators' list.
type KudosCaseView struct {
	KudosCase
	GiverHandle    string
	ReceiverHandle string
	ThirdHandle    *string
}

// KudosCasePageSize is how many cases a page lists.
const KudosCasePageSize = 50

// ValidCaseStatus reports whether s is a case status.
func ValidCaseStatus(s string) bool { return s == CaseOpen || s == CaseDismissed || s == CaseConfirmed }

// KudosCases lists the cases with status, newest first, before the case id
// before (0 for the first page), with the users' handles, in one statement.
func KudosCases(ctx context.Context, db *gorm.DB, status string, before int64, limit int) ([]KudosCaseView, error) {
	if limit <= 0 || limit > 200 {
		limit = KudosCasePageSize
	}
	q := db.WithContext(ctx).Table("kudos_cases c").
		Select("c.*, g.handle AS giver_handle, r.handle AS receiver_handle, t.handle AS third_handle").
		Joins("JOIN users g ON g.id = c.giver_id").
		Joins("JOIN users r ON r.id = c.receiver_id").
		Joins("LEFT JOIN users t ON t.id = c.third_id").
		Where("c.status = ?", status)
	if before > 0 {
		q = q.Where("c.id < ?", before)
	}
	var out []KudosCaseView
	if err := q.Order("c.id DESC").Limit(limit).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("kudos cases: %w", err)
	}
	return out, nil
}

// DecideKudosCase closes an open case as dismissed or confirmed, with an
// audit entry. Only moderators and admins may; a closed case is
// ErrConflict. Dismissing does not give the points back: the kudos'
// award is reversed, and a withdrawal later must still find it so.
func DecideKudosCase(ctx context.Context, db *gorm.DB, actor *User, caseID int64, status string) error {
	if !actor.CanModerate() {
		return ErrForbidden
	}
	if status != CaseDismissed && status != CaseConfirmed {
		v := &ValidationError{}
		v.Add("action", "error.invalid", nil)
		return v
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c KudosCase
		if err := tx.Take(&c, caseID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return fmt.Errorf("kudos case %d: %w", caseID, err)
		}
		now := time.Now().UTC()
		res := tx.Model(&KudosCase{}).Where("id = ? AND status = ?", caseID, CaseOpen).
			Updates(map[string]any{"status": status, "decided_by": actor.ID, "decided_at": now})
		if res.Error != nil {
			return fmt.Errorf("decide kudos case %d: %w", caseID, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrConflict
		}
		return Audit(tx, &actor.ID, "kudos.case_"+status, &c.GiverID, "case "+strconv.FormatInt(caseID, 10)+": "+c.Kind)
	})
}
