package models_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// badgeWorld is a forum for badge tests: an asker, a helper and boards.
// Rows are written directly so that a test can place them in time and
// build hundreds of them quickly.
type badgeWorld struct {
	t      *testing.T
	db     *gorm.DB
	ctx    context.Context
	asker  *models.User
	helper *models.User
	boards []int64
	base   time.Time
}

func newBadgeWorld(t *testing.T, db *gorm.DB, boards int) *badgeWorld {
	t.Helper()
	w := &badgeWorld{t: t, db: db, ctx: context.Background(),
		asker: newTestUser(t, db, "asker"), helper: newTestUser(t, db, "helper"),
		base: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	for i := range boards {
		b, err := models.CreateBoard(w.ctx, db, models.BoardInput{Slug: fmt.Sprintf("board-%d", i), Name: fmt.Sprintf("Board %d", i), Visibility: models.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		w.boards = append(w.boards, b.ID)
	}
	return w
}

// question inserts a question by author on board at time at.
func (w *badgeWorld) question(author *models.User, board int64, at time.Time) int64 {
	w.t.Helper()
	q := models.Question{BoardID: board, AuthorID: author.ID, Title: "A question", CreatedAt: at, UpdatedAt: at, LastActivityAt: at}
	if err := w.db.Create(&q).Error; err != nil {
		w.t.Fatal(err)
	}
	p := models.Post{QuestionID: q.ID, AuthorID: author.ID, Kind: models.KindQuestion, BodyMD: "q", BodyHTML: "<p>q</p>", CreatedAt: at, UpdatedAt: at}
	if err := w.db.Create(&p).Error; err != nil {
		w.t.Fatal(err)
	}
	return q.ID
}

// answer inserts an answer by author to question q at time at.
func (w *badgeWorld) answer(author *models.User, q int64, at time.Time) int64 {
	w.t.Helper()
	p := models.Post{QuestionID: q, AuthorID: author.ID, Kind: models.KindAnswer, BodyMD: "a", BodyHTML: "<p>a</p>", CreatedAt: at, UpdatedAt: at}
	if err := w.db.Create(&p).Error; err != nil {
		w.t.Fatal(err)
	}
	return p.ID
}

// helped inserts a question by the asker answered by the helper an hour
// and a half later (too late for Quick draw), and returns both ids.
func (w *badgeWorld) helped(board int64, at time.Time) (q, a int64) {
	q = w.question(w.asker, board, at)
	return q, w.answer(w.helper, q, at.Add(90*time.Minute))
}

func (w *badgeWorld) accept(q, a int64) {
	w.t.Helper()
	if err := w.db.Model(&models.Question{}).Where("id = ?", q).Update("accepted_answer_id", a).Error; err != nil {
		w.t.Fatal(err)
	}
}

func (w *badgeWorld) kudos(post int64, n int) {
	w.t.Helper()
	if err := w.db.Table("posts").Where("id = ?", post).Update("kudos_count", n).Error; err != nil {
		w.t.Fatal(err)
	}
}

// evaluate runs the rules for u and returns the badges u holds as
// "slug" or "slug×n" when earned n > 1 times, sorted.
func (w *badgeWorld) evaluate(u *models.User) []string {
	w.t.Helper()
	if _, err := models.EvaluateBadges(w.ctx, w.db, u.ID); err != nil {
		w.t.Fatal(err)
	}
	return w.held(u)
}

func (w *badgeWorld) held(u *models.User) []string {
	w.t.Helper()
	bs, err := models.BadgesOf(w.ctx, w.db, u.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, b := range bs {
		s := b.Slug
		if b.Times > 1 {
			s = fmt.Sprintf("%s×%d", b.Slug, b.Times)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func wantBadges(t *testing.T, step string, got []string, want ...string) {
	t.Helper()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: holds %v, want %v", step, got, want)
	}
}

// The rule tests: every automatic rule awards exactly at its threshold and
// not one below, and answers to one's own questions count for nothing.
// (Each is its own test: subtests sharing a name get "#01" suffixes, and a
// '#' in a SQLite path cuts the file URI short.)

func TestBadgeRulesAnswersAndSolutions(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) { testAcceptedRules(t, newBadgeWorld(t, db, 1)) })
}

func TestBadgeRulesKudosPerAnswer(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) { testKudosRules(t, newBadgeWorld(t, db, 1)) })
}

func TestBadgeRulesBoardsAndDays(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) { testBoardsAndDays(t, newBadgeWorld(t, db, 5)) })
}

