package app

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestBarChartSVG(t *testing.T) {
	c := BarChart{ID: "issue-7", Title: "Questions per hour <E-301>", Desc: "12 questions in 3 hours", Labels: []string{"09:00", "10:00", "11:00"}, Values: []int{2, 0, 10}}
	out := string(c.SVG())
	doc, err := html.Parse(strings.NewReader("<body>" + out))
	if err != nil {
		t.Fatal(err)
	}
	var rects, titles int
	var heights []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "rect":
				rects++
				for _, a := range n.Attr {
					if a.Key == "height" {
						heights = append(heights, a.Val)
					}
				}
			case "title":
				titles++
			case "script", "foreignobject":
				t.Errorf("chart holds <%s>", n.Data)
			}
		}
		for k := n.FirstChild; k != nil; k = k.NextSibling {
			walk(k)
		}
	}
	walk(doc)
	if rects != 3 || titles != 4 {
		t.Errorf("%d bars and %d titles, want 3 and 4", rects, titles)
	}
	// The largest value fills the plot (160-22-8 = 130); zero is flat.
	if len(heights) != 3 || heights[1] != "0.0" || heights[2] != "130.0" || heights[0] != "26.0" {
		t.Errorf("bar heights %v", heights)
	}
	if strings.Contains(out, "<E-301>") || !strings.Contains(out, "&lt;E-301&gt;") {
		t.Error("the title is not escaped")
	}
	if !strings.Contains(out, `role="img"`) || !strings.Contains(out, "12 questions in 3 hours") {
		t.Error("the chart has no accessible name and description")
	}
	empty := string(BarChart{Title: "Nothing"}.SVG())
	if strings.Contains(empty, "<rect") || !strings.HasSuffix(empty, "</svg>") {
		t.Errorf("empty chart: %s", empty)
	}
	if !strings.Contains(out, `<title id="chart-issue-7-t">`) || !strings.Contains(out, `aria-labelledby="chart-issue-7-t chart-issue-7-d"`) {
		t.Error("the chart's ids do not follow its ID")
	}
}
