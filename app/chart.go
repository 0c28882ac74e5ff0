package app

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// BarChart is a small bar chart rendered on the server as inline SVG: no
// script, nothing fetched, readable by screen readers through its title,
// description and the data table pages put next to it.
type BarChart struct {
	ID     string   // unique on the page: prefixes the ids of title and desc
	Title  string   // what the chart shows, for its <title>
	Desc   string   // a sentence summing it up, for its <desc>
	Labels []string // one per bar; only some are printed under the axis
	Values []int
	Width  int // viewBox width; 600 when 0
	Height int // viewBox height; 160 when 0
}

// SVG renders the chart. Bars scale to the largest value; the axis shows
// 0 and that maximum, and about six labels along the bottom.
func (c BarChart) SVG() template.HTML {
	w, h := c.Width, c.Height
	if w == 0 {
		w = 600
	}
	if h == 0 {
		h = 160
	}
	const left, bottom, top = 36, 22, 8
	plotW, plotH := float64(w-left-4), float64(h-bottom-top)
	maxV := 0
	for _, v := range c.Values {
		maxV = max(maxV, v)
	}
	id := "chart-" + html.EscapeString(c.ID)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t %s-d" preserveAspectRatio="none">`, w, h, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, html.EscapeString(c.Title), id, html.EscapeString(c.Desc))
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, left, h-bottom, w-4, h-bottom)
	fmt.Fprintf(&b, `<text class="tick" x="%d" y="%d" text-anchor="end">0</text>`, left-4, h-bottom)
	fmt.Fprintf(&b, `<text class="tick" x="%d" y="%d" text-anchor="end">%d</text>`, left-4, top+8, maxV)
	n := len(c.Values)
	if n > 0 {
		slot := plotW / float64(n)
		barW := slot * 0.8
		if barW < 1 {
			barW = slot
		}
		every := max(1, n/6)
		for i, v := range c.Values {
			x := float64(left) + float64(i)*slot + (slot-barW)/2
			bh := 0.0
			if maxV > 0 {
				bh = plotH * float64(v) / float64(maxV)
			}
			label := ""
			if i < len(c.Labels) {
				label = c.Labels[i]
			}
			fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %d</title></rect>`,
				x, float64(h-bottom)-bh, barW, bh, html.EscapeString(label), v)
			if i%every == 0 && label != "" {
				fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x+barW/2, h-6, html.EscapeString(label))
			}
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text above is escaped
}
