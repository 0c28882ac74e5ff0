package models_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crowdcare/crowdcare/models"
)

// TestDigestPeriod: periods end at 08:00 local time, every day or every
// Monday, in zones with half-hour offsets and across daylight saving time.
func TestDigestPeriod(t *testing.T) {
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	la, _ := time.LoadLocation("America/Los_Angeles")
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		mode     string
		loc      *time.Location
		now      string
		key      string
		from, to string
	}{
		{models.EmailDaily, kolkata, "2026-10-26T02:29:00Z", "d:2026-10-25", "2026-10-24T02:30:00Z", "2026-10-25T02:30:00Z"},
		{models.EmailDaily, kolkata, "2026-10-26T02:30:00Z", "d:2026-10-26", "2026-10-25T02:30:00Z", "2026-10-26T02:30:00Z"},
		{models.EmailDaily, la, "2026-11-01T16:00:00Z", "d:2026-11-01", "2026-10-31T15:00:00Z", "2026-11-01T16:00:00Z"}, // PDT → PST: a 25-hour day
		{models.EmailWeekly, la, "2026-11-02T15:59:00Z", "w:2026-10-26", "2026-10-19T15:00:00Z", "2026-10-26T15:00:00Z"},
		{models.EmailWeekly, la, "2026-11-02T16:00:00Z", "w:2026-11-02", "2026-10-26T15:00:00Z", "2026-11-02T16:00:00Z"},
		{models.EmailWeekly, time.UTC, "2026-11-08T23:00:00Z", "w:2026-11-02", "2026-10-26T08:00:00Z", "2026-11-02T08:00:00Z"}, // Sunday
	}
	for _, c := range cases {
		key, from, to := models.DigestPeriod(c.mode, c.loc, at(c.now))
		if key != c.key || !from.Equal(at(c.from)) || !to.Equal(at(c.to)) {
			t.Errorf("%s %s at %s: %s [%s, %s), want %s [%s, %s)", c.mode, c.loc, c.now, key, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), c.key, c.from, c.to)
		}
	}
}

// TestUnsubscribeTokens: a signed token round-trips; a changed payload,
// signature or secret, and an expired or malformed token are refused.
func TestUnsubscribeTokens(t *testing.T) {
	secret := []byte("a-secret-of-at-least-thirty-two-characters")
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	u := models.Unsubscribe{UserID: 7, Action: models.UnsubscribeFollow, TargetType: models.FollowTag, TargetID: 3, Expires: now.Add(time.Hour)}
	tok := models.SignUnsubscribe(secret, u)
	got, err := models.ParseUnsubscribe(secret, tok, now)
	if err != nil || got != u {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	payload, sig, _ := strings.Cut(tok, ".")
	forged := models.SignUnsubscribe(secret, models.Unsubscribe{UserID: 8, Action: models.UnsubscribeAll, Expires: u.Expires})
	fp, _, _ := strings.Cut(forged, ".")
	bad := []string{"", "x", payload, payload + ".", fp + "." + sig, payload + "." + sig[:len(sig)-2] + "AA",
		models.SignUnsubscribe([]byte("another-secret-of-at-least-32-chars!"), u), tok + tok,
		models.SignUnsubscribe(secret, models.Unsubscribe{UserID: 7, Action: "delete", Expires: u.Expires}),
		models.SignUnsubscribe(secret, models.Unsubscribe{UserID: 7, Action: models.UnsubscribeFollow, TargetType: "user", Expires: u.Expires})}
	for _, b := range bad {
		if _, err := models.ParseUnsubscribe(secret, b, now); !errors.Is(err, models.ErrTokenInvalid) {
			t.Errorf("token %q: %v, want invalid", b, err)
		}
	}
	if _, err := models.ParseUnsubscribe(secret, tok, u.Expires); !errors.Is(err, models.ErrTokenExpired) {
		t.Errorf("expired token: %v", err)
	}
}

func TestMentions(t *testing.T) {
	got := models.Mentions("Hi @Asha and @omar, mail me at x@example.com; `@code` ```\n@block\n``` @asha again, @a (too short), @lee.")
	if !slices.Equal(got, []string{"asha", "omar", "lee"}) {
		t.Errorf("mentions: %v", got)
	}
}
