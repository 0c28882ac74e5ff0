package app

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/models"
)

// message is one catalogue entry as go-i18n JSON holds it: a plain string,
// or an object of CLDR plural forms.
type message struct {
	Plural bool
	Forms  map[string]string // "other" alone for a plain string
}

// catalogue maps message ids to messages.
type catalogue map[string]message

// readCatalogue parses every catalogue file of lang strictly: every value must be
// a string or an object of plural forms whose values are strings.
func readCatalogue(t *testing.T, lang string) catalogue {
	t.Helper()
	files, err := catalogueFiles(lang)
	if err != nil {
		t.Fatal(err)
	}
	raw := map[string]json.RawMessage{}
	for _, f := range files {
		b, err := localeFS.ReadFile(f)
		if err != nil {
			t.Fatalf("read %s catalogue: %v", f, err)
		}
		var part map[string]json.RawMessage
		if err := json.Unmarshal(b, &part); err != nil {
			t.Fatalf("parse %s catalogue: %v", f, err)
		}
		for id, v := range part {
			if _, dup := raw[id]; dup {
				t.Errorf("%s: %s is also defined in another %s catalogue file", f, id, lang)
			}
			raw[id] = v
		}
	}
	cat := catalogue{}
	for id, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			cat[id] = message{Forms: map[string]string{"other": s}}
			continue
		}
		var forms map[string]string
		if err := json.Unmarshal(v, &forms); err != nil {
			t.Fatalf("%s: %s is neither a string nor an object of plural forms: %v", lang, id, err)
		}
		cat[id] = message{Plural: true, Forms: forms}
	}
	return cat
}

var (
	templateField  = regexp.MustCompile(`\{\{\s*\.([A-Za-z]+)\s*\}\}`)
	markdownSample = regexp.MustCompile("\\*\\*[^*]+\\*\\*|`[^`]+`")
	brandNames     = []string{"Crowdcare", "Markdown"}
)

// fields lists the template fields ({{.Name}}) a text uses, sorted.
func fields(s string) []string {
	var out []string
	for _, m := range templateField.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	sort.Strings(out)
	return out
}

func hasDevanagari(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Devanagari, r) {
			return true
		}
	}
	return false
}

// TestCataloguesMatch checks that the Hindi catalogue translates exactly the
// English one: same ids, same plural shapes, the same template fields, the
// Markdown examples and brand names left as they are, and real Hindi text.
func TestCataloguesMatch(t *testing.T) {
	en, hi := readCatalogue(t, "en"), readCatalogue(t, "hi")
	if len(en) < 100 {
		t.Fatalf("the English catalogue has only %d messages; is it the right file?", len(en))
	}
	for id := range en {
		if _, ok := hi[id]; !ok {
			t.Errorf("hi.json lacks %q", id)
		}
	}
	for id := range hi {
		if _, ok := en[id]; !ok {
			t.Errorf("hi.json has %q, which en.json lacks", id)
		}
	}
	for id, e := range en {
		h, ok := hi[id]
		if !ok {
			continue
		}
		compareMessage(t, id, e, h)
	}
}

// compareMessage checks one Hindi message against its English original.
func compareMessage(t *testing.T, id string, e, h message) {
	t.Helper()
	if e.Plural != h.Plural {
		t.Errorf("%s: plural in English %v, in Hindi %v", id, e.Plural, h.Plural)
		return
	}
	if e.Plural {
		// English and Hindi both have exactly the CLDR categories one and other.
		for lang, m := range map[string]message{"en": e, "hi": h} {
			if got := slices.Sorted(maps.Keys(m.Forms)); !slices.Equal(got, []string{"one", "other"}) {
				t.Errorf("%s (%s): plural forms %v, want [one other]", id, lang, got)
			}
		}
	}
	for form, et := range e.Forms {
		ht := h.Forms[form]
		if strings.TrimSpace(ht) == "" {
			t.Errorf("%s (%s): empty Hindi text", id, form)
			continue
		}
		if ef, hf := fields(et), fields(ht); !slices.Equal(ef, hf) {
			t.Errorf("%s (%s): template fields %v in English, %v in Hindi", id, form, ef, hf)
		}
		if !hasDevanagari(ht) {
			t.Errorf("%s (%s): %q has no Devanagari; is it translated?", id, form, ht)
		}
		for _, sample := range markdownSample.FindAllString(et, -1) {
			if !strings.Contains(ht, sample) {
				t.Errorf("%s (%s): Hindi text lacks the Markdown example %s", id, form, sample)
			}
		}
		for _, name := range brandNames {
			if strings.Contains(et, name) && !strings.Contains(ht, name) {
				t.Errorf("%s (%s): Hindi text lacks the name %s in Latin script", id, form, name)
			}
		}
	}
}

