package app

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/feeds"

	"github.com/crowdcare/crowdcare/models"
)

// Atom feeds of the latest questions of a board or a tag. Feed readers
// fetch without a session, so a feed is always read as a visitor: only
// public boards have one, and a tag's feed lists its public questions.

func (s *server) boardFeed(c *gin.Context) {
	b, err := models.BoardBySlug(c.Request.Context(), s.db, nil, c.Param("slug"))
	if err != nil {
		s.handleErr(c, err)
		return
	}
	s.writeFeed(c, b.Name, "/b/"+b.Slug, b.Description, models.ListOptions{Kind: models.ListLatest, BoardID: b.ID}, false)
}

func (s *server) tagFeed(c *gin.Context) {
	t, err := models.TagByName(c.Request.Context(), s.db, c.Param("name"))
	if err != nil {
		s.handleErr(c, err)
		return
	}
	s.writeFeed(c, "#"+t.Name, "/tags/"+url.PathEscape(t.Name), "", models.ListOptions{Kind: models.ListLatest, TagID: t.ID}, true)
}

// writeFeed renders the first page of a list, as a visitor sees it, as
// Atom; notEmpty makes an empty list a 404.
func (s *server) writeFeed(c *gin.Context, title, path, description string, opt models.ListOptions, notEmpty bool) {
	qs, _, err := models.ListQuestions(c.Request.Context(), s.db, nil, opt)
	if err != nil {
		s.handleErr(c, err)
		return
	}
	if notEmpty && len(qs) == 0 {
		// A tag used only on private boards is not there for a visitor:
		// an empty feed would tell that it exists.
		s.errorPage(c, http.StatusNotFound, "error.not_found")
		return
	}
	base := s.cfg.BaseURL
	f := &feeds.Feed{Title: title + " · Crowdcare", Link: &feeds.Link{Href: base + path}, Description: description,
		Id: base + path, Updated: time.Unix(0, 0).UTC()}
	for _, q := range qs {
		link := base + "/q/" + strconv.FormatInt(q.ID, 10)
		author := q.AuthorDisplayName
		if author == "" {
			author = q.AuthorHandle
		}
		f.Items = append(f.Items, &feeds.Item{Title: q.Title, Link: &feeds.Link{Href: link}, Id: link,
			Author: &feeds.Author{Name: author}, Created: q.CreatedAt, Updated: q.LastActivityAt,
			Description: q.BoardName})
		if q.LastActivityAt.After(f.Updated) {
			f.Updated = q.LastActivityAt
		}
	}
	atom, err := f.ToAtom()
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/atom+xml; charset=utf-8", []byte(atom))
}
