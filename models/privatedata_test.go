package models

import (
	"strings"
	"testing"
)

func TestFindPrivateData(t *testing.T) {
	cases := []struct {
		text string
		want []string // kinds found, in order
	}{
		// Emails, in several scripts.
		{"write to me at jane.doe@gmail.com please", []string{PrivateEmail}},
		{"मेरा ईमेल rahul.sharma@yahoo.co.in है", []string{PrivateEmail}},
		{"邮箱: wang_li+support@qq.com", []string{PrivateEmail}},
		{"correo: josé.garcía@correo.es", []string{PrivateEmail}},
		{"என் மின்னஞ்சல் kumar@outlook.com", []string{PrivateEmail}},
		{"see user@example.com for the format", nil},
		{"the @mention of @alice works", nil},
		// Phones.
		{"call me on +1 (555) 123-4567", []string{PrivatePhone}},
		{"मेरा नंबर ९८७६५ ४३२१० है", []string{PrivatePhone}},
		{"my number: 98765 43210", []string{PrivatePhone}},
		{"携帯 090-1234-5678 まで", []string{PrivatePhone}},
		{"appelez le 01 23 45 67 89", []string{PrivatePhone}},
		{"+44 20 7946 0958 is the office", []string{PrivatePhone}},
		{"+919876543210", []string{PrivatePhone}},
		{"رقمي ٠٥٠١٢٣٤٥٦٧", []string{PrivateAccount}},
		{"我的电话是13812345678", []string{PrivateAccount}},
		{"(555) 123-4567", []string{PrivatePhone}},
		// Cards (Luhn) and accounts.
		{"card 4111 1111 1111 1111 expired", []string{PrivateCard}},
		{"card 4111-1111-1111-1111", []string{PrivateCard}},
		{"5500005555555559 was charged twice", []string{PrivateCard}},
		{"amex 3782 822463 10005", []string{PrivateCard}},
		{"कार्ड ४१११ ११११ ११११ ११११", []string{PrivateCard}},
		{"4111 1111 1111 1112 is not a card", nil},
		{"IBAN DE89 3704 0044 0532 0130 00 please refund", []string{PrivateIBAN}},
		{"GB29NWBK60161331926819", []string{PrivateIBAN}},
		{"DE89 3704 0044 0532 0130 01 (bad check digits)", nil},
		{"account no. 123456789012 at my bank", []string{PrivateAccount}},
		{"खाता संख्या 00112233445566", []string{PrivateAccount}},
		{"mail a@b.io and call +49 30 1234567", []string{PrivateEmail, PrivatePhone}},
		// What must not trigger.
		{"upgraded from 4.2.1 to 4.10.0", nil},
		{"build 10.0.19045.2965 crashes", nil},
		{"error E-301 when syncing", nil},
		{"error code 0x80070005", nil},
		{"HTTP 404 and 500 errors", nil},
		{"since 2024-01-15 10:30:00 it fails", nil},
		{"on 15-01-2024 10:30 it failed", nil},
		{"on 15/01/2024 and 2024/01/16", nil},
		{"१५.०१.२०२४ को ऐप बंद हो गया", nil},
		{"order #12345 never arrived", nil},
		{"order 123-456 and ticket 98765", nil},
		{"it costs 1 000 000 rupees", nil},
		{"scores 10 20 30 40 50 60", nil},
		{"id 123e4567-e89b-12d3-a456-426614174000 in the log", nil},
		{"SKU12345678901 is out of stock", nil},
		{"ABC-1234567890 is the part", nil},
		{"192.168.1.254 is the router", nil},
		{"the 3 4 5 6 7 8 9 10 11 12 steps", nil},
		{"version v2.3.14-beta.2", nil},
		{"", nil},
	}
	for _, c := range cases {
		got := FindPrivateData(c.text)
		var kinds []string
		for _, f := range got {
			kinds = append(kinds, f.Kind)
			if !strings.Contains(c.text, f.Text) {
				t.Errorf("%q: finding %q is not in the text", c.text, f.Text)
			}
		}
		if strings.Join(kinds, ",") != strings.Join(c.want, ",") {
			t.Errorf("%q: found %v (%+v), want %v", c.text, kinds, got, c.want)
		}
	}
}

func TestPrivateDataShownMasked(t *testing.T) {
	got := FindPrivateData("card 4111 1111 1111 1234 5 and 4111111111111111")
	if len(got) == 0 {
		t.Fatal("no finding")
	}
	last := got[len(got)-1]
	if last.Kind != PrivateCard || last.Shown != "••••••••••••1111" {
		t.Errorf("shown %+v", last)
	}
}