func TestBadgeRulesQuickDraw(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) { testQuickDraw(t, newBadgeWorld(t, db, 1)) })
}

func testAcceptedRules(t *testing.T, w *badgeWorld) {
	b := w.boards[0]
	wantBadges(t, "no answers", w.evaluate(w.helper))
	// The helper answers and accepts their own question: nothing.
	own := w.question(w.helper, b, w.base)
	w.accept(own, w.answer(w.helper, own, w.base.Add(time.Minute)))
	wantBadges(t, "own question", w.evaluate(w.helper))
	// A deleted answer counts for nothing either.
	_, gone := w.helped(b, w.base)
	w.db.Model(&models.Post{}).Where("id = ?", gone).Update("deleted_at", w.base)
	wantBadges(t, "deleted answer", w.evaluate(w.helper))

	var qs, as []int64
	for i := range 100 {
		q, a := w.helped(b, w.base.Add(time.Duration(i)*time.Minute))
		qs, as = append(qs, q), append(as, a)
	}
	wantBadges(t, "100 answers, none accepted", w.evaluate(w.helper), "first-answer")
	accepted := 0
	acceptUpTo := func(n int) {
		for ; accepted < n; accepted++ {
			w.accept(qs[accepted], as[accepted])
		}
	}
	steps := []struct {
		n    int
		want []string
	}{
		{1, []string{"first-answer", "first-solution"}},
		{9, []string{"first-answer", "first-solution"}},
		{10, []string{"first-answer", "first-solution", "helper"}},
		{49, []string{"first-answer", "first-solution", "helper"}},
		{50, []string{"first-answer", "first-solution", "helper", "problem-solver"}},
		{99, []string{"first-answer", "first-solution", "helper", "problem-solver"}},
		{100, []string{"first-answer", "first-solution", "helper", "problem-solver", "hero"}},
	}
	for _, s := range steps {
		acceptUpTo(s.n)
		wantBadges(t, fmt.Sprintf("%d accepted", s.n), w.evaluate(w.helper), s.want...)
	}
	wantBadges(t, "the asker", w.evaluate(w.asker))
}

func testKudosRules(t *testing.T, w *badgeWorld) {
	b := w.boards[0]
	_, a1 := w.helped(b, w.base)
	_, a2 := w.helped(b, w.base.Add(time.Hour))
	// Kudos on a question are not kudos on an answer.
	w.kudos(w.questionPost(w.question(w.helper, b, w.base)), 500)
	steps := []struct {
		post, kudos int64
		want        []string
	}{
		{a1, 9, nil},
		{a1, 10, []string{"nice-answer"}},
		{a1, 24, []string{"nice-answer"}},
		{a1, 25, []string{"nice-answer", "good-answer"}},
		{a2, 10, []string{"nice-answer×2", "good-answer"}},
		{a1, 49, []string{"nice-answer×2", "good-answer"}},
		{a1, 50, []string{"nice-answer×2", "good-answer", "great-answer"}},
		// Badges are never taken back when kudos are withdrawn.
		{a1, 0, []string{"nice-answer×2", "good-answer", "great-answer"}},
	}
	for _, s := range steps {
		w.kudos(s.post, int(s.kudos))
		want := append([]string{"first-answer"}, s.want...)
		wantBadges(t, fmt.Sprintf("answer %d with %d kudos", s.post, s.kudos), w.evaluate(w.helper), want...)
	}
}

func (w *badgeWorld) questionPost(q int64) int64 {
	w.t.Helper()
	var id int64
	if err := w.db.Model(&models.Post{}).Where("question_id = ? AND kind = ?", q, models.KindQuestion).Pluck("id", &id).Error; err != nil {
		w.t.Fatal(err)
	}
	return id
}

