package models

import (
	"slices"
	"testing"
)

// TestDocTerms checks the terms the detector counts for a question: the
// tokenizer's words in any script (case-folded, codes and versions whole),
// each once, and its tags, which read the same in every language.
func TestDocTerms(t *testing.T) {
	tests := []struct {
		name, title, body string
		tags              []string
		want              []string
	}{
		{"english, code and version whole, each term once", "Error E-301 after 4.2.1", "E-301 again after the update",
			[]string{"scan"}, []string{"#scan", "error", "e-301", "after", "4.2.1", "again", "the", "update"}},
		{"hindi keeps its vowel signs", "फर्मवेयर अपडेट के बाद E-301", "स्कैनर रुक जाता है", nil,
			[]string{"फर्मवेयर", "अपडेट", "के", "बाद", "e-301", "स्कैनर", "रुक", "जाता", "है"}},
		{"bulgarian is case-folded", "Грешка E-301 при СКАНИРАНЕ", "", nil,
			[]string{"грешка", "e-301", "при", "сканиране"}},
		{"tamil words whole", "ஸ்கேனர் E-301 பிழை", "", nil, []string{"ஸ்கேனர்", "e-301", "பிழை"}},
		{"telugu words whole", "స్కానర్ E-301 లోపం", "", nil, []string{"స్కానర్", "e-301", "లోపం"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := docTerms(tt.title, tt.body, tt.tags); !slices.Equal(got, tt.want) {
				t.Errorf("docTerms = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestBinomTail checks the burst test against exact values.
func TestBinomTail(t *testing.T) {
	tests := []struct {
		k, n int
		p    float64
		want float64
	}{
		{0, 10, 0.1, 1},
		{11, 10, 0.5, 0},
		{3, 3, 0.1, 0.001},        // all three in the window: p³
		{2, 3, 0.1, 0.028},        // 3·p²(1-p) + p³
		{1, 10, 0.5, 1},           // below the mean: never a burst
		{10, 10, 0.5, 1.0 / 1024}, // p¹⁰
	}
	for _, tt := range tests {
		if got := binomTail(tt.k, tt.n, tt.p); got < tt.want*(1-1e-9) || got > tt.want*(1+1e-9) {
			t.Errorf("binomTail(%d, %d, %g) = %g, want %g", tt.k, tt.n, tt.p, got, tt.want)
		}
	}
}
