package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestBadgePagesAndManualGrant: the badge pages render for everyone; only
// admins may grant a manual badge, with a known handle and a reason; a
// refused grant writes nothing; a grant shows on the badge page, on the
// profile and in the audit log, and granting again changes nothing.
func TestBadgePagesAndManualGrant(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		r := f.visitor.get("/badges")
		mustStatus(t, r, http.StatusOK)
		for _, want := range []string{"Gold", "Silver", "Bronze", `href="/badges/great-answer"`, "Summit guest", "Awarded by the team", `href="/badges" aria-current="page"`} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("/badges lacks %q", want)
			}
		}
		r = f.visitor.get("/badges/summit-guest")
		mustStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Body, "Nobody holds this badge yet.") || strings.Contains(r.Body, "/grant") {
			t.Errorf("a visitor's badge page: holders or grant form wrong\n%.3000s", r.Body)
		}
		if r := f.admin.get("/badges/hero"); !strings.Contains(r.Body, "Hero") || strings.Contains(r.Body, "/grant") {
			t.Error("an automatic badge offers the manual grant form")
		}
		if r := f.admin.get("/badges/summit-guest"); !strings.Contains(r.Body, `action="/badges/summit-guest/grant"`) {
			t.Error("the admin sees no grant form")
		}
		mustStatus(t, f.visitor.get("/badges/no-such-badge"), http.StatusNotFound)
		mustStatus(t, f.visitor.get("/badges/%00"), http.StatusNotFound)
		mustStatus(t, f.visitor.get("/badges/summit-guest?before=garbage"), http.StatusBadRequest)

		good := url.Values{"handle": {"asha"}, "reason": {"Summit 2026 guest"}}
		refusals := []struct {
			name   string
			c      *client
			path   string
			form   url.Values
			status int
			field  string
		}{
			{"visitor", f.visitor, "/badges/summit-guest/grant", good, http.StatusUnauthorized, ""},
			{"member", f.asker, "/badges/summit-guest/grant", good, http.StatusForbidden, ""},
			{"unknown badge", f.admin, "/badges/no-such-badge/grant", good, http.StatusNotFound, ""},
			{"automatic badge", f.admin, "/badges/hero/grant", good, http.StatusUnprocessableEntity, ""},
			{"unknown handle", f.admin, "/badges/summit-guest/grant", url.Values{"handle": {"nobody"}, "reason": {"x"}}, http.StatusUnprocessableEntity, "handle"},
			{"invalid handle", f.admin, "/badges/summit-guest/grant", url.Values{"handle": {"a\x00b"}, "reason": {"x"}}, http.StatusUnprocessableEntity, "handle"},
			{"no handle", f.admin, "/badges/summit-guest/grant", url.Values{"reason": {"x"}}, http.StatusUnprocessableEntity, "handle"},
			{"empty reason", f.admin, "/badges/summit-guest/grant", url.Values{"handle": {"asha"}, "reason": {"   "}}, http.StatusUnprocessableEntity, "reason"},
			{"long reason", f.admin, "/badges/summit-guest/grant", url.Values{"handle": {"asha"}, "reason": {strings.Repeat("x", 501)}}, http.StatusUnprocessableEntity, "reason"},
		}
		for _, rf := range refusals {
			noWrite(t, ts, func() {
				r := rf.c.post(rf.path, rf.form)
				if r.Status != rf.status {
					t.Errorf("%s: status %d, want %d", rf.name, r.Status, rf.status)
				}
				if rf.field != "" && !fieldInvalid(r.Body, rf.field) {
					t.Errorf("%s: field %s not marked invalid", rf.name, rf.field)
				}
			})
		}
		if n := badgeTestCount(t, ts, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'badge.%'"); n != 0 {
			t.Fatalf("refused grants wrote %d audit entries", n)
		}

		r = f.admin.post("/badges/summit-guest/grant", url.Values{"handle": {"@ASHA"}, "reason": {"Summit 2026 <guest>"}})
		mustStatus(t, r, http.StatusSeeOther)
		if r.Location != "/badges/summit-guest?granted=asha" {
			t.Errorf("redirect to %q", r.Location)
		}
		if r := f.admin.get(r.Location); !strings.Contains(r.Body, "Badge awarded to asha.") || !strings.Contains(r.Body, "Summit 2026 &lt;guest&gt;") {
			t.Errorf("badge page after the grant\n%.3000s", r.Body)
		}
		r = f.admin.post("/badges/summit-guest/grant", url.Values{"handle": {"asha"}, "reason": {"again"}})
		mustStatus(t, r, http.StatusSeeOther)
		if r.Location != "/badges/summit-guest?held=asha" {
			t.Errorf("second grant redirects to %q", r.Location)
		}
		// Only this badge's awards: the worker may be awarding automatic
		// badges for the fixture's answers meanwhile.
		if n := badgeTestCount(t, ts, "SELECT COUNT(*) FROM user_badges ub JOIN badges b ON b.id = ub.badge_id WHERE b.slug = 'summit-guest'"); n != 1 {
			t.Errorf("%d awards after granting twice, want 1", n)
		}
		if n := badgeTestCount(t, ts, "SELECT COUNT(*) FROM audit_log WHERE action = 'badge.grant'"); n != 1 {
			t.Errorf("%d audit entries after granting twice, want 1", n)
		}
		r = f.visitor.get("/u/asha")
		if !strings.Contains(r.Body, `href="/badges/summit-guest"`) || !strings.Contains(r.Body, ">Gold<") {
			t.Errorf("the profile does not show the badge with its tier\n%.3000s", r.Body)
		}
		if r := f.visitor.get("/badges"); !strings.Contains(r.Body, "1 holder") {
			t.Error("the badge list does not count the holder")
		}
	})
}

// TestBadgeAwardedAfterAnAnswer: an answer posted through the web reaches
// the badge rules through the outbox and the real worker, and the profile
// shows the badge.
func TestBadgeAwardedAfterAnAnswer(t *testing.T) {
	forEachServer(t, func(t *testing.T, ts *testServer) {
		f := newQAFixture(t, ts)
		helper := ts.client()
		helper.signIn("hana")
		mustAnswer(t, helper, f.qID, "Try a different paper tray.")
		deadline := time.Now().Add(15 * time.Second)
		for badgeTestCount(t, ts, "SELECT COUNT(*) FROM user_badges ub JOIN users u ON u.id = ub.user_id JOIN badges b ON b.id = ub.badge_id WHERE u.handle = 'hana' AND b.slug = 'first-answer'") != 1 {
			if time.Now().After(deadline) {
				t.Fatal("the first-answer badge was never awarded")
			}
			time.Sleep(50 * time.Millisecond)
		}
		r := f.visitor.get("/u/hana")
		if !strings.Contains(r.Body, "First answer") || !strings.Contains(r.Body, ">Bronze<") {
			t.Errorf("the profile does not show the first-answer badge\n%.3000s", r.Body)
		}
		r = f.visitor.get("/badges/first-answer")
		if !strings.Contains(r.Body, `href="/u/hana"`) {
			t.Error("the badge page does not list the new holder")
		}
	})
}

func badgeTestCount(t *testing.T, ts *testServer, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := ts.App.DB.Raw(sql, args...).Scan(&n).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}