func testBoardsAndDays(t *testing.T, w *badgeWorld) {
	// Four boards, many answers each, all on one day.
	for i, b := range w.boards[:4] {
		for j := range 3 {
			w.helped(b, w.base.Add(time.Duration(i*3+j)*time.Minute))
		}
	}
	wantBadges(t, "4 boards", w.evaluate(w.helper), "first-answer")
	w.helped(w.boards[4], w.base)
	wantBadges(t, "5 boards", w.evaluate(w.helper), "first-answer", "versatile")

	// Days are UTC days: 23:59:59 and 00:00:00 the next day are two days.
	// w.helped answers 90 minutes after the question.
	late := time.Date(2026, 4, 1, 22, 29, 59, 0, time.UTC)
	w.helped(w.boards[0], late)                                // 2026-04-01 23:59:59
	w.helped(w.boards[0], late.Add(time.Second))               // 2026-04-02 00:00:00
	w.helped(w.boards[0], late.Add(time.Second+2*time.Minute)) // the same day again
	// Day 1 (w.base) + 2 so far; 26 more make 29.
	for d := range 26 {
		w.helped(w.boards[1], time.Date(2026, 5, 1+d, 8, 0, 0, 0, time.UTC))
	}
	wantBadges(t, "29 days", w.evaluate(w.helper), "first-answer", "versatile")
	w.helped(w.boards[1], time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC))
	wantBadges(t, "30 days", w.evaluate(w.helper), "first-answer", "versatile", "regular")
}

func testQuickDraw(t *testing.T, w *badgeWorld) {
	b := w.boards[0]
	other := newTestUser(t, w.db, "other")
	// One second too late.
	q := w.question(w.asker, b, w.base)
	w.answer(w.helper, q, w.base.Add(time.Hour+time.Second))
	// Fast, but someone else answered first.
	q = w.question(w.asker, b, w.base)
	w.answer(other, q, w.base.Add(time.Minute))
	w.answer(w.helper, q, w.base.Add(2*time.Minute))
	// Fast and first, but the helper's own question.
	q = w.question(w.helper, b, w.base)
	w.answer(w.helper, q, w.base.Add(time.Minute))
	wantBadges(t, "no quick first answer", w.evaluate(w.helper), "first-answer")
	wantBadges(t, "other", w.evaluate(other), "first-answer", "quick-draw")
	// First, exactly one hour after the question.
	q = w.question(w.asker, b, w.base.Add(24*time.Hour))
	w.answer(w.helper, q, w.base.Add(25*time.Hour))
	wantBadges(t, "first answer at one hour", w.evaluate(w.helper), "first-answer", "quick-draw")
}

// TestEvaluateBadgesIsIdempotent: evaluating again, or many times at once,
// awards each badge once, with a fixed number of statements however many
// answers the user has.
func TestEvaluateBadgesIsIdempotent(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		w := newBadgeWorld(t, db, 5)
		var stmts []int
		for i := range 60 {
			_, a := w.helped(w.boards[i%5], w.base.Add(time.Duration(i)*25*time.Hour))
			if i%20 == 0 {
				w.kudos(a, 60)
			}
			if i == 0 || i == 59 {
				sqls, err := count(db, func(db *gorm.DB) error { _, err := models.EvaluateBadges(w.ctx, db, w.helper.ID); return err })
				if err != nil {
					t.Fatal(err)
				}
				stmts = append(stmts, len(sqls))
			}
		}
		// The first count found new badges (one insert); so does the last.
		if stmts[0] != stmts[1] || stmts[1] > 6 {
			t.Errorf("statements per evaluation: %v, want the same small number", stmts)
		}
		want := []string{"first-answer", "versatile", "regular", "nice-answer×3", "good-answer×3", "great-answer×3"}
		wantBadges(t, "first evaluation", w.held(w.helper), want...)
		n, err := models.EvaluateBadges(w.ctx, db, w.helper.ID)
		if err != nil || n != 0 {
			t.Fatalf("second evaluation awarded %d: %v", n, err)
		}
		sqls, _ := count(db, func(db *gorm.DB) error { _, err := models.EvaluateBadges(w.ctx, db, w.helper.ID); return err })
		if len(sqls) != stmts[0]-1 {
			t.Errorf("an evaluation with nothing new ran %d statements, want %d (no insert)", len(sqls), stmts[0]-1)
		}

		// Twenty concurrent evaluations of a user with new badges due.
		for i := range 10 {
			w.accept(w.helped(w.boards[0], w.base.Add(time.Duration(i)*time.Minute)))
		}
		var wg sync.WaitGroup
		total := make(chan int, 20)
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := models.EvaluateBadges(w.ctx, db, w.helper.ID)
				if err != nil {
					t.Error(err)
				}
				total <- n
			}()
		}
		wg.Wait()
		close(total)
		sum := 0
		for n := range total {
			sum += n
		}
		if sum != 2 {
			t.Errorf("concurrent evaluations awarded %d badges in all, want 2 (first solution, helper)", sum)
		}
		wantBadges(t, "after concurrent evaluations", w.held(w.helper), append(want, "first-solution", "helper")...)
	})
}

