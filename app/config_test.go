package app

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// envOf returns a getenv that reads only m.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Addr: "localhost:8080", BaseURL: "http://localhost:8080", Env: "development", DataDir: "./data",
		Queue: "crowdcare", WorkerConcurrency: 10, DBMaxConns: 25, ShutdownTimeout: 20 * time.Second,
		LogLevel: "info", DevLogin: "auto", OutboxInterval: time.Second, MailFrom: "Crowdcare <noreply@localhost>",
		PostingLimits: true,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("defaults\n got %+v\nwant %+v", c, want)
	}
	if c.SQLitePath() != "data/crowdcare.db" || c.SecureCookies() || !c.DevLoginEnabled() {
		t.Fatalf("derived: path %q secure %v devlogin %v", c.SQLitePath(), c.SecureCookies(), c.DevLoginEnabled())
	}
}

// TestConfigVarsDocumentEveryVariable checks that --help (which prints
// ConfigVars) lists exactly the variables LoadConfig reads.
func TestConfigVarsDocumentEveryVariable(t *testing.T) {
	read := map[string]bool{}
	if _, err := LoadConfig(func(k string) string { read[k] = true; return "" }); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, v := range ConfigVars {
		documented[v.Name] = true
		if v.Default == "" || v.Help == "" {
			t.Errorf("%s has no default or help text", v.Name)
		}
		if !read[v.Name] {
			t.Errorf("%s is documented but never read", v.Name)
		}
	}
	for k := range read {
		if !documented[k] {
			t.Errorf("%s is read but not documented in ConfigVars", k)
		}
	}
}

