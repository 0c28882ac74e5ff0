// Package templates embeds the HTML templates. Pages in pages/ each define
// "title" and "content"; layout.html wraps them; partials/ hold shared pieces.
package templates

import "embed"

// FS holds every template.
//
//go:embed layout.html partials/*.html pages/*.html
var FS embed.FS