// idSource is a regex whose first group captures message ids in a set of
// files, and the least number of ids it must find there: a pattern that
// stops matching after a refactor fails the test instead of passing empty.
type idSource struct {
	name    string
	glob    func(root string) ([]string, error)
	pattern *regexp.Regexp
	atLeast int
}

func goFiles(dir string) func(string) ([]string, error) {
	return func(root string) ([]string, error) {
		all, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
		var out []string
		for _, f := range all {
			if !strings.HasSuffix(f, "_test.go") {
				out = append(out, f)
			}
		}
		return out, err
	}
}

func templateFiles(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(filepath.Join(root, "templates"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".html") {
			out = append(out, p)
		}
		return err
	})
	return out, err
}

var idSources = []idSource{
	// {{.L.T "id"}}, {{$.L.T "id"}}, {{$p.L.T "id" "Count" ...}}
	{"templates", templateFiles, regexp.MustCompile(`\bL\.T\s+"([^"]+)"`), 80},
	{"errorPage calls", goFiles("app"), regexp.MustCompile(`errorPage\([^,]+,[^,]+,\s*"([^"]+)"\)`), 5},
	{"page titles", goFiles("app"), regexp.MustCompile(`Title:\s*"([^"]+)"`), 5},
	{"Localizer.T calls", goFiles("app"), regexp.MustCompile(`\.T(?:Args)?\(\s*"([^"]+)"`), 5},
	{"validation in app", goFiles("app"), regexp.MustCompile(`\.Add\(\s*"[^"]*",\s*"([^"]+)"`), 1},
	{"validation in models", goFiles("models"), regexp.MustCompile(`\.Add\(\s*"[^"]*",\s*"([^"]+)"`), 10},
	// Any other "error.x" literal, wherever it is passed.
	{"error literals in app", goFiles("app"), regexp.MustCompile(`"(error\.[a-z0-9_]+)"`), 5},
	{"error literals in models", goFiles("models"), regexp.MustCompile(`"(error\.[a-z0-9_]+)"`), 5},
}

// usedIDs scans the sources and returns every message id with where it was
// found.
func usedIDs(t *testing.T) map[string]string {
	t.Helper()
	root := testenv.Root(t)
	used := map[string]string{}
	for _, src := range idSources {
		files, err := src.glob(root)
		if err != nil {
			t.Fatalf("%s: list files: %v", src.name, err)
		}
		n := 0
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatalf("read %s: %v", f, err)
			}
			for _, m := range src.pattern.FindAllStringSubmatch(string(b), -1) {
				rel, _ := filepath.Rel(root, f)
				used[m[1]] = rel
				n++
			}
		}
		if n < src.atLeast {
			t.Errorf("%s: found %d message ids, expected at least %d; does the pattern %s still match the code?", src.name, n, src.atLeast, src.pattern)
		}
	}
	for id, where := range dynamicIDs() {
		used[id] = where
	}
	return used
}

// dynamicIDs are the ids templates and handlers build with printf or +.
func dynamicIDs() map[string]string {
	out := map[string]string{}
	for _, code := range []int{400, 401, 403, 404, 405, 413, 422, 429, 500} {
		out[fmt.Sprintf("status.%d", code)] = "templates/pages/error.html (status.%d)"
	}
	for _, v := range models.Visibilities {
		out[fmt.Sprintf("visibility.%s", v)] = "templates (visibility.%s)"
	}
	for _, r := range models.AllRoles {
		out[fmt.Sprintf("role.%s", r)] = "templates/pages/devsignin.html (role.%s)"
	}
	for _, st := range []string{models.AppPending, models.AppApproved, models.AppDeclined, models.AppWithdrawn} {
		out["experts.status."+st] = "templates/pages/experts.html (experts.status.%s)"
	}
	for _, st := range []string{models.ExpertActive, models.ExpertPaused, models.ExpertRemoved} {
		out["experts.member_status."+st] = "templates/pages/admin_expert_members.html (experts.member_status.%s)"
	}
	for _, k := range models.NotificationKinds {
		out["notify."+k] = "app/handlers_notifications.go (notify.%s)"
	}
	for _, why := range []string{"signin", "suspended", "already", "paused", "pending", "rank"} {
		out["experts.why."+why] = "models.ApplyEligibility (experts.why.%s)"
	}
	for _, k := range []models.ListKind{models.ListLatest, models.ListUnanswered, models.ListSolved} {
		out["list."+string(k)] = "app/handlers_questions.go (list.%s)"
	}
	for _, more := range moreDynamicIDs {
		for id, where := range more() {
			out[id] = where
		}
	}
	return out
}

