package models

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kinds of private data a post may hold by mistake.
const (
	PrivateEmail   = "email"
	PrivatePhone   = "phone"
	PrivateCard    = "card"
	PrivateIBAN    = "iban"
	PrivateAccount = "account" // a long run of digits: an account, customer or phone number
)

// PrivateKinds lists every kind, for the catalogue test.
var PrivateKinds = []string{PrivateEmail, PrivatePhone, PrivateCard, PrivateIBAN, PrivateAccount}

// PrivateFinding is one piece of text that looks like private data.
type PrivateFinding struct {
	Kind string
	// Text is what was found, as written; Shown is what the warning shows
	// (numbers keep only their last four digits).
	Text  string
	Shown string
}

// PrivateDataError is returned instead of publishing a post whose text
// looks like private data, until the author confirms or makes it private.
// Nothing is written.
type PrivateDataError struct {
	Findings []PrivateFinding
}

func (e *PrivateDataError) Error() string {
	kinds := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		kinds[i] = f.Kind
	}
	return "text looks like private data: " + strings.Join(kinds, ", ")
}

var (
	emailPattern = regexp.MustCompile(`[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)*\.\p{L}{2,}`)
	// An IBAN: country, two check digits, then up to 30 letters and digits,
	// printed in groups of four or not at all. The mod-97 check follows.
	ibanPattern = regexp.MustCompile(`\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b`)
	// Dates whose digits would otherwise read as one long number.
	datePattern = regexp.MustCompile(`\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}-\d{1,2}-\d{2,4}\b`)
	// Documentation addresses (RFC 2606) are examples, not anyone's.
	exampleDomain = regexp.MustCompile(`(?i)@(?:[\w-]+\.)*example\.(?:com|org|net)$|\.(?:example|test|invalid)$`)
)

// FindPrivateData lists what in text looks like an email address, a phone
// number, a payment card number (Luhn-checked), an IBAN (mod-97 checked)
// or a long account-like number, in the order they appear. It favours
// missing an odd number over warning about versions (4.2.1), error codes
// (E-301), dates, times, prices and short order numbers.
func FindPrivateData(text string) []PrivateFinding {
	if text == "" {
		return nil
	}
	norm := asciiDigits(text) // same byte offsets as text for every ASCII byte
	var found []span
	for _, m := range emailPattern.FindAllStringIndex(norm.s, -1) {
		if !exampleDomain.MatchString(norm.s[m[0]:m[1]]) {
			found = append(found, span{m[0], m[1], PrivateEmail})
		}
	}
	masked := []byte(norm.s)
	blank := func(a, b int) {
		for i := a; i < b; i++ {
			masked[i] = '#'
		}
	}
	for _, s := range found {
		blank(s.a, s.b)
	}
	for _, m := range ibanPattern.FindAllStringIndex(string(masked), -1) {
		if validIBAN(norm.s[m[0]:m[1]]) {
			found = append(found, span{m[0], m[1], PrivateIBAN})
			blank(m[0], m[1])
		}
	}
	for _, m := range datePattern.FindAllStringIndex(string(masked), -1) {
		blank(m[0], m[1])
	}
	found = append(found, numberSpans(string(masked))...)
	sort.Slice(found, func(i, j int) bool { return found[i].a < found[j].a })
	out := make([]PrivateFinding, 0, len(found))
	for _, s := range found {
		orig := norm.original(text, s.a, s.b)
		shown := orig
		if s.kind != PrivateEmail {
			shown = maskDigits(orig)
		}
		out = append(out, PrivateFinding{Kind: s.kind, Text: orig, Shown: shown})
	}
	return out
}

type span struct {
	a, b int
	kind string
}

// normalized is text with every decimal digit of any script written as an
// ASCII digit; at maps each byte offset of s to one in the original.
type normalized struct {
	s  string
	at []int
}

func asciiDigits(text string) normalized {
	var b strings.Builder
	at := make([]int, 0, len(text)+1)
	for i, r := range text {
		if r > unicode.MaxASCII && unicode.IsDigit(r) {
			b.WriteByte(byte('0' + digitValue(r)))
			at = append(at, i)
			continue
		}
		n := b.Len()
		b.WriteRune(r)
		for k := n; k < b.Len(); k++ {
			at = append(at, i+(k-n))
		}
	}
	at = append(at, len(text))
	return normalized{s: b.String(), at: at}
}

func (n normalized) original(text string, a, b int) string { return text[n.at[a]:n.at[b]] }

// digitValue is the value of a decimal digit of any script: Unicode lays
// each script's digits out as runs of ten starting at zero.
func digitValue(r rune) int {
	start := r
	for start > 0 && unicode.IsDigit(start-1) {
		start--
	}
	return int(r-start) % 10
}

