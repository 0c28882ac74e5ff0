package app

import (
	"fmt"
	"net/mail"

	"github.com/crowdcare/crowdcare/jobs"
)

// newMailer is the configured mailer: SMTP when CROWDCARE_SMTP_URL is set,
// else a folder of .eml files, so the embedded set-up shows what it would
// have sent.
func newMailer(c Config) (jobs.Mailer, error) {
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		return nil, fmt.Errorf("CROWDCARE_MAIL_FROM=%q: want an address such as Crowdcare <noreply@example.com>", c.MailFrom)
	}
	if c.SMTPURL == "" {
		return jobs.DirMailer{Dir: c.MailDir(), From: c.MailFrom}, nil
	}
	m, err := jobs.NewSMTPMailer(c.SMTPURL, c.MailFrom)
	if err != nil {
		return nil, fmt.Errorf("CROWDCARE_SMTP_URL: %v", err)
	}
	return m, nil
}
