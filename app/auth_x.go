package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/markbates/goth"
	"golang.org/x/oauth2"
)

// X's OAuth 2.0 endpoints.
const (
	xAuthURL  = "https://x.com/i/oauth2/authorize"
	xTokenURL = "https://api.x.com/2/oauth2/token"
	xMeURL    = "https://api.x.com/2/users/me?user.fields=profile_image_url"
)

// xProvider signs in with X (Twitter) over OAuth 2.0 with PKCE, as a
// goth.Provider. goth's own twitter and twitterv2 packages speak OAuth
// 1.0a: consumer keys instead of the client id and secret X issues for
// OAuth 2.0, and no state parameter to bind the callback to the browser.
type xProvider struct {
	name   string
	config *oauth2.Config
	client *http.Client
	meURL  string
}

func newXProvider(clientID, secret, callback string, client *http.Client) *xProvider {
	return &xProvider{name: "twitter", client: client, meURL: xMeURL, config: &oauth2.Config{
		ClientID: clientID, ClientSecret: secret, RedirectURL: callback,
		// A confidential client authenticates with HTTP Basic at X.
		Endpoint: oauth2.Endpoint{AuthURL: xAuthURL, TokenURL: xTokenURL, AuthStyle: oauth2.AuthStyleInHeader},
		// users.read needs tweet.read; nothing lets us post.
		Scopes: []string{"users.read", "tweet.read"},
	}}
}

func (p *xProvider) Name() string        { return p.name }
func (p *xProvider) SetName(name string) { p.name = name }
func (p *xProvider) Debug(bool)          {}

// BeginAuth returns the authorization URL; the caller adds the PKCE
// challenge, which X requires.
func (p *xProvider) BeginAuth(state string) (goth.Session, error) {
	return &xSession{AuthURL: p.config.AuthCodeURL(state)}, nil
}

func (p *xProvider) UnmarshalSession(data string) (goth.Session, error) {
	s := &xSession{}
	err := json.Unmarshal([]byte(data), s)
	return s, err
}

// FetchUser reads the signed-in account from /2/users/me.
func (p *xProvider) FetchUser(session goth.Session) (goth.User, error) {
	s, ok := session.(*xSession)
	if !ok || s.AccessToken == "" {
		return goth.User{}, errors.New("x: no access token")
	}
	req, err := http.NewRequest(http.MethodGet, p.meURL, nil)
	if err != nil {
		return goth.User{}, err
	}
	req.Header.Set("Authorization", "Bearer "+s.AccessToken)
	resp, err := p.client.Do(req)
	if err != nil {
		return goth.User{}, fmt.Errorf("x: fetch profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return goth.User{}, fmt.Errorf("x: fetch profile: status %d", resp.StatusCode)
	}
	var body struct {
		Data map[string]any `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return goth.User{}, fmt.Errorf("x: decode profile: %w", err)
	}
	str := func(k string) string { v, _ := body.Data[k].(string); return v }
	u := goth.User{Provider: p.name, RawData: body.Data, UserID: str("id"), Name: str("name"),
		NickName: str("username"), AccessToken: s.AccessToken}
	// X serves a 48px "_normal" picture by default; "_400x400" is the
	// same picture at a size that stays sharp.
	u.AvatarURL = strings.Replace(str("profile_image_url"), "_normal.", "_400x400.", 1)
	if u.UserID == "" {
		return goth.User{}, errors.New("x: the profile has no id")
	}
	return u, nil
}

func (p *xProvider) RefreshToken(string) (*oauth2.Token, error) {
	return nil, errors.New("x: refresh tokens are not requested")
}

func (p *xProvider) RefreshTokenAvailable() bool { return false }

// xSession carries an X sign-in between the redirect and the callback.
type xSession struct {
	AuthURL     string `json:"auth_url"`
	AccessToken string `json:"access_token,omitempty"`
}

func (s *xSession) GetAuthURL() (string, error) {
	if s.AuthURL == "" {
		return "", errors.New(goth.NoAuthUrlErrorMessage)
	}
	return s.AuthURL, nil
}

func (s *xSession) Marshal() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Authorize exchanges the code, with the PKCE verifier, for a token.
func (s *xSession) Authorize(provider goth.Provider, params goth.Params) (string, error) {
	p, ok := provider.(*xProvider)
	if !ok {
		return "", errors.New("x: wrong provider")
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, p.client)
	tok, err := p.config.Exchange(ctx, params.Get("code"), oauth2.VerifierOption(params.Get("code_verifier")))
	if err != nil {
		return "", fmt.Errorf("x: token exchange: %w", err)
	}
	s.AccessToken = tok.AccessToken
	return tok.AccessToken, nil
}