func maskDigits(s string) string {
	total := 0
	for _, r := range s {
		if unicode.IsDigit(r) || unicode.IsLetter(r) {
			total++
		}
	}
	var b strings.Builder
	seen := 0
	for _, r := range s {
		if unicode.IsDigit(r) || unicode.IsLetter(r) {
			seen++
			if seen <= total-4 {
				b.WriteRune('•')
				continue
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isSep reports whether r may separate the digit groups of one number.
func isSep(r byte) bool { return r == ' ' || r == '-' }

// numberSpans finds digit groups joined by single spaces or hyphens (with
// an optional leading + and parentheses) and keeps those that read as a
// card, phone or account number.
func numberSpans(s string) []span {
	var out []span
	i := 0
	for i < len(s) {
		if !isDigit(s[i]) {
			i++
			continue
		}
		start := i
		if start > 0 && s[start-1] == '(' {
			start--
		}
		plus := start > 0 && s[start-1] == '+'
		if plus {
			start--
		}
		var groups []int
		j := i
		for {
			k := j
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			groups = append(groups, k-j)
			j = k
			if j < len(s) && s[j] == ')' {
				j++
			}
			// One separator (or ") ") and a digit or "(" continue the number.
			n := j
			if n < len(s) && isSep(s[n]) {
				n++
			}
			if n < len(s) && s[n] == '(' {
				n++
			}
			if n == j || n >= len(s) || !isDigit(s[n]) {
				break
			}
			j = n
		}
		end := j
		for end > i && !isDigit(s[end-1]) && s[end-1] != ')' {
			end--
		}
		if kind := classifyNumber(s, start, end, groups, plus); kind != "" {
			out = append(out, span{start, end, kind})
		}
		i = j
		if i == start {
			i++
		}
	}
	return out
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// classifyNumber decides what the digit groups at s[a:b] are, if anything.
func classifyNumber(s string, a, b int, groups []int, plus bool) string {
	if partOfWord(s, a, b) {
		return ""
	}
	digits := make([]byte, 0, 24)
	for i := a; i < b; i++ {
		if isDigit(s[i]) {
			digits = append(digits, s[i])
		}
	}
	d := len(digits)
	if d >= 13 && d <= 19 && luhn(digits) {
		return PrivateCard
	}
	if len(groups) == 1 {
		if plus && d >= 8 && d <= 15 {
			return PrivatePhone
		}
		if d >= 10 {
			return PrivateAccount
		}
		return ""
	}
	if plus && d >= 8 && d <= 15 {
		return PrivatePhone
	}
	if d < 10 || d > 13 || len(groups) > 6 {
		return ""
	}
	allTwo := true
	for i, g := range groups {
		if g < 2 && !(i == 0 && (plus || s[a] == '(' || len(groups) >= 3)) {
			return ""
		}
		allTwo = allTwo && g == 2
	}
	// "10 20 30 40 50" is a list; "01 23 45 67 89" (French) is a number.
	if allTwo && digits[0] != '0' {
		return ""
	}
	return PrivatePhone
}

// partOfWord reports whether the number is glued to Latin letters (an
// identifier such as SKU12345678901 or a UUID's last group) or sits in a
// hyphenated code (E-301, ABC-1234567890).
func partOfWord(s string, a, b int) bool {
	before, _ := utf8.DecodeLastRuneInString(s[:a])
	after, _ := utf8.DecodeRuneInString(s[b:])
	if isLatinWord(before) || isLatinWord(after) {
		return true
	}
	if a >= 2 && s[a-1] == '-' {
		r, _ := utf8.DecodeLastRuneInString(s[:a-1])
		if isLatinWord(r) {
			return true
		}
	}
	if b+1 < len(s) && s[b] == '-' {
		r, _ := utf8.DecodeRuneInString(s[b+1:])
		if isLatinWord(r) {
			return true
		}
	}
	return false
}

func isLatinWord(r rune) bool { return unicode.In(r, unicode.Latin) || r == '_' }

// luhn checks a card number's check digit.
func luhn(digits []byte) bool {
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		n := int(digits[i] - '0')
		if (len(digits)-1-i)%2 == 1 {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return sum%10 == 0
}

// validIBAN checks an IBAN's length and its ISO 7064 mod-97 check digits.
func validIBAN(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	r := s[4:] + s[:4]
	rem := 0
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case isDigit(c):
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			rem = (rem*100 + int(c-'A'+10)) % 97
		default:
			return false
		}
	}
	return rem == 1
}
