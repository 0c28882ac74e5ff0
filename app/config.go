// Package app is Crowdcare's web application: configuration, the gin router,
// handlers, middleware and page rendering, and the process wiring that runs
// the web server, the job worker and the scheduler.
package app

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/crowdcare/crowdcare/models"
)

// Config is every setting, read from the environment once at start.
type Config struct {
	// Addr is the listen address (CROWDCARE_ADDR).
	Addr string
	// BaseURL is the public URL; https turns on Secure cookies (CROWDCARE_BASE_URL).
	BaseURL string
	// Env is "development" or "production" (CROWDCARE_ENV).
	Env string
	// DataDir holds the embedded database and generated secrets (CROWDCARE_DATA_DIR).
	DataDir string
	// DatabaseURL is a postgres:// URL; empty means embedded SQLite (DATABASE_URL).
	DatabaseURL string
	// RedisURL is a redis:// URL; empty means in-process Redis (REDIS_URL).
	RedisURL string
	// Secret signs cookies and CSRF tokens (CROWDCARE_SECRET).
	Secret string
	// Queue is the asynq queue name (CROWDCARE_QUEUE).
	Queue string
	// WorkerConcurrency is how many jobs run at once (CROWDCARE_WORKER_CONCURRENCY).
	WorkerConcurrency int
	// DBMaxConns sizes the PostgreSQL pool (CROWDCARE_DB_MAX_CONNS).
	DBMaxConns int
	// ShutdownTimeout bounds a graceful stop (CROWDCARE_SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// LogLevel is debug, info, warn or error (CROWDCARE_LOG_LEVEL).
	LogLevel string
	// DevLogin allows the development sign-in: "auto" (on when no social
	// provider is configured, the server listens on localhost and Env is not
	// production) or "off" (CROWDCARE_DEV_LOGIN).
	DevLogin string
	// OutboxInterval is how often the relay polls (CROWDCARE_OUTBOX_INTERVAL).
	OutboxInterval time.Duration
	// PostingLimits applies new members' first-day limits and per-user
	// posting rate limits: on by default, "off" for tests that post a lot
	// as fresh users (CROWDCARE_POSTING_LIMITS).
	PostingLimits bool
	// AdminEmails become admins when they sign in with that verified email
	// (CROWDCARE_ADMIN_EMAILS, comma-separated).
	AdminEmails []string
	// EmployeeDomains make users with a verified email there employees
	// (CROWDCARE_EMPLOYEE_DOMAINS, comma-separated).
	EmployeeDomains []string
	// Providers are the social sign-in providers configured, in display order.
	Providers []ProviderConfig
	// SMTPURL is the mail server, smtp://user:pass@host:587 or smtps://…;
	// empty writes mails into DataDir/mail (CROWDCARE_SMTP_URL).
	SMTPURL string
	// MailFrom is the sender of every mail (CROWDCARE_MAIL_FROM).
	MailFrom string
	// Languages are the languages questions are detected in, ISO 639-1
	// codes (CROWDCARE_LANGUAGES; empty: models.DefaultLanguages).
	Languages []string
}

// MailDir is where mails are written when no SMTP server is configured.
func (c Config) MailDir() string { return filepath.Join(c.DataDir, "mail") }

// ExportDir is where archive exports are written: DataDir/exports.
func (c Config) ExportDir() string { return filepath.Join(c.DataDir, "exports") }

// ProviderConfig is one configured sign-in provider.
type ProviderConfig struct {
	// Name is the provider's id in URLs: google, github, facebook, twitter,
	// microsoft, apple or oidc.
	Name string
	// Label is what the sign-in button says.
	Label        string
	ClientID     string
	ClientSecret string
	// Issuer is the OpenID Connect issuer URL (oidc only).
	Issuer string
	// Apple signs its client secret itself from these (apple only).
	AppleTeamID, AppleKeyID, ApplePrivateKey string
}

// providerVars lists the env prefixes of the OAuth providers with a plain
// client id and secret.
var providerVars = []struct{ name, prefix, label string }{
	{"google", "CROWDCARE_GOOGLE", "Google"},
	{"github", "CROWDCARE_GITHUB", "GitHub"},
	{"facebook", "CROWDCARE_FACEBOOK", "Facebook"},
	{"twitter", "CROWDCARE_TWITTER", "X (Twitter)"},
	{"microsoft", "CROWDCARE_MICROSOFT", "Microsoft"},
}

// ConfigVar documents one environment variable.
type ConfigVar struct {
	Name, Default, Help string
}

