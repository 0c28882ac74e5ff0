package app

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.json
var localeFS embed.FS

// Locales are the languages Crowdcare speaks, the first being the default.
var Locales = []Locale{{"en", "English"}, {"hi", "हिन्दी"}}

// Locale is a supported language.
type Locale struct{ Code, Name string }

var localeMatcher = language.NewMatcher([]language.Tag{language.English, language.Hindi})

// newBundle loads every catalogue.
func newBundle() (*i18n.Bundle, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	for _, l := range Locales {
		files, err := catalogueFiles(l.Code)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if _, err := b.LoadMessageFileFS(localeFS, f); err != nil {
				return nil, fmt.Errorf("load locale %s: %w", f, err)
			}
		}
	}
	return b, nil
}

// catalogueFiles lists a language's catalogue: locales/LANG.json and any
// locales/AREA.LANG.json (one per feature area, so areas can grow apart).
func catalogueFiles(lang string) ([]string, error) {
	more, err := fs.Glob(localeFS, "locales/*."+lang+".json")
	if err != nil {
		return nil, err
	}
	return append([]string{"locales/" + lang + ".json"}, more...), nil
}

// Localizer translates the messages of one request.
type Localizer struct {
	Lang   string
	l      *i18n.Localizer
	logger *slog.Logger
}

// pickLocale chooses the user's saved locale, else the best match of the
// Accept-Language header, else English.
func pickLocale(saved, cookie, acceptLanguage string) string {
	for _, c := range []string{saved, cookie} {
		for _, l := range Locales {
			if c == l.Code {
				return c
			}
		}
	}
	tags, _, _ := language.ParseAcceptLanguage(acceptLanguage)
	_, idx, conf := localeMatcher.Match(tags...)
	if conf == language.No {
		return Locales[0].Code
	}
	return Locales[idx].Code
}

func newLocalizer(b *i18n.Bundle, lang string, logger *slog.Logger) *Localizer {
	return &Localizer{Lang: lang, l: i18n.NewLocalizer(b, lang, "en"), logger: logger}
}

// T translates message id. args are name/value pairs for the message's
// template; a "Count" argument also picks the plural form.
func (l *Localizer) T(id string, args ...any) string {
	data := map[string]any{}
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok {
			data[k] = args[i+1]
		}
	}
	cfg := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if n, ok := data["Count"]; ok {
		cfg.PluralCount = n
	}
	s, err := l.l.Localize(cfg)
	if err != nil {
		if l.logger != nil {
			l.logger.Warn("missing translation", "id", id, "lang", l.Lang, "err", err)
		}
		if s == "" {
			return id
		}
	}
	return s
}

// TArgs translates with a map of arguments (for validation messages).
func (l *Localizer) TArgs(id string, args map[string]any) string {
	flat := make([]any, 0, 2*len(args))
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		flat = append(flat, k, args[k])
	}
	return l.T(id, flat...)
}
