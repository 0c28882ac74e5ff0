package models

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/abadojack/whatlanggo"
)

// DefaultLanguages are the languages questions are told apart in unless
// the operator names others (CROWDCARE_LANGUAGES): the forum's own and the
// most common of its customers. Detection only chooses among these, which
// keeps short texts from landing in a language nobody writes here (a
// Bulgarian title is not taken for Russian or Macedonian when those are
// not in the list). Close languages confuse the trigram detector on short
// texts (Spanish and Portuguese), so list only those the community writes.
var DefaultLanguages = []string{"en", "hi", "bg", "ta", "te", "es", "fr", "de"}

// minLanguageConfidence is the confidence below which a text's language is
// left unknown ("") rather than guessed: a title of three words or an
// error code alone says little.
const minLanguageConfidence = 0.1

var languageOptions atomic.Pointer[whatlanggo.Options]

func init() {
	if err := SetLanguages(DefaultLanguages); err != nil {
		panic(err)
	}
}

// SetLanguages chooses the languages DetectLanguage picks from, by ISO
// 639-1 code; an unknown code is an error.
func SetLanguages(codes []string) error {
	opt, err := languageWhitelist(codes)
	if err != nil {
		return err
	}
	languageOptions.Store(opt)
	return nil
}

// CheckLanguages reports whether DetectLanguage knows every code.
func CheckLanguages(codes []string) error {
	_, err := languageWhitelist(codes)
	return err
}

func languageWhitelist(codes []string) (*whatlanggo.Options, error) {
	byCode := map[string]whatlanggo.Lang{}
	for l := range whatlanggo.Langs {
		byCode[l.Iso6391()] = l
	}
	opt := &whatlanggo.Options{Whitelist: map[whatlanggo.Lang]bool{}}
	for _, c := range codes {
		l, ok := byCode[strings.ToLower(strings.TrimSpace(c))]
		if !ok {
			return nil, fmt.Errorf("language %q: not an ISO 639-1 code the detector knows", c)
		}
		opt.Whitelist[l] = true
	}
	if len(opt.Whitelist) == 0 {
		return nil, fmt.Errorf("no languages")
	}
	return opt, nil
}

// DetectLanguage returns the ISO 639-1 code of the language text is most
// likely written in, or "" when it cannot tell.
func DetectLanguage(text string) string {
	info := whatlanggo.DetectWithOptions(text, *languageOptions.Load())
	if info.Confidence < minLanguageConfidence {
		return ""
	}
	return info.Lang.Iso6391()
}