// TestManualBadges: only admins grant, with a reason, a manual badge that
// exists, to a user who exists; every grant and revoke is audited and
// nothing is written when it is refused.
func TestManualBadges(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		admin := newTestUser(t, db, "ada", models.RoleAdmin)
		mod := newTestUser(t, db, "mona", models.RoleModerator)
		asha := newTestUser(t, db, "asha")
		audits := func() int64 {
			var n int64
			db.Model(&models.AuditEntry{}).Where("action LIKE 'badge.%'").Count(&n)
			return n
		}
		awards := func() int64 {
			var n int64
			db.Model(&models.UserBadge{}).Count(&n)
			return n
		}
		refusals := []struct {
			name   string
			actor  *models.User
			user   int64
			slug   string
			reason string
			check  func(error) bool
		}{
			{"moderator", mod, asha.ID, "summit-guest", "Great year", isErr(models.ErrForbidden)},
			{"visitor", nil, asha.ID, "summit-guest", "Great year", isErr(models.ErrForbidden)},
			{"empty reason", admin, asha.ID, "summit-guest", "  \n ", isField("reason", "error.required")},
			{"long reason", admin, asha.ID, "summit-guest", strings.Repeat("é", 501), isField("reason", "error.too_long")},
			{"unknown badge", admin, asha.ID, "no-such-badge", "Great year", isErr(models.ErrNotFound)},
			{"bad slug", admin, asha.ID, "Robert'); DROP", "Great year", isErr(models.ErrNotFound)},
			{"automatic badge", admin, asha.ID, "hero", "Great year", isField("badge", "error.badge_not_manual")},
			{"unknown user", admin, 987654, "summit-guest", "Great year", isErr(models.ErrNotFound)},
		}
		for _, r := range refusals {
			ok, err := models.GrantManualBadge(ctx, db, r.actor, models.BadgeGrant{UserID: r.user, Slug: r.slug, Reason: r.reason})
			if ok || !r.check(err) {
				t.Errorf("%s: granted=%v err=%v", r.name, ok, err)
			}
		}
		if awards() != 0 || audits() != 0 {
			t.Fatalf("refused grants wrote %d awards and %d audit entries", awards(), audits())
		}
		ok, err := models.GrantManualBadge(ctx, db, admin, models.BadgeGrant{UserID: asha.ID, Slug: "summit-guest", Reason: "  Summit 2026 guest "})
		if !ok || err != nil {
			t.Fatalf("grant: %v %v", ok, err)
		}
		ok, err = models.GrantManualBadge(ctx, db, admin, models.BadgeGrant{UserID: asha.ID, Slug: "summit-guest", Reason: "again"})
		if ok || err != nil {
			t.Fatalf("second grant: %v %v, want a no-op", ok, err)
		}
		if awards() != 1 || audits() != 1 {
			t.Fatalf("after two grants: %d awards, %d audit entries, want 1 and 1", awards(), audits())
		}
		var e models.AuditEntry
		db.Where("action = ?", "badge.grant").First(&e)
		if e.ActorID == nil || *e.ActorID != admin.ID || e.TargetUserID == nil || *e.TargetUserID != asha.ID || e.Detail != "summit-guest: Summit 2026 guest" {
			t.Errorf("audit entry: %+v", e)
		}
		holders, next, err := models.BadgeHolders(ctx, db, badgeID(t, db, "summit-guest"), "", 10)
		if err != nil || next != "" || len(holders) != 1 || holders[0].Handle != "asha" || holders[0].Reason != "Summit 2026 guest" || holders[0].GrantedByHandle != "ada" {
			t.Fatalf("holders: %+v %q %v", holders, next, err)
		}
		// Revoking: admins only, with a reason, audited, once.
		if ok, err := models.RevokeManualBadge(ctx, db, mod, asha.ID, "summit-guest", "mistake"); ok || !errors.Is(err, models.ErrForbidden) {
			t.Errorf("moderator revoked: %v %v", ok, err)
		}
		if ok, err := models.RevokeManualBadge(ctx, db, admin, asha.ID, "hero", "mistake"); ok || !isField("badge", "error.badge_not_manual")(err) {
			t.Errorf("revoked an automatic badge: %v %v", ok, err)
		}
		for i, want := range []bool{true, false} {
			if ok, err := models.RevokeManualBadge(ctx, db, admin, asha.ID, "summit-guest", "granted by mistake"); ok != want || err != nil {
				t.Errorf("revoke %d: %v %v, want %v", i, ok, err, want)
			}
		}
		if awards() != 0 || audits() != 2 {
			t.Errorf("after revoking: %d awards, %d audit entries, want 0 and 2", awards(), audits())
		}
	})
}

