package jobs

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/hibiken/asynq"
)

// smtpSink is a real SMTP server on a loopback port that keeps what it is
// sent: the far end of the world, as close as a test can get to it.
type smtpSink struct {
	mu       sync.Mutex
	messages []sinkMessage
	user     string
}

type sinkMessage struct {
	from string
	to   []string
	data string
}

type sinkSession struct {
	sink *smtpSink
	msg  sinkMessage
}

func (s *smtpSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: s}, nil }

func (s *sinkSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *sinkSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "mailer" || pass != "s3cret" {
			return errors.New("bad credentials")
		}
		s.sink.mu.Lock()
		s.sink.user = user
		s.sink.mu.Unlock()
		return nil
	}), nil
}
func (s *sinkSession) Mail(from string, _ *smtp.MailOptions) error { s.msg.from = from; return nil }
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.to = append(s.msg.to, to)
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.data = string(b)
	s.sink.mu.Lock()
	s.sink.messages = append(s.sink.messages, s.msg)
	s.sink.mu.Unlock()
	return nil
}
func (s *sinkSession) Reset()        { s.msg = sinkMessage{} }
func (s *sinkSession) Logout() error { return nil }

func startSMTPSink(t *testing.T) (*smtpSink, string) {
	t.Helper()
	sink := &smtpSink{}
	srv := smtp.NewServer(sink)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // loopback only; production URLs require TLS
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return sink, ln.Addr().String()
}

func TestSMTPMailerDelivers(t *testing.T) {
	sink, addr := startSMTPSink(t)
	m, err := NewSMTPMailer("smtp://mailer:s3cret@"+addr+"?tls=none", "Crowdcare <noreply@forum.example>")
	if err != nil {
		t.Fatal(err)
	}
	d := Deps{Mailer: m}
	task, err := NewMailTask(Mail{To: "asha@example.com", Subject: "Emerging issue: E-301 बार-बार", Text: "Twelve askers in two hours.\nSee the dashboard.", Key: "alert:1:asha"})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.handleMailSend(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.messages) != 1 || sink.user != "mailer" {
		t.Fatalf("%d messages, authenticated as %q", len(sink.messages), sink.user)
	}
	got := sink.messages[0]
	if got.from != "noreply@forum.example" || len(got.to) != 1 || got.to[0] != "asha@example.com" {
		t.Errorf("envelope from %q to %v", got.from, got.to)
	}
	for _, want := range []string{"=?UTF-8?q?Emerging_issue:_E-301_", "Message-ID: <", "@forum.example>", "Twelve askers in two hours."} {
		if !strings.Contains(got.data, want) {
			t.Errorf("message lacks %q:\n%s", want, got.data)
		}
	}
}

func TestSMTPMailerRefusesBadSettings(t *testing.T) {
	for _, u := range []string{"", "http://host", "smtp://", "smtp://host:0", "smtp://host:99999", "smtp://host?tls=maybe"} {
		if _, err := NewSMTPMailer(u, "noreply@forum.example"); err == nil {
			t.Errorf("NewSMTPMailer(%q) accepted", u)
		}
	}
	if _, err := NewSMTPMailer("smtp://host:587", "not an address"); err == nil {
		t.Error("a bad sender was accepted")
	}
	// Wrong credentials: the send fails and asynq will retry it.
	_, addr := startSMTPSink(t)
	m, err := NewSMTPMailer("smtp://mailer:wrong@"+addr+"?tls=none", "noreply@forum.example")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), Mail{To: "a@example.com", Key: "k"}); err == nil {
		t.Error("a send with wrong credentials succeeded")
	}
	// TLS is required unless the URL says otherwise: a plain server is refused.
	m, err = NewSMTPMailer("smtp://mailer:s3cret@"+addr, "noreply@forum.example")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), Mail{To: "a@example.com", Key: "k"}); err == nil {
		t.Error("mail went out over a connection without TLS")
	}
}

func TestDirMailerWritesOneFilePerMail(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	d := Deps{Mailer: DirMailer{Dir: dir, From: "Crowdcare <noreply@localhost>"}}
	task, _ := NewMailTask(Mail{To: "asha@example.com", Subject: "Hello", Text: "Body text", Key: "k1"})
	for range 2 { // a redelivered task leaves one copy
		if err := d.handleMailSend(context.Background(), task); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("%d files, want 1", len(files))
	}
	b, _ := os.ReadFile(files[0])
	if !strings.Contains(string(b), "To: <asha@example.com>") || !strings.Contains(string(b), "Body text") {
		t.Errorf("mail file:\n%s", b)
	}
	for _, bad := range [][]byte{[]byte("{"), []byte(`{"to":"","key":"x"}`), []byte(`{"to":"not an address","key":"x"}`)} {
		err := d.handleMailSend(context.Background(), asynq.NewTask(TaskMailSend, bad))
		if !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("payload %s: %v, want SkipRetry", bad, err)
		}
	}
}