// moreDynamicIDs lets a feature's test file register the message ids its
// code builds at run time (appended from init).
var moreDynamicIDs []func() map[string]string

// moreSampleArgs are sample template arguments (name, value pairs) a
// feature's test file adds for TestLocalizerRealCatalogues.
var moreSampleArgs []any

// TestUsedMessageIDsExist checks that every message id the code and the
// templates use is in both catalogues, so no page ever shows a raw id.
func TestUsedMessageIDsExist(t *testing.T) {
	cats := map[string]catalogue{"en": readCatalogue(t, "en"), "hi": readCatalogue(t, "hi")}
	used := usedIDs(t)
	if len(used) < 100 {
		t.Errorf("found only %d distinct message ids in use", len(used))
	}
	for id, where := range used {
		for lang, cat := range cats {
			if _, ok := cat[id]; !ok {
				t.Errorf("%s.json lacks %q, used in %s", lang, id, where)
			}
		}
	}
}

func TestPickLocale(t *testing.T) {
	cases := []struct{ saved, cookie, accept, want string }{
		{"", "", "hi-IN,hi;q=0.9,en;q=0.8", "hi"},
		{"", "", "hi", "hi"},
		{"", "", "en-GB,en;q=0.9,hi;q=0.5", "en"},
		{"", "", "hi;q=0.2,en;q=0.9", "en"},
		{"", "", "fr", "en"},
		{"", "", "fr-FR,fr;q=0.9", "en"},
		{"", "", "", "en"},
		{"", "", "!!garbage;;q=x,,", "en"},
		{"", "", strings.Repeat("a", 5000), "en"},
		// The cookie beats the browser; the saved setting beats both.
		{"", "hi", "en", "hi"},
		{"", "en", "hi", "en"},
		{"hi", "en", "en", "hi"},
		{"en", "hi", "hi", "en"},
		// Unknown values are ignored, not trusted.
		{"fr", "hi", "en", "hi"},
		{"", "xx", "hi", "hi"},
		{"HI", "", "", "en"},
	}
	for _, c := range cases {
		if got := pickLocale(c.saved, c.cookie, c.accept); got != c.want {
			t.Errorf("pickLocale(%q, %q, %q) = %q, want %q", c.saved, c.cookie, c.accept, got, c.want)
		}
	}
}