func TestLoadConfigValues(t *testing.T) {
	c, err := LoadConfig(envOf(map[string]string{
		"CROWDCARE_ADDR":               " 0.0.0.0:9000 ",
		"CROWDCARE_BASE_URL":           "https://forum.example.com/",
		"CROWDCARE_ENV":                "production",
		"CROWDCARE_DATA_DIR":           "/var/lib/crowdcare",
		"DATABASE_URL":                 "postgres://cc:pw@db:5432/cc?sslmode=require",
		"REDIS_URL":                    "rediss://:pw@cache:6380/2",
		"CROWDCARE_SECRET":             strings.Repeat("s", 32),
		"CROWDCARE_QUEUE":              "forum",
		"CROWDCARE_WORKER_CONCURRENCY": "4",
		"CROWDCARE_DB_MAX_CONNS":       "50",
		"CROWDCARE_SHUTDOWN_TIMEOUT":   "1m30s",
		"CROWDCARE_LOG_LEVEL":          "warn",
		"CROWDCARE_DEV_LOGIN":          "off",
		"CROWDCARE_OUTBOX_INTERVAL":    "250ms",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || c.BaseURL != "https://forum.example.com" || c.WorkerConcurrency != 4 ||
		c.DBMaxConns != 50 || c.ShutdownTimeout != 90*time.Second || c.OutboxInterval != 250*time.Millisecond ||
		c.Queue != "forum" || c.LogLevel != "warn" || c.SQLitePath() != "/var/lib/crowdcare/crowdcare.db" {
		t.Fatalf("config %+v", c)
	}
	if !c.SecureCookies() {
		t.Error("https base URL must turn on Secure cookies")
	}
	if c.DevLoginEnabled() {
		t.Error("development sign-in enabled in production")
	}
}

// TestLoadConfigErrors checks that each malformed value fails with a message
// that names the variable, so an operator knows what to fix.
func TestLoadConfigErrors(t *testing.T) {
	secret := strings.Repeat("x", 32)
	tests := []struct {
		name string
		env  map[string]string
		want string // the variable the message must name
	}{
		{"addr without port", map[string]string{"CROWDCARE_ADDR": "localhost"}, "CROWDCARE_ADDR"},
		{"addr with named port", map[string]string{"CROWDCARE_ADDR": "localhost:http"}, "CROWDCARE_ADDR"},
		{"addr with port out of range", map[string]string{"CROWDCARE_ADDR": "localhost:70000"}, "CROWDCARE_ADDR"},
		{"addr is a URL", map[string]string{"CROWDCARE_ADDR": "http://localhost:8080"}, "CROWDCARE_ADDR"},
		{"base url without scheme", map[string]string{"CROWDCARE_BASE_URL": "forum.example.com"}, "CROWDCARE_BASE_URL"},
		{"base url ftp", map[string]string{"CROWDCARE_BASE_URL": "ftp://forum.example.com"}, "CROWDCARE_BASE_URL"},
		{"unknown env", map[string]string{"CROWDCARE_ENV": "prod"}, "CROWDCARE_ENV"},
		{"worker concurrency not a number", map[string]string{"CROWDCARE_WORKER_CONCURRENCY": "ten"}, "CROWDCARE_WORKER_CONCURRENCY"},
		{"worker concurrency zero", map[string]string{"CROWDCARE_WORKER_CONCURRENCY": "0"}, "CROWDCARE_WORKER_CONCURRENCY"},
		{"worker concurrency fraction", map[string]string{"CROWDCARE_WORKER_CONCURRENCY": "2.5"}, "CROWDCARE_WORKER_CONCURRENCY"},
		{"db pool of one", map[string]string{"CROWDCARE_DB_MAX_CONNS": "1"}, "CROWDCARE_DB_MAX_CONNS"},
		{"negative shutdown timeout", map[string]string{"CROWDCARE_SHUTDOWN_TIMEOUT": "-5s"}, "CROWDCARE_SHUTDOWN_TIMEOUT"},
		{"zero shutdown timeout", map[string]string{"CROWDCARE_SHUTDOWN_TIMEOUT": "0s"}, "CROWDCARE_SHUTDOWN_TIMEOUT"},
		{"shutdown timeout without unit", map[string]string{"CROWDCARE_SHUTDOWN_TIMEOUT": "20"}, "CROWDCARE_SHUTDOWN_TIMEOUT"},
		{"negative outbox interval", map[string]string{"CROWDCARE_OUTBOX_INTERVAL": "-1ms"}, "CROWDCARE_OUTBOX_INTERVAL"},
		{"mysql database", map[string]string{"DATABASE_URL": "mysql://u:p@db/cc"}, "DATABASE_URL"},
		{"sqlite path as database url", map[string]string{"DATABASE_URL": "./data/cc.db"}, "DATABASE_URL"},
		{"unparseable postgres url", map[string]string{"DATABASE_URL": "postgres://u:p@db:port/cc"}, "DATABASE_URL"},
		{"redis without scheme", map[string]string{"REDIS_URL": "localhost:6379"}, "REDIS_URL"},
		{"redis with http scheme", map[string]string{"REDIS_URL": "http://localhost:6379"}, "REDIS_URL"},
		{"redis with bad db number", map[string]string{"REDIS_URL": "redis://localhost:6379/zero"}, "REDIS_URL"},
		{"short secret", map[string]string{"CROWDCARE_SECRET": "hunter2"}, "CROWDCARE_SECRET"},
		{"production without secret", map[string]string{"CROWDCARE_ENV": "production",
			"DATABASE_URL": "postgres://db/cc", "REDIS_URL": "redis://cache:6379/0"}, "CROWDCARE_SECRET"},
		{"production without database", map[string]string{"CROWDCARE_ENV": "production", "CROWDCARE_SECRET": secret,
			"REDIS_URL": "redis://cache:6379/0"}, "DATABASE_URL"},
		{"production without redis", map[string]string{"CROWDCARE_ENV": "production", "CROWDCARE_SECRET": secret,
			"DATABASE_URL": "postgres://db/cc"}, "REDIS_URL"},
		{"bad log level", map[string]string{"CROWDCARE_LOG_LEVEL": "verbose"}, "CROWDCARE_LOG_LEVEL"},
		{"log level in capitals", map[string]string{"CROWDCARE_LOG_LEVEL": "INFO"}, "CROWDCARE_LOG_LEVEL"},
		{"bad dev login", map[string]string{"CROWDCARE_DEV_LOGIN": "on"}, "CROWDCARE_DEV_LOGIN"},
		{"bad mail sender", map[string]string{"CROWDCARE_MAIL_FROM": "noreply"}, "CROWDCARE_MAIL_FROM"},
		{"bad SMTP scheme", map[string]string{"CROWDCARE_SMTP_URL": "http://mail.example.com"}, "CROWDCARE_SMTP_URL"},
		{"bad SMTP TLS", map[string]string{"CROWDCARE_SMTP_URL": "smtp://mail.example.com?tls=sometimes"}, "CROWDCARE_SMTP_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(envOf(tt.env))
			if err == nil {
				t.Fatalf("accepted %v", tt.env)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error does not name %s: %v", tt.want, err)
			}
			// One bad value is one problem: messages are joined by "; ".
			if strings.Contains(err.Error(), "; ") {
				t.Errorf("one bad value reported as several problems: %v", err)
			}
		})
	}
}

// TestLoadConfigReportsEveryError checks that one run reports every bad
// variable, so a deployment is fixed in one round trip.
func TestLoadConfigReportsEveryError(t *testing.T) {
	_, err := LoadConfig(envOf(map[string]string{
		"CROWDCARE_ADDR":               "nope",
		"CROWDCARE_WORKER_CONCURRENCY": "many",
		"CROWDCARE_SHUTDOWN_TIMEOUT":   "-1s",
		"DATABASE_URL":                 "mysql://db",
		"CROWDCARE_SECRET":             "short",
		"CROWDCARE_LOG_LEVEL":          "loud",
		"CROWDCARE_DEV_LOGIN":          "yes",
	}))
	if err == nil {
		t.Fatal("accepted a config with seven bad values")
	}
	for _, name := range []string{"CROWDCARE_ADDR", "CROWDCARE_WORKER_CONCURRENCY", "CROWDCARE_SHUTDOWN_TIMEOUT",
		"DATABASE_URL", "CROWDCARE_SECRET", "CROWDCARE_LOG_LEVEL", "CROWDCARE_DEV_LOGIN"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not mention %s: %v", name, err)
		}
	}
}

func TestConfigDevLoginEnabled(t *testing.T) {
	tests := []struct {
		addr, env, devLogin string
		want                bool
	}{
		{"localhost:8080", "", "", true},
		{"127.0.0.1:8080", "", "", true},
		{"127.0.0.1:0", "", "", true},
		{"[::1]:8080", "", "", true},
		{"0.0.0.0:8080", "", "", false}, // every interface: reachable from outside
		{"[::]:8080", "", "", false},    // every interface
		{":8080", "", "", false},        // every interface
		{"192.168.1.5:8080", "", "", false},
		{"forum.example.com:8080", "", "", false},
		{"localhost:8080", "production", "", false},
		{"127.0.0.1:8080", "production", "", false},
		{"localhost:8080", "", "off", false},
		{"[::1]:8080", "", "off", false},
	}
	for _, tt := range tests {
		env := map[string]string{"CROWDCARE_ADDR": tt.addr, "CROWDCARE_ENV": tt.env, "CROWDCARE_DEV_LOGIN": tt.devLogin}
		if tt.env == "production" {
			env["CROWDCARE_SECRET"] = strings.Repeat("x", 32)
			env["DATABASE_URL"] = "postgres://db/cc"
			env["REDIS_URL"] = "redis://cache:6379/0"
		}
		c, err := LoadConfig(envOf(env))
		if err != nil {
			t.Fatalf("%v: %v", env, err)
		}
		if got := c.DevLoginEnabled(); got != tt.want {
			t.Errorf("addr %s env %q dev login %q: enabled=%v, want %v", tt.addr, tt.env, tt.devLogin, got, tt.want)
		}
	}
}

func TestConfigSecureCookies(t *testing.T) {
	for base, want := range map[string]bool{
		"":                          false, // derived from CROWDCARE_ADDR: http
		"http://localhost:8080":     false,
		"https://forum.example.com": true,
		"https://localhost:8443/":   true,
	} {
		c, err := LoadConfig(envOf(map[string]string{"CROWDCARE_BASE_URL": base}))
		if err != nil {
			t.Fatalf("%q: %v", base, err)
		}
		if c.SecureCookies() != want {
			t.Errorf("base URL %q: secure cookies %v, want %v", base, c.SecureCookies(), want)
		}
	}
}
