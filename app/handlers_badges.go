package app

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/crowdcare/crowdcare/models"
)

// badgeHolderPageSize is how many awards a badge page lists at a time.
const badgeHolderPageSize = 50

// badgeView is a badge as pages show it. Its name and description come
// from the catalogue (badge.<slug>.name / .desc) so that they read in the
// reader's language, and fall back to the stored text for a badge the
// catalogue does not know.
type badgeView struct {
	models.Badge
	Holders int64 // distinct holders, on the badge list
	Times   int64 // times earned, on a profile
}

// Title is the badge's name in l's language.
func (b badgeView) Title(l *Localizer) string {
	return catalogueText(l, "badge."+b.Slug+".name", b.Name)
}

// Desc is the badge's description in l's language.
func (b badgeView) Desc(l *Localizer) string {
	return catalogueText(l, "badge."+b.Slug+".desc", b.Description)
}

// TierLabel is the message id of the badge's tier name, shown beside its
// colour so that the tier never rests on colour alone.
func (b badgeView) TierLabel() string { return tierLabel(b.Tier) }

func tierLabel(tier string) string {
	switch tier {
	case models.TierGold, models.TierSilver, models.TierBronze:
		return "badges.tier_" + tier
	}
	return "badges.tier_bronze"
}

// catalogueText translates id when the catalogue has it, else returns
// fallback, without logging a missing translation: a badge an admin added
// has no catalogue entry, and that is expected.
func catalogueText(l *Localizer, id, fallback string) string {
	if l == nil || l.l == nil {
		return fallback
	}
	s, _ := l.l.Localize(&i18n.LocalizeConfig{MessageID: id})
	if s == "" {
		return fallback
	}
	return s
}

// badgeGroup is one tier on the badge list.
type badgeGroup struct {
	Tier   string
	Label  string
	Badges []badgeView
}

type badgesData struct {
	Groups []badgeGroup
}

// badgesPage lists every badge by tier, rarest first, with holder counts.
func (s *server) badgesPage(c *gin.Context) {
	all, err := models.AllBadges(c.Request.Context(), s.db)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "badges", &Page{Title: "badges.title", Data: &badgesData{Groups: groupBadges(all)}})
}

func groupBadges(all []models.BadgeSummary) []badgeGroup {
	var out []badgeGroup
	for _, tier := range models.BadgeTiers {
		g := badgeGroup{Tier: tier, Label: tierLabel(tier)}
		for _, b := range all {
			if b.Tier == tier {
				g.Badges = append(g.Badges, badgeView{Badge: b.Badge, Holders: b.Holders})
			}
		}
		if len(g.Badges) > 0 {
			out = append(out, g)
		}
	}
	return out
}

type badgeData struct {
	Badge   badgeView
	Holders []models.BadgeHolder
	Before  string // the cursor of this page ("" on the first)
	Next    string
	// CanGrant shows the manual grant form (admins, manual badges).
	CanGrant bool
	// Granted and Held name the user of the last grant: newly granted, or
	// holding the badge already.
	Granted string
	Held    string
	// UntilMin and UntilMax bound the grant form's optional last day
	// (YYYY-MM-DD, UTC), as models.BadgeUntil does.
	UntilMin, UntilMax string
	UntilYears         int
}

// badgePage shows one badge and its holders, newest first.
func (s *server) badgePage(c *gin.Context) {
	s.showBadge(c, http.StatusOK, nil, nil)
}

func (s *server) showBadge(c *gin.Context, status int, verr *models.ValidationError, form url.Values) {
	ctx := c.Request.Context()
	b, err := models.BadgeBySlug(ctx, s.db, c.Param("slug"))
	if err != nil {
		s.handleErr(c, err)
		return
	}
	d := &badgeData{Badge: badgeView{Badge: *b}, Before: c.Query("before"),
		CanGrant: b.Manual() && currentUser(c).HasRole(models.RoleAdmin)}
	if d.CanGrant {
		d.Granted, d.Held = c.Query("granted"), c.Query("held")
		today := time.Now().UTC()
		d.UntilMin = today.AddDate(0, 0, 1).Format(time.DateOnly)
		d.UntilMax = today.AddDate(models.BadgeUntilMaxYears, 0, 0).Format(time.DateOnly)
		d.UntilYears = models.BadgeUntilMaxYears
	}
	if d.Holders, d.Next, err = models.BadgeHolders(ctx, s.db, b.ID, d.Before, badgeHolderPageSize); err != nil {
		s.handleErr(c, err)
		return
	}
	s.render(c, status, "badge", &Page{Title: "badges.title", Data: d, Errors: verr, Form: form})
}

// badgeGrant gives a manual badge to the user named in the form, with the
// admin's reason and, optionally, the last day it is shown (until,
// YYYY-MM-DD). Admins only (the route checks); a bad handle, reason or
// date shows the form again with 422 and writes nothing.
func (s *server) badgeGrant(c *gin.Context) {
	ctx := c.Request.Context()
	b, err := models.BadgeBySlug(ctx, s.db, c.Param("slug"))
	if err != nil {
		s.handleErr(c, err)
		return
	}
	if !b.Manual() {
		s.errorPage(c, http.StatusUnprocessableEntity, "error.badge_not_manual")
		return
	}
	form, ok := s.postForm(c)
	if !ok {
		return
	}
	v := &models.ValidationError{}
	handle := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(form.Get("handle")), "@"))
	var target *models.User
	switch {
	case handle == "":
		v.Add("handle", "error.required", nil)
	case models.ValidateHandle(handle) != nil:
		// No stored handle fails validation; PostgreSQL would refuse some
		// such input (invalid UTF-8, NUL) instead of finding nothing.
		v.Add("handle", "error.user_unknown", nil)
	default:
		target, err = models.UserByHandle(ctx, s.db, handle)
		if errors.Is(err, models.ErrNotFound) {
			v.Add("handle", "error.user_unknown", nil)
		} else if err != nil {
			s.fail(c, err)
			return
		}
	}
	// The optional last day is read with the handle, so both are reported
	// at once; the model checks the reason and the expiry again.
	expires := models.BadgeUntil(v, "until", form.Get("until"), time.Now())
	if v.Err() != nil {
		s.showBadge(c, http.StatusUnprocessableEntity, v, form)
		return
	}
	granted, err := models.GrantManualBadge(ctx, s.db, currentUser(c), models.BadgeGrant{UserID: target.ID, Slug: b.Slug,
		Reason: form.Get("reason"), ExpiresAt: expires})
	if verr, bad := validationErr(err); bad {
		s.showBadge(c, http.StatusUnprocessableEntity, verr, form)
		return
	}
	if err != nil {
		s.handleErr(c, err)
		return
	}
	result := "granted"
	if !granted {
		result = "held"
	}
	c.Redirect(http.StatusSeeOther, "/badges/"+b.Slug+"?"+result+"="+url.QueryEscape(target.Handle))
}

// userBadges loads the badges a profile shows.
func (s *server) userBadges(c *gin.Context, userID int64) ([]badgeView, error) {
	held, err := models.BadgesOf(c.Request.Context(), s.db, userID)
	if err != nil {
		return nil, err
	}
	out := make([]badgeView, len(held))
	for i, h := range held {
		out[i] = badgeView{Badge: h.Badge, Times: h.Times}
	}
	return out, nil
}
