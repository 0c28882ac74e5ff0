package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	gomail "github.com/wneessen/go-mail"
)

// TaskMailSend delivers one Mail. Work that sends mail enqueues it, so a
// slow or failing mail server delays nothing else and asynq retries it
// with backoff.
const TaskMailSend = "mail:send"

// Mail is one plain-text message to one recipient.
type Mail struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	// Key names the message: its Message-ID derives from it, so a
	// redelivered task sends a message receivers can tell is the same.
	Key string `json:"key"`
	// Headers are extra header fields (List-Unsubscribe, ...), ASCII.
	Headers map[string]string `json:"headers,omitempty"`
	// Date, when set, is the mail's Date (a digest's period end, in the
	// reader's time zone); else the time it is sent.
	Date time.Time `json:"date,omitzero"`
}

// NewMailTask is the task that sends m.
func NewMailTask(m Mail) (*asynq.Task, error) {
	if m.To == "" || m.Key == "" {
		return nil, errors.New("mail: recipient and key are required")
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TaskMailSend, b, asynq.MaxRetry(10)), nil
}

// Mailer delivers mail: over SMTP in production, into a folder in the
// embedded set-up (so a newcomer can read what would have been sent).
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// errBadMail marks a mail that can never be sent (a bad address): the
// job gives up on it instead of retrying.
var errBadMail = errors.New("mail cannot be sent")

// message builds the MIME message of m from sender from.
func message(from string, m Mail) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("%w: from %q: %v", errBadMail, from, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("%w: to %q: %v", errBadMail, m.To, err)
	}
	msg.Subject(m.Subject)
	if m.Date.IsZero() {
		msg.SetDate()
	} else {
		msg.SetDateWithValue(m.Date)
	}
	for k, v := range m.Headers {
		msg.SetGenHeaderPreformatted(gomail.Header(k), v)
	}
	domain := "crowdcare.invalid"
	if at := strings.LastIndexByte(from, '@'); at >= 0 {
		domain = strings.Trim(from[at+1:], "> ")
	}
	sum := sha256.Sum256([]byte(m.Key))
	msg.SetMessageIDWithValue(hex.EncodeToString(sum[:16]) + "@" + domain)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	return msg, nil
}

// DirMailer writes every mail as an .eml file into Dir.
type DirMailer struct {
	Dir  string
	From string
}

// Send writes m to a file named after its key; writing the same mail again
// replaces the file, so a retried task leaves one copy.
func (d DirMailer) Send(_ context.Context, m Mail) error {
	msg, err := message(d.From, m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(d.Dir, 0o750); err != nil {
		return fmt.Errorf("mail folder: %w", err)
	}
	sum := sha256.Sum256([]byte(m.Key))
	name := filepath.Join(d.Dir, time.Now().UTC().Format("20060102")+"-"+hex.EncodeToString(sum[:8])+".eml")
	tmp := name + ".tmp"
	if err := msg.WriteToFile(tmp); err != nil {
		return fmt.Errorf("write mail: %w", err)
	}
	return os.Rename(tmp, name)
}

// SMTPMailer sends through an SMTP server.
type SMTPMailer struct {
	client *gomail.Client
	from   string
}

// NewSMTPMailer reads an SMTP URL: smtp://user:pass@host:587 (STARTTLS,
// required), smtps://user:pass@host:465 (TLS from the start), and for a
// relay on the local network ?tls=opportunistic or ?tls=none.
func NewSMTPMailer(rawURL, from string) (*SMTPMailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("SMTP URL: want smtp://user:password@host:port")
	}
	opts := []gomail.Option{gomail.WithTimeout(20 * time.Second)}
	port := 587
	auth := gomail.SMTPAuthAutoDiscover
	switch u.Scheme {
	case "smtp":
		policy := gomail.TLSMandatory
		switch u.Query().Get("tls") {
		case "", "required":
		case "opportunistic":
			policy = gomail.TLSOpportunistic
		case "none":
			// The operator chose a plain connection (a relay on the local
			// network): a password may then go in the clear too.
			policy, auth = gomail.NoTLS, gomail.SMTPAuthPlainNoEnc
		default:
			return nil, fmt.Errorf("SMTP URL: tls must be required, opportunistic or none")
		}
		opts = append(opts, gomail.WithTLSPolicy(policy))
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("SMTP URL: scheme must be smtp or smtps")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("SMTP URL: bad port %q", p)
		}
		port = n
	}
	opts = append(opts, gomail.WithPort(port))
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	c, err := gomail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, fmt.Errorf("SMTP client: %w", err)
	}
	if _, err := message(from, Mail{To: "check@example.com", Key: "check"}); err != nil {
		return nil, err
	}
	return &SMTPMailer{client: c, from: from}, nil
}

// Send delivers m in one SMTP session.
func (s *SMTPMailer) Send(ctx context.Context, m Mail) error {
	msg, err := message(s.from, m)
	if err != nil {
		return err
	}
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send mail: %w", err)
	}
	return nil
}

// handleMailSend delivers a queued mail. A payload that can never be sent
// (bad JSON, a bad address) is not retried.
func (d Deps) handleMailSend(ctx context.Context, t *asynq.Task) error {
	var m Mail
	if err := json.Unmarshal(t.Payload(), &m); err != nil || m.To == "" || m.Key == "" {
		return fmt.Errorf("bad mail payload: %v: %w", err, asynq.SkipRetry)
	}
	if d.Mailer == nil {
		return fmt.Errorf("no mailer configured: %w", asynq.SkipRetry)
	}
	err := d.Mailer.Send(ctx, m)
	if errors.Is(err, errBadMail) {
		return fmt.Errorf("%v: %w", err, asynq.SkipRetry)
	}
	return err
}