// testBundle is a small catalogue in which Hindi lacks some messages, to see
// the fallback without breaking the real catalogues.
func testBundle(t *testing.T) *i18n.Bundle {
	t.Helper()
	b := i18n.NewBundle(language.English)
	if err := b.AddMessages(language.English,
		&i18n.Message{ID: "apples", One: "{{.Count}} apple", Other: "{{.Count}} apples"},
		&i18n.Message{ID: "pears", One: "{{.Count}} pear", Other: "{{.Count}} pears"},
		&i18n.Message{ID: "greeting", Other: "Hello {{.Name}}"},
		&i18n.Message{ID: "english.only", Other: "Only in English"},
	); err != nil {
		t.Fatal(err)
	}
	if err := b.AddMessages(language.Hindi,
		&i18n.Message{ID: "apples", One: "{{.Count}} सेब (एक)", Other: "{{.Count}} सेब (कई)"},
		&i18n.Message{ID: "greeting", Other: "नमस्ते {{.Name}}"},
	); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLocalizerPluralsAndFallback(t *testing.T) {
	b := testBundle(t)
	en, hi := newLocalizer(b, "en", nil), newLocalizer(b, "hi", nil)
	cases := []struct {
		l    *Localizer
		id   string
		args []any
		want string
	}{
		{en, "apples", []any{"Count", 1}, "1 apple"},
		{en, "apples", []any{"Count", 2}, "2 apples"},
		{en, "apples", []any{"Count", 0}, "0 apples"},
		// CLDR: Hindi "one" covers 0 and 1.
		{hi, "apples", []any{"Count", 1}, "1 सेब (एक)"},
		{hi, "apples", []any{"Count", 0}, "0 सेब (एक)"},
		{hi, "apples", []any{"Count", 5}, "5 सेब (कई)"},
		{hi, "greeting", []any{"Name", "Asha"}, "नमस्ते Asha"},
		// Missing in Hindi: the English text, plural forms included.
		{hi, "english.only", nil, "Only in English"},
		{hi, "pears", []any{"Count", 1}, "1 pear"},
		{hi, "pears", []any{"Count", 3}, "3 pears"},
		// Missing everywhere: the id, never an empty string.
		{hi, "no.such.message", nil, "no.such.message"},
		{en, "no.such.message", []any{"Count", 2}, "no.such.message"},
	}
	for _, c := range cases {
		if got := c.l.T(c.id, c.args...); got != c.want {
			t.Errorf("T(%s, %q, %v) = %q, want %q", c.l.Lang, c.id, c.args, got, c.want)
		}
	}
	if got := hi.TArgs("greeting", map[string]any{"Name": "Hari"}); got != "नमस्ते Hari" {
		t.Errorf("TArgs = %q", got)
	}
}

// TestLocalizerRealCatalogues renders every message of the real catalogues
// in both languages with sample arguments: none may come out empty, as a raw
// id, or with a template hole; and plural forms follow the count.
func TestLocalizerRealCatalogues(t *testing.T) {
	b, err := newBundle()
	if err != nil {
		t.Fatal(err)
	}
	args := []any{"Count", 2, "Name", "Asha", "Max", 80, "Min", 10, "Tag", "wi fi", "Query", "E-301", "ID", "abc123",
		"Title", "Printer shows E-301", "Actor", "Emil", "Detail", "Champion", "Tier", "Expert", "Rank", "Helper",
		"Suspensions", 1, "Cases", 0, "Hours", 5, "Questions", 14, "Askers", 13}
	args = append(args, moreSampleArgs...)
	for _, l := range Locales {
		loc := newLocalizer(b, l.Code, nil)
		for id := range readCatalogue(t, l.Code) {
			got := loc.T(id, args...)
			if strings.TrimSpace(got) == "" || got == id || strings.Contains(got, "{{") || strings.Contains(got, "<no value>") {
				t.Errorf("%s %s rendered as %q", l.Code, id, got)
			}
		}
	}
	en, hi := newLocalizer(b, "en", nil), newLocalizer(b, "hi", nil)
	hiCat := readCatalogue(t, "hi")
	checks := []struct {
		l    *Localizer
		id   string
		n    int
		want string
	}{
		{en, "time.hours_ago", 1, "1 hour ago"},
		{en, "time.hours_ago", 3, "3 hours ago"},
		{en, "q.answers", 1, "1 answer"},
		{en, "q.answers", 12, "12 answers"},
		{hi, "time.hours_ago", 1, strings.ReplaceAll(hiCat["time.hours_ago"].Forms["one"], "{{.Count}}", "1")},
		{hi, "time.hours_ago", 3, strings.ReplaceAll(hiCat["time.hours_ago"].Forms["other"], "{{.Count}}", "3")},
		{hi, "time.months_ago", 1, strings.ReplaceAll(hiCat["time.months_ago"].Forms["one"], "{{.Count}}", "1")},
		{hi, "time.months_ago", 7, strings.ReplaceAll(hiCat["time.months_ago"].Forms["other"], "{{.Count}}", "7")},
	}
	for _, c := range checks {
		if got := c.l.T(c.id, "Count", c.n); got != c.want {
			t.Errorf("T(%s, %s, Count=%d) = %q, want %q", c.l.Lang, c.id, c.n, got, c.want)
		}
	}
	// Hindi really distinguishes these forms, so the checks above can fail.
	if f := hiCat["time.hours_ago"].Forms; f["one"] == f["other"] {
		t.Error("Hindi time.hours_ago uses one text for one and other (घंटा / घंटे)")
	}
}

// getIn fetches path with an Accept-Language header.
func (c *client) getIn(path, acceptLanguage string) response {
	c.ts.t.Helper()
	req, _ := http.NewRequest("GET", c.ts.URL+path, nil)
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	return c.do(req)
}

// mustBeIn fails unless the page is marked and written in lang: it has
// <html lang=...> and contains the catalogue's text for every id in ids.
func mustBeIn(t *testing.T, r response, lang string, cat catalogue, ids ...string) {
	t.Helper()
	mustStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, `<html lang="`+lang+`">`) {
		t.Errorf("page is not marked lang=%q", lang)
	}
	for _, id := range ids {
		if want := cat[id].Forms["other"]; !strings.Contains(r.Body, want) {
			t.Errorf("%s page lacks %s %q", lang, id, want)
		}
	}
}

