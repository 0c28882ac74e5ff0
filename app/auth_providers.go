package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/apple"
	"github.com/markbates/goth/providers/facebook"
	"github.com/markbates/goth/providers/github"
	"github.com/markbates/goth/providers/google"
	"github.com/markbates/goth/providers/microsoftonline"
	"github.com/markbates/goth/providers/openidConnect"

	"github.com/crowdcare/crowdcare/models"
)

// providerHTTPTimeout bounds every call to a provider: discovery, the token
// exchange and the profile fetch. goth's calls take no context, so the
// client's timeout is the only bound.
const providerHTTPTimeout = 15 * time.Second

// appleSecretLifetime is how long the client secret we sign for Apple lasts;
// Apple accepts at most six months, so a process must restart within that.
const appleSecretLifetime = 180 * 24 * time.Hour

// newProviders builds a goth provider for each configured one, keyed by our
// name for it (the name in /auth/NAME). They are kept here, not registered
// with goth.UseProviders, which is a process-wide global.
func newProviders(ctx context.Context, cfg Config) (map[string]goth.Provider, error) {
	client := &http.Client{Timeout: providerHTTPTimeout}
	out := map[string]goth.Provider{}
	for _, pc := range cfg.Providers {
		callback := cfg.BaseURL + "/auth/" + pc.Name + "/callback"
		p, err := newProvider(ctx, pc, callback, client)
		if err != nil {
			return nil, err
		}
		p.SetName(pc.Name)
		out[pc.Name] = p
	}
	return out, nil
}

func newProvider(ctx context.Context, pc ProviderConfig, callback string, client *http.Client) (goth.Provider, error) {
	switch pc.Name {
	case "google":
		p := google.New(pc.ClientID, pc.ClientSecret, callback, "openid", "email", "profile")
		p.HTTPClient = client
		return p, nil
	case "github":
		// No user:email scope: with it goth fails the whole sign-in of
		// anyone without a verified primary address. The public profile
		// email is enough to prefill, and is never trusted (see emailVerified).
		p := github.New(pc.ClientID, pc.ClientSecret, callback, "read:user")
		p.HTTPClient = client
		return p, nil
	case "facebook":
		p := facebook.New(pc.ClientID, pc.ClientSecret, callback, "email", "public_profile")
		p.HTTPClient = client
		return p, nil
	case "microsoft":
		p := microsoftonline.New(pc.ClientID, pc.ClientSecret, callback)
		p.HTTPClient = client
		return p, nil
	case "twitter":
		return newXProvider(pc.ClientID, pc.ClientSecret, callback, client), nil
	case "apple":
		return newAppleProvider(pc, callback, client)
	case "oidc":
		return newOIDCProvider(ctx, pc, callback, client)
	}
	return nil, fmt.Errorf("sign-in provider %q: not supported", pc.Name)
}

// newAppleProvider signs the client secret Apple wants from the team's key.
// It asks for no scopes: with a name or email scope Apple answers with a
// cross-site form POST, which our SameSite=Lax state cookie (rightly) does
// not accompany. Apple then tells us only the stable user id.
func newAppleProvider(pc ProviderConfig, callback string, client *http.Client) (goth.Provider, error) {
	now := time.Now()
	// Keys pasted into one-line env files often carry literal \n.
	key := strings.ReplaceAll(pc.ApplePrivateKey, `\n`, "\n")
	secret, err := apple.MakeSecret(apple.SecretParams{PKCS8PrivateKey: key, TeamId: pc.AppleTeamID, KeyId: pc.AppleKeyID,
		ClientId: pc.ClientID, Iat: int(now.Unix()), Exp: int(now.Add(appleSecretLifetime).Unix())})
	if err != nil {
		return nil, fmt.Errorf("CROWDCARE_APPLE_PRIVATE_KEY: want the PKCS #8 PEM key from Apple: %w", err)
	}
	return apple.New(pc.ClientID, *secret, callback, client), nil
}

// oidcDiscovery is the part of an issuer's discovery document we use.
type oidcDiscovery struct {
	Issuer             string `json:"issuer"`
	AuthEndpoint       string `json:"authorization_endpoint"`
	TokenEndpoint      string `json:"token_endpoint"`
	UserInfoEndpoint   string `json:"userinfo_endpoint"`
	EndSessionEndpoint string `json:"end_session_endpoint"`
}

