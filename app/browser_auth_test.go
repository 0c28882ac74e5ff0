package app

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/oauth2-proxy/mockoidc"
)

// TestBrowserOIDCSignIn signs up and in through a real OpenID Connect
// provider in headless Chromium: the provider's button on the sign-in page,
// the provider's redirect back, the sign-up page with the suggested handle,
// the guidelines checkbox, and the name in the header. Then, from the
// settings page, it links a second account: a form POST answered by a
// redirect to the provider, which the Content-Security-Policy must allow.
func TestBrowserOIDCSignIn(t *testing.T) {
	forEachOIDCServer(t, nil, func(t *testing.T, ts *testServer, m *mockoidc.MockOIDC) {
		b := newBrowserTab(t, ts.URL)
		b.open("/signin", 200)
		b.selfCheck()
		if n := eval[int](b, `document.querySelectorAll("main a[href^='/auth/']").length`); n != 1 {
			t.Errorf("%d provider buttons, want 1", n)
		}
		m.QueueUser(&oidcUser{Sub: "b1", Email: "meera@example.org", Verified: true, Username: "meera", Name: "Meera Iyer"})
		b.follow("continue with the provider", 200, chromedp.Click(chromedp.CSS(`a[data-provider="oidc"]`)))
		if got := b.text("main h1"); got != "Create your account" {
			t.Fatalf("after the provider the browser shows %q", got)
		}
		if got := eval[string](b, `document.getElementById("su-handle").value`); got != "meera" {
			t.Errorf("suggested handle %q, want meera", got)
		}
		// Submitting without the checkbox is refused by the server (the
		// form is novalidate) and keeps the input.
		b.follow("submit without the guidelines", 422, chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type=submit]`)))
		b.reset() // the browser logs the 422 as a failed load
		if got := b.text("#su-guide-err"); !strings.Contains(got, "accept the community guidelines") {
			t.Errorf("guidelines error %q", got)
		}
		b.do("accept the guidelines", chromedp.Click(chromedp.ID("su-guidelines")))
		b.follow("create the account", 200, chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type=submit]`)))
		if got := b.text("nav.account a.who"); got != "Meera Iyer" {
			t.Fatalf("the header shows %q, want Meera Iyer", got)
		}

		// Link a second account: the settings page's link forms post to
		// /settings/link/NAME; with one provider, already linked, there is
		// no button, so the test adds the same form the page would show.
		b.open("/settings", 200)
		b.do("add a link form", chromedp.Evaluate[chromedp.Void](`(() => {
			const f = document.createElement("form");
			f.method = "post"; f.action = "/settings/link/oidc"; f.id = "link-test";
			f.appendChild(document.querySelector("input[name=csrf_token]").cloneNode());
			const s = document.createElement("button"); s.type = "submit"; f.appendChild(s);
			document.body.appendChild(f);
		})()`))
		m.QueueUser(&oidcUser{Sub: "b2", Username: "meera-work"})
		b.follow("link another account", 200, chromedp.Click(chromedp.CSS(`#link-test button`)))
		if url, _ := chromedp.Run(b.ctx, chromedp.Location()); !strings.HasSuffix(url, "/settings") {
			t.Errorf("after linking the browser is at %s, want /settings", url)
		}
		var n int64
		ts.App.DB.Table("identities").Count(&n)
		if n != 2 {
			t.Errorf("%d identities after linking in the browser, want 2", n)
		}
		b.assertClean()
	})
}