// TestLanguageOverHTTP drives language choice through the real server: the
// browser's Accept-Language, the footer switcher's cookie, and the language
// saved in a signed-in user's settings, which wins over both.
func TestLanguageOverHTTP(t *testing.T) {
	en, hi := readCatalogue(t, "en"), readCatalogue(t, "hi")
	nav := []string{"nav.signin", "list.latest", "list.unanswered", "search.button", "footer.language"}
	forEachServer(t, func(t *testing.T, ts *testServer) {
		visitor := ts.client()
		r := visitor.getIn("/", "hi-IN,hi;q=0.9,en;q=0.8")
		mustBeIn(t, r, "hi", hi, nav...)
		if strings.Contains(r.Body, ">"+en["list.unanswered"].Forms["other"]+"<") {
			t.Error("Hindi page still shows the English nav")
		}
		mustBeIn(t, visitor.getIn("/", ""), "en", en, nav...)
		mustBeIn(t, visitor.getIn("/", "fr-FR,fr"), "en", en, nav...)

		// The switcher: a cookie, then back where the visitor was.
		r = visitor.post("/locale", url.Values{"lang": {"hi"}, "next": {"/boards?x=1"}})
		mustStatus(t, r, http.StatusSeeOther)
		if r.Location != "/boards?x=1" {
			t.Errorf("POST /locale redirects to %q, want /boards?x=1", r.Location)
		}
		mustLangCookie(t, r, "hi")
		mustBeIn(t, visitor.getIn("/boards", "en"), "hi", hi, "nav.boards")

		// Only a local path is followed.
		r = visitor.post("/locale", url.Values{"lang": {"en"}, "next": {"//evil.example/"}})
		mustStatus(t, r, http.StatusSeeOther)
		if r.Location != "/" {
			t.Errorf("POST /locale with an off-site next redirects to %q", r.Location)
		}
		for _, bad := range []string{"fr", "", "hi-IN", "../en"} {
			r = visitor.post("/locale", url.Values{"lang": {bad}, "next": {"/"}})
			mustStatus(t, r, http.StatusBadRequest)
			if c := langCookie(r); c != nil {
				t.Errorf("lang %q set the cookie %+v", bad, c)
			}
		}
		mustBeIn(t, visitor.getIn("/", "hi"), "en", en, nav...)

		signedInSeesSavedLocale(t, ts, en, hi)
	})
}

// signedInSeesSavedLocale saves Hindi in a user's settings and checks it
// wins over the browser and the cookie, and that clearing it hands the
// choice back to the browser.
func signedInSeesSavedLocale(t *testing.T, ts *testServer, en, hi catalogue) {
	t.Helper()
	u := ts.client()
	u.signIn("meera")
	mustBeIn(t, u.getIn("/settings", "en"), "en", en, "settings.title")
	r := u.post("/settings", url.Values{"display_name": {"Meera"}, "locale": {"hi"}, "time_zone": {"Asia/Kolkata"}})
	mustStatus(t, r, http.StatusSeeOther)
	mustBeIn(t, u.getIn(r.Location, "en"), "hi", hi, "settings.title", "settings.saved", "nav.ask", "nav.signout")
	mustStatus(t, u.post("/locale", url.Values{"lang": {"en"}, "next": {"/"}}), http.StatusSeeOther)
	mustBeIn(t, u.getIn("/", "en-GB"), "hi", hi, "list.latest")

	// A bad value is refused with a Hindi message and nothing is saved.
	r = u.post("/settings", url.Values{"display_name": {"Meera"}, "locale": {"fr"}})
	mustStatus(t, r, http.StatusUnprocessableEntity)
	if want := hi["error.invalid"].Forms["other"]; !strings.Contains(r.Body, want) {
		t.Errorf("settings error not shown in Hindi (%q)", want)
	}
	mustBeIn(t, u.getIn("/", "en"), "hi", hi, "list.latest")

	// "As my browser asks": the cookie (en, set above) decides again.
	mustStatus(t, u.post("/settings", url.Values{"display_name": {"Meera"}, "locale": {""}}), http.StatusSeeOther)
	mustBeIn(t, u.getIn("/", "hi"), "en", en, "list.latest")
}

// langCookie returns the lang cookie a response sets, or nil.
func langCookie(r response) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "lang" {
			return c
		}
	}
	return nil
}

func mustLangCookie(t *testing.T, r response, want string) {
	t.Helper()
	c := langCookie(r)
	if c == nil {
		t.Fatal("no lang cookie set")
	}
	if c.Value != want || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge <= 0 {
		t.Errorf("lang cookie %+v, want %q, HttpOnly, SameSite=Lax, Path=/, lasting", c, want)
	}
}