// TestBadgeListsAndHolderPages: the badge list counts distinct holders,
// and holder pages walk every award once, newest first.
func TestBadgeListsAndHolderPages(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		admin := newTestUser(t, db, "ada", models.RoleAdmin)
		var users []int64
		for i := range 7 {
			u := newTestUser(t, db, fmt.Sprintf("user%d", i))
			users = append(users, u.ID)
			if _, err := models.GrantManualBadge(ctx, db, admin, models.BadgeGrant{UserID: u.ID, Slug: "expert", Reason: "helps a lot"}); err != nil {
				t.Fatal(err)
			}
		}
		// Two awards at the same instant still page apart (ties break on id).
		at := time.Now().UTC().Truncate(time.Second)
		db.Model(&models.UserBadge{}).Where("user_id IN ?", users[2:4]).Update("created_at", at)
		var seen []int64
		cur := ""
		for page := 0; ; page++ {
			hs, next, err := models.BadgeHolders(ctx, db, badgeID(t, db, "expert"), cur, 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hs {
				seen = append(seen, h.UserID)
			}
			if next == "" {
				break
			}
			cur = next
			if page > 5 {
				t.Fatal("holder pages never end")
			}
		}
		if len(seen) != 7 || len(slices.Compact(slices.Sorted(slices.Values(seen)))) != 7 {
			t.Errorf("pages listed %v, want each of the 7 holders once", seen)
		}
		if _, _, err := models.BadgeHolders(ctx, db, 1, "garbage!", 3); !errors.Is(err, models.ErrBadCursor) {
			t.Errorf("bad cursor: %v", err)
		}
		all, err := models.AllBadges(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 14 || all[0].Tier != models.TierGold || all[len(all)-1].Tier != models.TierBronze {
			t.Fatalf("badges: %d, first %s, last %s", len(all), all[0].Tier, all[len(all)-1].Tier)
		}
		for _, b := range all {
			want := int64(0)
			if b.Slug == "expert" {
				want = 7
			}
			if b.Holders != want {
				t.Errorf("%s has %d holders, want %d", b.Slug, b.Holders, want)
			}
		}
	})
}

func badgeID(t *testing.T, db *gorm.DB, slug string) int64 {
	t.Helper()
	b, err := models.BadgeBySlug(context.Background(), db, slug)
	if err != nil {
		t.Fatal(err)
	}
	return b.ID
}

func isErr(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

func isField(field, msg string) func(error) bool {
	return func(err error) bool {
		var v *models.ValidationError
		return errors.As(err, &v) && v.Field(field) != nil && v.Field(field).Message == msg
	}
}