// newOIDCProvider reads the issuer's discovery document and builds the
// provider from it. We fetch it ourselves rather than through
// openidConnect.New so that the fetch is bounded by ctx and the timeout,
// and so the document's issuer is checked against the configured one
// (OpenID Connect Discovery §4.3): goth compares each ID token's iss with
// the document's, so a document naming another issuer would widen what
// we accept.
func newOIDCProvider(ctx context.Context, pc ProviderConfig, callback string, client *http.Client) (goth.Provider, error) {
	d, err := discoverOIDC(ctx, pc.Issuer, client)
	if err != nil {
		return nil, fmt.Errorf("CROWDCARE_OIDC_ISSUER=%q: OpenID Connect discovery failed: %w", pc.Issuer, err)
	}
	p, err := openidConnect.NewCustomisedURL(pc.ClientID, pc.ClientSecret, callback, d.AuthEndpoint, d.TokenEndpoint,
		d.Issuer, d.UserInfoEndpoint, d.EndSessionEndpoint, "openid", "email", "profile")
	if err != nil {
		return nil, fmt.Errorf("CROWDCARE_OIDC_ISSUER=%q: %w", pc.Issuer, err)
	}
	p.HTTPClient = client
	return p, nil
}

func discoverOIDC(ctx context.Context, issuer string, client *http.Client) (*oidcDiscovery, error) {
	ctx, cancel := context.WithTimeout(ctx, providerHTTPTimeout)
	defer cancel()
	u := strings.TrimRight(issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	var d oidcDiscovery
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&d); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if strings.TrimRight(d.Issuer, "/") != strings.TrimRight(issuer, "/") {
		return nil, fmt.Errorf("the discovery document names issuer %q", d.Issuer)
	}
	if d.AuthEndpoint == "" || d.TokenEndpoint == "" {
		return nil, fmt.Errorf("GET %s: no authorization or token endpoint", u)
	}
	return &d, nil
}

// usesPKCE lists the providers whose goth session passes a code_verifier
// to the token exchange; X requires PKCE, and OpenID Connect issuers that
// do not support it ignore the parameters (RFC 7636 §5).
var usesPKCE = map[string]bool{"oidc": true, "twitter": true}

// externalProfile maps what a provider said into the models' terms.
func externalProfile(name string, gu goth.User, sess goth.Session) models.ExternalProfile {
	p := models.ExternalProfile{Provider: name, UserID: strings.TrimSpace(gu.UserID), Email: strings.TrimSpace(gu.Email),
		Nickname: strings.TrimSpace(gu.NickName), Name: strings.TrimSpace(gu.Name), AvatarURL: gu.AvatarURL}
	if p.Name == "" {
		p.Name = strings.TrimSpace(gu.FirstName + " " + gu.LastName)
	}
	p.EmailVerified = p.Email != "" && emailVerified(name, gu, sess)
	return p
}

// emailVerified reports whether the provider vouches that the person owns
// the email address. Only a verified address earns roles (employee domains,
// admin emails), so when a provider does not say, the answer is no.
func emailVerified(name string, gu goth.User, sess goth.Session) bool {
	switch name {
	case "oidc":
		// The standard claim; an issuer that omits it has not verified.
		return truthy(gu.RawData["email_verified"])
	case "google":
		// goth reads Google's v2 userinfo, which says verified_email;
		// its OpenID Connect userinfo says email_verified.
		return truthy(gu.RawData["verified_email"]) || truthy(gu.RawData["email_verified"])
	case "apple":
		// goth drops the claim from the user; the session has it from the
		// signature-checked ID token.
		if s, ok := sess.(*apple.Session); ok {
			return s.ID.EmailVerified
		}
		return false
	default:
		// github: the public profile email carries no verified flag (that
		// needs the user:email scope and /user/emails).
		// microsoft: Graph's mail attribute is set by tenant admins and not
		// verified (the "nOAuth" problem).
		// facebook: the Graph API does not say whether the email is verified.
		// twitter: X gives no email at all.
		return false
	}
}

// truthy reads a JSON boolean claim, which some issuers send as a string.
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}