// ConfigVars lists every variable, its default and meaning; --help prints it
// and README.md mirrors it.
var ConfigVars = append([]ConfigVar{
	{"CROWDCARE_ADDR", "localhost:8080", "listen address (use 0.0.0.0:8080 in a container)"},
	{"CROWDCARE_BASE_URL", "http://<CROWDCARE_ADDR>", "public URL; https:// turns on Secure cookies"},
	{"CROWDCARE_ENV", "development", "development or production"},
	{"CROWDCARE_DATA_DIR", "./data", "embedded SQLite database and generated secret"},
	{"DATABASE_URL", "(embedded SQLite)", "postgres://user:pass@host:5432/db?sslmode=disable"},
	{"REDIS_URL", "(in-process Redis)", "redis://host:6379/0 (also rediss://, redis-sentinel://)"},
	{"CROWDCARE_SECRET", "(generated into the data dir)", "at least 32 characters; required in production"},
	{"CROWDCARE_QUEUE", "crowdcare", "asynq queue name"},
	{"CROWDCARE_WORKER_CONCURRENCY", "10", "jobs run at once per worker"},
	{"CROWDCARE_DB_MAX_CONNS", "25", "PostgreSQL connection pool size"},
	{"CROWDCARE_SHUTDOWN_TIMEOUT", "20s", "how long a graceful stop may take"},
	{"CROWDCARE_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"CROWDCARE_DEV_LOGIN", "auto", "auto or off: the development sign-in (never in production)"},
	{"CROWDCARE_OUTBOX_INTERVAL", "1s", "how often the outbox relay polls"},
	{"CROWDCARE_POSTING_LIMITS", "on", "new members' first-day limits and per-user posting rate limits; off turns both off"},
	{"CROWDCARE_ADMIN_EMAILS", "(none)", "comma-separated verified emails that become admins at sign-in"},
	{"CROWDCARE_EMPLOYEE_DOMAINS", "(none)", "comma-separated email domains whose verified users are employees"},
	{"CROWDCARE_SMTP_URL", "(mails written to DATA_DIR/mail)", "mail server: smtp://user:pass@host:587 (STARTTLS), smtps://…:465, ?tls=none for a local relay"},
	{"CROWDCARE_MAIL_FROM", "Crowdcare <noreply@BASE_URL host>", "sender of every mail"},
	{"CROWDCARE_LANGUAGES", "en,hi,bg,ta,te,es,fr,de", "comma-separated ISO 639-1 codes questions are written in (language detection chooses among them)"},
	{"CROWDCARE_APPLE_CLIENT_ID", "(off)", "Sign in with Apple: the Services ID"},
	{"CROWDCARE_APPLE_TEAM_ID", "(off)", "Sign in with Apple: the team id"},
	{"CROWDCARE_APPLE_KEY_ID", "(off)", "Sign in with Apple: the key id"},
	{"CROWDCARE_APPLE_PRIVATE_KEY", "(off)", "Sign in with Apple: the private key, PEM"},
	{"CROWDCARE_OIDC_ISSUER", "(off)", "OpenID Connect issuer URL (Okta, Keycloak, Entra ID, ...)"},
	{"CROWDCARE_OIDC_CLIENT_ID", "(off)", "OpenID Connect client id"},
	{"CROWDCARE_OIDC_CLIENT_SECRET", "(off)", "OpenID Connect client secret"},
	{"CROWDCARE_OIDC_NAME", "Single sign-on", "label of the OpenID Connect button"},
}, providerConfigVars()...)

// providerConfigVars documents the client id and secret of each OAuth provider.
func providerConfigVars() []ConfigVar {
	var out []ConfigVar
	for _, p := range providerVars {
		out = append(out,
			ConfigVar{p.prefix + "_CLIENT_ID", "(off)", p.label + " sign-in: OAuth client id"},
			ConfigVar{p.prefix + "_CLIENT_SECRET", "(off)", p.label + " sign-in: OAuth client secret"})
	}
	return out
}

// LoadConfig reads the environment through getenv. Every malformed value is
// reported at once, so a bad deployment fails fast with a clear message.
func LoadConfig(getenv func(string) string) (Config, error) {
	var errs []string
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	intVar := func(name string, def, min, max int) int {
		s := get(name, "")
		if s == "" {
			return def
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < min || n > max {
			errs = append(errs, fmt.Sprintf("%s=%q: want a whole number from %d to %d", name, s, min, max))
			return def
		}
		return n
	}
	durVar := func(name string, def time.Duration) time.Duration {
		s := get(name, "")
		if s == "" {
			return def
		}
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Sprintf("%s=%q: want a positive duration such as 20s", name, s))
			return def
		}
		return d
	}
	c := Config{
		Addr:              get("CROWDCARE_ADDR", "localhost:8080"),
		Env:               get("CROWDCARE_ENV", "development"),
		DataDir:           get("CROWDCARE_DATA_DIR", "./data"),
		DatabaseURL:       get("DATABASE_URL", ""),
		RedisURL:          get("REDIS_URL", ""),
		Secret:            get("CROWDCARE_SECRET", ""),
		Queue:             get("CROWDCARE_QUEUE", "crowdcare"),
		WorkerConcurrency: intVar("CROWDCARE_WORKER_CONCURRENCY", 10, 1, 1000),
		DBMaxConns:        intVar("CROWDCARE_DB_MAX_CONNS", 25, 2, 1000),
		ShutdownTimeout:   durVar("CROWDCARE_SHUTDOWN_TIMEOUT", 20*time.Second),
		LogLevel:          get("CROWDCARE_LOG_LEVEL", "info"),
		DevLogin:          get("CROWDCARE_DEV_LOGIN", "auto"),
		OutboxInterval:    durVar("CROWDCARE_OUTBOX_INTERVAL", time.Second),
		AdminEmails:       splitList(get("CROWDCARE_ADMIN_EMAILS", "")),
		EmployeeDomains:   splitList(get("CROWDCARE_EMPLOYEE_DOMAINS", "")),
		Languages:         splitList(get("CROWDCARE_LANGUAGES", "")),
		PostingLimits:     get("CROWDCARE_POSTING_LIMITS", "on") != "off",
	}
	if len(c.Languages) > 0 {
		if err := models.CheckLanguages(c.Languages); err != nil {
			errs = append(errs, "CROWDCARE_LANGUAGES: "+err.Error())
		}
	}
	for _, email := range c.AdminEmails {
		if !strings.Contains(email, "@") {
			errs = append(errs, fmt.Sprintf("CROWDCARE_ADMIN_EMAILS: %q is not an email address", email))
		}
	}
	for _, d := range c.EmployeeDomains {
		if strings.Contains(d, "@") || !strings.Contains(d, ".") {
			errs = append(errs, fmt.Sprintf("CROWDCARE_EMPLOYEE_DOMAINS: %q is not a domain such as example.com", d))
		}
	}
	c.SMTPURL = get("CROWDCARE_SMTP_URL", "")
	c.Providers, errs = loadProviders(get, errs)
	addrOK := validListenAddr(c.Addr)
	if !addrOK {
		errs = append(errs, fmt.Sprintf("CROWDCARE_ADDR=%q: want host:port with a port from 0 to 65535, e.g. localhost:8080", c.Addr))
	}
	c.BaseURL = strings.TrimRight(get("CROWDCARE_BASE_URL", "http://"+c.Addr), "/")
	// A base URL derived from a bad address is not a second mistake.
	if u, err := url.Parse(c.BaseURL); (addrOK || get("CROWDCARE_BASE_URL", "") != "") &&
		(err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		errs = append(errs, fmt.Sprintf("CROWDCARE_BASE_URL=%q: want an http:// or https:// URL", c.BaseURL))
	}
	host := "localhost"
	if u, err := url.Parse(c.BaseURL); err == nil && u.Hostname() != "" && net.ParseIP(u.Hostname()) == nil {
		host = u.Hostname() // an IP address makes no sender domain
	}
	c.MailFrom = get("CROWDCARE_MAIL_FROM", "Crowdcare <noreply@"+host+">")
	if _, err := newMailer(c); err != nil {
		errs = append(errs, err.Error())
	}
	if c.Env != "development" && c.Env != "production" {
		errs = append(errs, fmt.Sprintf("CROWDCARE_ENV=%q: want development or production", c.Env))
	}
	if c.DatabaseURL != "" && !validPostgresURL(c.DatabaseURL) {
		errs = append(errs, "DATABASE_URL: want a postgres:// URL (leave it unset for the embedded SQLite database)")
	}
	// Parse REDIS_URL the way the queue will, so a typo fails here, named,
	// rather than later inside the queue client.
	if c.RedisURL != "" {
		if _, err := asynq.ParseRedisURI(c.RedisURL); err != nil {
			errs = append(errs, "REDIS_URL: want a redis://, rediss://, redis-socket:// or redis-sentinel:// URL (leave it unset for the in-process Redis)")
		}
	}
	if c.Secret != "" && len(c.Secret) < 32 {
		errs = append(errs, "CROWDCARE_SECRET: want at least 32 characters")
	}
	if c.Env == "production" {
		if c.Secret == "" {
			errs = append(errs, "CROWDCARE_SECRET is required when CROWDCARE_ENV=production")
		}
		if c.DatabaseURL == "" || c.RedisURL == "" {
			errs = append(errs, "DATABASE_URL and REDIS_URL are required when CROWDCARE_ENV=production")
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Sprintf("CROWDCARE_LOG_LEVEL=%q: want debug, info, warn or error", c.LogLevel))
	}
	if c.DevLogin != "auto" && c.DevLogin != "off" {
		errs = append(errs, fmt.Sprintf("CROWDCARE_DEV_LOGIN=%q: want auto or off", c.DevLogin))
	}
	if len(errs) > 0 {
		return c, errors.New("configuration: " + strings.Join(errs, "; "))
	}
	return c, nil
}

