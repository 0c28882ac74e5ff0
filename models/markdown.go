package models

import (
	"bytes"
	"fmt"
	"regexp"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// Markdown is rendered once, when a post is written or edited; pages serve
// the stored HTML. Raw HTML in the source is never passed through (goldmark
// escapes it) and the output is sanitised again by bluemonday, so no script
// from a post can run.
var (
	mdOnce     sync.Once
	mdRenderer goldmark.Markdown
	mdPolicy   *bluemonday.Policy
)

func markdownSetup() {
	mdRenderer = goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithRendererOptions(html.WithHardWraps()),
	)
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	// nofollow and noopener come from bluemonday; "ugc" is added below.
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[a-zA-Z0-9_+-]+$`)).OnElements("code")
	mdPolicy = p
}

var relAttr = regexp.MustCompile(`rel="([^"]*)"`)

// RenderMarkdown turns user Markdown into safe HTML.
func RenderMarkdown(src string) (string, error) {
	mdOnce.Do(markdownSetup)
	var buf bytes.Buffer
	if err := mdRenderer.Convert([]byte(src), &buf); err != nil {
		return "", fmt.Errorf("render markdown: %w", err)
	}
	out := mdPolicy.SanitizeBytes(buf.Bytes())
	// Every user link is marked as user-generated content and can neither
	// pass on rank nor reach back into our window.
	out = relAttr.ReplaceAll(out, []byte(`rel="nofollow ugc noopener"`))
	return string(out), nil
}
