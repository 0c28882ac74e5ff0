package models

import (
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Tokenize splits text into lower-cased, NFC-normalised lexemes. It works the
// same for every script: a token is a run of letters, combining marks and
// digits, so Devanagari, Tamil and Telugu words keep their vowel signs and
// viramas. '-', '.' and '_' between two letters or digits stay inside the
// token, so error codes such as E-301 and versions such as 4.2.1 stay whole.
// Search and emerging-issue detection share it.
func Tokenize(text string) []string {
	text = norm.NFC.String(text)
	rs := []rune(text)
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, foldCase(string(cur)))
			cur = cur[:0]
		}
	}
	for i, r := range rs {
		switch {
		case isIgnorable(r):
			// Invisible joiners and emoji variation selectors neither make
			// nor split a word.
		case isWordRune(r) && (len(cur) > 0 || !unicode.IsMark(r)):
			// A mark only continues a word; a stray one (or one left after
			// an emoji) is no token of its own.
			cur = append(cur, r)
		case (r == '-' || r == '.' || r == '_') && len(cur) > 0 && i+1 < len(rs) && isWordRune(rs[i+1]) && !unicode.IsMark(rs[i+1]):
			cur = append(cur, r)
		case r == '\'' || r == '’':
			// Apostrophes inside English words ("don't") are dropped, not split on.
			if !(len(cur) > 0 && i+1 < len(rs) && unicode.IsLetter(rs[i+1])) {
				flush()
			}
		default:
			flush()
		}
	}
	flush()
	return out
}

// isWordRune reports letters, digits and the marks that belong inside words
// (vowel signs, viramas, accents). Enclosing marks, such as the keycap of an
// emoji, are not word parts.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc)
}

// isIgnorable reports runes that change how text looks but not what it says:
// variation selectors (emoji presentation, CJK variants), zero-width joiner
// and non-joiner (Indic conjunct forms, emoji sequences) and the soft hyphen.
func isIgnorable(r rune) bool {
	return unicode.Is(unicode.Variation_Selector, r) || r == '\u200c' || r == '\u200d' || r == '\u00ad'
}

// searchLexemes returns the distinct tokens of the given texts, each at most
// 100 bytes, for the search index.
func searchLexemes(texts ...string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range texts {
		for _, tok := range Tokenize(t) {
			if len(tok) > 100 || seen[tok] {
				continue
			}
			seen[tok] = true
			out = append(out, tok)
		}
	}
	return out
}

// caseFolder folds case for matching: unlike strings.ToLower it maps every
// form of a letter to one (Greek final sigma, German sharp s, ...).
var caseFolder = cases.Fold()

func foldCase(s string) string { return caseFolder.String(s) }