// validListenAddr reports whether addr is host:port with a numeric port
// (0 picks a free one); net.SplitHostPort alone accepts "localhost:http".
func validListenAddr(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

// validPostgresURL reports whether s is a parseable postgres:// URL, spelt
// the way models.Open recognises it (the host may be empty: a Unix socket is
// given as ?host=/path).
func validPostgresURL(s string) bool {
	_, err := url.Parse(s)
	return err == nil && (strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://"))
}

// SQLitePath is where the embedded database lives.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "crowdcare.db") }

// SecureCookies reports whether cookies must be marked Secure.
func (c Config) SecureCookies() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// DevLoginEnabled reports whether the development sign-in is allowed: never
// in production, never once a social sign-in provider is configured, and
// only when the server listens on a loopback address and its base URL is a
// loopback one.
func (c Config) DevLoginEnabled() bool {
	if c.DevLogin == "off" || c.Env == "production" || len(c.Providers) > 0 {
		return false
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil || !isLoopbackHost(host) {
		return false
	}
	// Behind a reverse proxy the listen address is loopback too; a public
	// base URL says the forum is reachable from elsewhere.
	u, err := url.Parse(c.BaseURL)
	return err == nil && isLoopbackHost(u.Hostname())
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// splitList splits a comma-separated setting, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, strings.ToLower(f))
		}
	}
	return out
}

// loadProviders reads every provider's settings. A provider is on when its
// client id is set; a half-configured one is an error.
func loadProviders(get func(name, def string) string, errs []string) ([]ProviderConfig, []string) {
	var out []ProviderConfig
	for _, p := range providerVars {
		id, secret := get(p.prefix+"_CLIENT_ID", ""), get(p.prefix+"_CLIENT_SECRET", "")
		switch {
		case id == "" && secret == "":
		case id == "" || secret == "":
			errs = append(errs, fmt.Sprintf("%s_CLIENT_ID and %s_CLIENT_SECRET must be set together", p.prefix, p.prefix))
		default:
			out = append(out, ProviderConfig{Name: p.name, Label: p.label, ClientID: id, ClientSecret: secret})
		}
	}
	apple := ProviderConfig{Name: "apple", Label: "Apple", ClientID: get("CROWDCARE_APPLE_CLIENT_ID", ""),
		AppleTeamID: get("CROWDCARE_APPLE_TEAM_ID", ""), AppleKeyID: get("CROWDCARE_APPLE_KEY_ID", ""),
		ApplePrivateKey: get("CROWDCARE_APPLE_PRIVATE_KEY", "")}
	if apple.ClientID != "" || apple.AppleTeamID != "" || apple.AppleKeyID != "" || apple.ApplePrivateKey != "" {
		if apple.ClientID == "" || apple.AppleTeamID == "" || apple.AppleKeyID == "" || apple.ApplePrivateKey == "" {
			errs = append(errs, "CROWDCARE_APPLE_CLIENT_ID, _TEAM_ID, _KEY_ID and _PRIVATE_KEY must be set together")
		} else {
			out = append(out, apple)
		}
	}
	oidc := ProviderConfig{Name: "oidc", Label: get("CROWDCARE_OIDC_NAME", "Single sign-on"), Issuer: strings.TrimRight(get("CROWDCARE_OIDC_ISSUER", ""), "/"),
		ClientID: get("CROWDCARE_OIDC_CLIENT_ID", ""), ClientSecret: get("CROWDCARE_OIDC_CLIENT_SECRET", "")}
	if oidc.Issuer != "" || oidc.ClientID != "" || oidc.ClientSecret != "" {
		u, err := url.Parse(oidc.Issuer)
		switch {
		case oidc.Issuer == "" || oidc.ClientID == "" || oidc.ClientSecret == "":
			errs = append(errs, "CROWDCARE_OIDC_ISSUER, _CLIENT_ID and _CLIENT_SECRET must be set together")
		case err != nil || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname()))) || u.Host == "":
			errs = append(errs, fmt.Sprintf("CROWDCARE_OIDC_ISSUER=%q: want an https:// issuer URL", oidc.Issuer))
		default:
			out = append(out, oidc)
		}
	}
	return out, errs
}
