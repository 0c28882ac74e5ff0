package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// SeedReport says what SeedDemo made. Skipped is true when the demo content
// was already there and nothing new was written.
type SeedReport struct {
	Skipped   bool
	Users     int
	Boards    int
	Questions int
	Answers   int
	Accepted  int
}

// String is the line `crowdcare seed` prints.
func (r SeedReport) String() string {
	if r.Skipped {
		return "demo content is already present; nothing to do"
	}
	return fmt.Sprintf("demo content: %d users, %d boards, %d questions, %d answers, %d accepted solutions",
		r.Users, r.Boards, r.Questions, r.Answers, r.Accepted)
}

// demoUser is a seeded account.
type demoUser struct {
	handle, name, locale string
	roles                []Role
}

// demoBoard is a seeded board; SeedLarge reuses the public ones.
type demoBoard struct {
	slug, name, description string
	visibility              Visibility
}

// demoAnswer is written `after` its question was asked.
type demoAnswer struct {
	author string
	after  time.Duration
	body   string
}

// demoQuestion is a seeded thread. accept is the 1-based index of the answer
// the asker accepts, 0 for none. age is how long ago it was asked.
type demoQuestion struct {
	board, author string
	age           time.Duration
	title         string
	tags          []string
	body          string
	answers       []demoAnswer
	accept        int
}

var demoUsers = []demoUser{
	{"ada", "Ada Lovelace", "en", []Role{RoleAdmin}},
	{"ravi", "Ravi Teja", "en", []Role{RoleEmployee}},
	{"mira", "Mira Petrova", "en", []Role{RoleExpert}},
	{"ivan", "Ivan Georgiev", "en", []Role{RoleModerator}},
	{"priya", "Priya Sharma", "hi", nil},
	{"kavya", "Kavya Raman", "en", nil},
	{"anil", "Anil Reddy", "en", nil},
	{"georgi", "Georgi Dimitrov", "en", nil},
	{"sam", "Sam Okafor", "en", nil},
	{"lena", "Lena Fischer", "en", nil},
}

var demoBoards = []demoBoard{
	{"laserjet", "LaserJet printers", "Setup, printing, scanning and error codes on LaserJet printers.", VisibilityPublic},
	{"laptops", "Laptops", "Batteries, displays, BIOS, drivers and everything else on our laptops.", VisibilityPublic},
	{"wifi", "Wi-Fi & networking", "Routers, mesh systems, adapters and getting devices to see each other.", VisibilityPublic},
	{"account", "Account & billing", "Sign-in, orders, invoices, warranties and refunds.", VisibilityPublic},
	{"early-access", "Early access", "Pre-release firmware and features, for experts and staff only.", VisibilityExperts},
}

// demoMarkdown lets the Go raw strings below hold inline code: Go raw
// strings cannot contain a backtick, so '´' stands in for it. Code blocks
// use ~~~ fences, which CommonMark accepts as well.
var demoMarkdown = strings.NewReplacer("´", "`")

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

// SeedDemo fills an empty forum with a small, living demo: staff and
// members, a board per product plus an experts-only board, and questions in
// several languages, answered, accepted or still waiting. Every item goes
// through the same model functions as the web, so all counts and indexes
// hold. It is idempotent: each question carries an external id, and a
// second run only adds what is missing.
func SeedDemo(ctx context.Context, db *gorm.DB) (SeedReport, error) {
	var rep SeedReport
	users := map[string]*User{}
	for _, du := range demoUsers {
		u, created, err := demoEnsureUser(ctx, db, du)
		if err != nil {
			return rep, err
		}
		users[du.handle] = u
		rep.Users += b2i(created)
	}
	for i, b := range demoBoards {
		created, err := ensureBoard(ctx, db, b, i)
		if err != nil {
			return rep, err
		}
		rep.Boards += b2i(created)
	}
	now := time.Now().UTC()
	for i, q := range demoQuestions {
		if err := seedDemoQuestion(ctx, db, users, fmt.Sprintf("demo-q%02d", i+1), q, now, &rep); err != nil {
			return rep, fmt.Errorf("seed %q: %w", q.title, err)
		}
	}
	if err := recountDemoTags(ctx, db); err != nil {
		return rep, err
	}
	if err := seedDemoProgram(ctx, db, users); err != nil {
		return rep, err
	}
	rep.Skipped = rep == SeedReport{}
	return rep, nil
}

// recountDemoTags brings the demo tags' question counts up to date now,
// instead of when the question-created jobs run.
func recountDemoTags(ctx context.Context, db *gorm.DB) error {
	var names []string
	for _, q := range demoQuestions {
		names = append(names, q.tags...)
	}
	var ids []int64
	if err := db.WithContext(ctx).Model(&Tag{}).Where("name IN ?", names).Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("find demo tags: %w", err)
	}
	if err := RecountTags(ctx, db, ids); err != nil {
		return fmt.Errorf("recount demo tags: %w", err)
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// demoEnsureUser returns the user with du's handle, creating it, or
// granting the roles it lacks (the handle may already have signed in).
func demoEnsureUser(ctx context.Context, db *gorm.DB, du demoUser) (*User, bool, error) {
	u, err := UserByHandle(ctx, db, du.handle)
	if errors.Is(err, ErrNotFound) {
		u = &User{Handle: du.handle, DisplayName: du.name, Locale: du.locale, Roles: du.roles,
			Email: du.handle + "@example.com", EmailVerified: true}
		if err := CreateUser(ctx, db, u); err != nil {
			return nil, false, fmt.Errorf("create user %s: %w", du.handle, err)
		}
		return u, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("find user %s: %w", du.handle, err)
	}
	for _, r := range du.roles {
		if !u.HasRole(r) {
			if err := GrantRole(ctx, db, u.ID, r); err != nil {
				return nil, false, err
			}
			u.Roles = append(u.Roles, r)
		}
	}
	return u, false, nil
}

// ensureBoard creates board b unless a board with its slug exists.
func ensureBoard(ctx context.Context, db *gorm.DB, b demoBoard, pos int) (bool, error) {
	var n int64
	if err := db.WithContext(ctx).Model(&Board{}).Where("slug = ?", b.slug).Count(&n).Error; err != nil {
		return false, fmt.Errorf("find board %s: %w", b.slug, err)
	}
	if n > 0 {
		return false, nil
	}
	_, err := CreateBoard(ctx, db, BoardInput{Slug: b.slug, Name: b.name, Description: b.description,
		Visibility: b.visibility, Position: (pos + 1) * 10})
	if err != nil {
		return false, fmt.Errorf("create board %s: %w", b.slug, err)
	}
	return true, nil
}

// seedDemoQuestion writes one thread unless its external id is already
// there; its answers are keyed the same way, so a run that stopped half way
// is completed by the next.
func seedDemoQuestion(ctx context.Context, db *gorm.DB, users map[string]*User, ext string, dq demoQuestion, now time.Time, rep *SeedReport) error {
	asked := now.Add(-dq.age)
	var q Question
	err := db.WithContext(ctx).Where("external_id = ?", ext).Take(&q).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		created, err := Ask(ctx, db, users[dq.author], AskInput{Board: dq.board, Title: dq.title,
			Body: demoMarkdown.Replace(dq.body), Tags: dq.tags, ExternalID: ext, CreatedAt: asked})
		if err != nil {
			return err
		}
		q = *created
		rep.Questions++
	case err != nil:
		return err
	default:
		asked = q.CreatedAt
	}
	var acceptID int64
	for i, da := range dq.answers {
		id, created, err := seedDemoAnswer(ctx, db, users[da.author], q.ID, fmt.Sprintf("%s-a%d", ext, i+1), da, asked, now)
		if err != nil {
			return err
		}
		rep.Answers += b2i(created)
		if i+1 == dq.accept {
			acceptID = id
		}
	}
	if acceptID != 0 && q.AcceptedAnswerID == nil {
		if err := Accept(ctx, db, users[dq.author], q.ID, acceptID); err != nil {
			return fmt.Errorf("accept: %w", err)
		}
		rep.Accepted++
	}
	return nil
}

func seedDemoAnswer(ctx context.Context, db *gorm.DB, author *User, questionID int64, ext string, da demoAnswer, asked, now time.Time) (int64, bool, error) {
	var p Post
	err := db.WithContext(ctx).Where("external_id = ?", ext).Take(&p).Error
	if err == nil {
		return p.ID, false, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, false, err
	}
	at := asked.Add(da.after)
	if at.After(now) {
		at = now.Add(-time.Minute)
	}
	created, err := Answer(ctx, db, author, questionID, AnswerInput{Body: demoMarkdown.Replace(da.body), ExternalID: ext, CreatedAt: at})
	if err != nil {
		return 0, false, fmt.Errorf("answer by %s: %w", author.Handle, err)
	}
	return created.ID, true, nil
}

// demoQuestions is the demo forum. Ages are relative to the moment of
// seeding, so "asked 3 hours ago" and "waiting 26 hours" read naturally.
var demoQuestions = []demoQuestion{
	{
		board: "laserjet", author: "sam", age: 21 * day,
		title: "LaserJet Pro M404 shows error E-301 after firmware update 4.2.1",
		tags:  []string{"laserjet", "firmware", "e-301"},
		body: `Since last night's automatic update the printer stops after warming up and the panel shows **E-301**.

What I tried:

1. Switched it off and on again (twice)
2. Removed and re-seated the toner cartridge
3. Printed from another laptop: same error

The status page says:

~~~
Firmware datecode: 20240611
Firmware version:  4.2.1
Engine status:     E-301 fuser error
~~~

Is this the update or is my fuser dying?`,
		answers: []demoAnswer{
			{"mira", 3 * hour, `E-301 right after 4.2.1 is almost always the update, not the fuser. The new firmware checks the fuser temperature sooner after power-on.

Roll back until the fix ships:

1. Download firmware **4.1.9** from the support site
2. Open the printer's web page, go to *General → Firmware Upgrade*
3. Tick *Allow downgrade* and upload the file

~~~
Settings → General → Firmware Upgrade → Allow downgrade: On
~~~

Turn off automatic updates for now (´Settings → Web Services → Update printer´).`},
			{"ravi", 26 * hour, `Hi Sam, I work on the LaserJet team. We have confirmed the issue with 4.2.1 on the M404 and M405. Firmware **4.2.2**, which fixes it, is rolling out this week. Mira's rollback is safe in the meantime.`},
		},
		accept: 1,
	},
	{
		board: "laserjet", author: "lena", age: 14 * day,
		title: "Printer prints blank pages after replacing the toner",
		tags:  []string{"laserjet", "toner"},
		body: `I put in a brand new 58A cartridge and now every page comes out completely blank. The old cartridge was printing fine until it ran out.

Printer: LaserJet Pro M428fdw. The panel shows no errors.`,
		answers: []demoAnswer{
			{"mira", 40 * time.Minute, `Check the cartridge for the orange **sealing tape**. It runs along the side and must be pulled out completely; without that the drum gets no toner at all, so the pages are perfectly blank.`},
			{"sam", 5 * hour, `Same happened to me last year. It was the tape, it's easy to miss because it looks like part of the plastic.`},
		},
		accept: 1,
	},
	{
		board: "laserjet", author: "priya", age: 9 * day,
		title: "प्रिंटर वाई-फ़ाई से कनेक्ट नहीं हो रहा है",
		tags:  []string{"laserjet", "wi-fi", "हिंदी"},
		body: `मैंने नया राउटर लगाया है और तब से मेरा प्रिंटर वाई-फ़ाई से कनेक्ट नहीं हो रहा।

- प्रिंटर: LaserJet M234sdw
- राउटर: 2.4 GHz और 5 GHz दोनों चालू हैं
- पासवर्ड सही डाला है

कृपया मदद करें।`,
		answers: []demoAnswer{
			{"ravi", 2 * hour, `नमस्ते प्रिया जी! यह प्रिंटर केवल **2.4 GHz** नेटवर्क से जुड़ता है। ये कदम आज़माएँ:

1. राउटर की सेटिंग में 2.4 GHz नेटवर्क का अलग नाम (SSID) रखें
2. प्रिंटर पर *वायरलेस → सेटअप विज़ार्ड* चुनें
3. 2.4 GHz वाला नेटवर्क चुनकर पासवर्ड डालें

अगर फिर भी न हो, तो प्रिंटर को रीसेट करें: ´सेटअप → सेवा → नेटवर्क सेटिंग्स पुनर्स्थापित करें´।`},
		},
		accept: 1,
	},
	{
		board: "laserjet", author: "anil", age: 6 * day,
		title: "ప్రింటర్‌లో పేపర్ మళ్ళీ మళ్ళీ జామ్ అవుతోంది",
		tags:  []string{"laserjet", "paper-jam", "తెలుగు"},
		body: `నా LaserJet M110we ప్రింటర్‌లో ప్రతి రెండు మూడు పేజీలకు ఒకసారి పేపర్ జామ్ అవుతోంది. ట్రేలో పేపర్ సరిగ్గానే పెట్టాను.

- పేపర్: A4, 80 gsm
- ఇది గత వారం నుండి మొదలైంది`,
		answers: []demoAnswer{
			{"ravi", 7 * hour, `నమస్కారం అనిల్ గారు! ముందుగా **పికప్ రోలర్**ను శుభ్రం చేయండి:

1. ప్రింటర్‌ను ఆఫ్ చేసి ప్లగ్ తీసేయండి
2. తడి (నీళ్ళు మాత్రమే) గుడ్డతో రోలర్‌ను తుడవండి
3. పది నిమిషాలు ఆరనివ్వండి

ఇంకా జామ్ అయితే రోలర్ అరిగిపోయి ఉండవచ్చు, మాకు తెలియజేయండి.`},
		},
	},
	{
		board: "laserjet", author: "kavya", age: 3 * hour,
		title: "Scan to email fails with 'SMTP authentication failed'",
		tags:  []string{"laserjet", "scan", "smtp"},
		body: `Scan to email stopped working on our office MFP M479fdw. The job log shows:

~~~
[scan-to-email] connecting smtp.office365.com:587 (STARTTLS)
[scan-to-email] 535 5.7.139 Authentication unsuccessful
[scan-to-email] SMTP authentication failed
~~~

Nothing changed on the printer. Did Microsoft switch something off?`,
	},
	{
		board: "laserjet", author: "sam", age: 30 * hour,
		title: "Where do I find the page count on the M404?",
		tags:  []string{"laserjet"},
		body:  `Our finance team needs the total page count for the lease report. I can't find it in the panel menus; is there a report I can print?`,
	},
	{
		board: "laptops", author: "georgi", age: 11 * day,
		title: "Лаптопът не зарежда след обновяване на BIOS",
		tags:  []string{"laptop", "bios", "battery", "български"},
		body: `След обновяване на BIOS до версия F.21 лаптопът ми (EliteBook 840 G8) спря да зарежда батерията. Индикаторът свети в бяло, но процентът стои на 43%.

Опитах:

- друго зарядно
- рестартиране
- изключване за цяла нощ`,
		answers: []demoAnswer{
			{"mira", 4 * hour, `Здравей, Георги! Това е известен проблем с F.21 и калибрирането на батерията. Направи **твърдо нулиране**:

1. Изключи лаптопа и извади зарядното
2. Задръж бутона за захранване 30 секунди
3. Включи зарядното и остави лаптопа изключен за 2 часа

Ако не помогне, в BIOS провери ´Advanced → Battery Health Manager´ и го сложи на *Maximize my battery duration*.`},
		},
		accept: 1,
	},
	{
		board: "laptops", author: "kavya", age: 8 * day,
		title: "மடிக்கணினி பேட்டரி மிக வேகமாக தீர்ந்துவிடுகிறது",
		tags:  []string{"laptop", "battery", "தமிழ்"},
		body: `புதிய மடிக்கணினி வாங்கி இரண்டு மாதங்கள் ஆகின்றன. முழு சார்ஜ் செய்தாலும் இரண்டு மணி நேரத்தில் பேட்டரி தீர்ந்துவிடுகிறது.

- Windows 11
- திரை பிரகாசம் 50%`,
		answers: []demoAnswer{
			{"ravi", 5 * hour, `Hi Kavya, let's see what is using the battery. Open a terminal as administrator and run:

~~~
powercfg /batteryreport /output C:\battery-report.html
powercfg /sleepstudy
~~~

Compare *Design capacity* with *Full charge capacity* in the report. If the full charge capacity is below 80% on a two-month-old laptop, the battery is covered by warranty; reply here and I'll open a case for you.`},
			{"mira", 9 * hour, `Also check *Settings → System → Power & battery → Battery usage per app*. Teams and browsers with many tabs are the usual suspects.`},
		},
		accept: 1,
	},
	{
		board: "laptops", author: "lena", age: 5 * day,
		title: "Laptop fan runs at full speed even when idle",
		tags:  []string{"laptop", "fan", "thermal"},
		body: `My ProBook 450 G9 fan spins at full speed all the time, even right after boot with nothing open. Task Manager shows CPU at 2–3%.

Is it dust, or a driver problem?`,
		answers: []demoAnswer{
			{"sam", 2 * hour, `Mine did that until I cleaned the vents with compressed air. Worth a try before anything else.`},
			{"mira", 6 * hour, `If it happens straight after boot it is usually the thermal policy, not dust. Update the **BIOS** and the *Intel Dynamic Tuning* driver, then in BIOS set:

~~~
Advanced → Power Management Options → Fan Always on while on AC Power: Disabled
~~~`},
		},
		accept: 2,
	},
	{
		board: "laptops", author: "sam", age: 2 * day,
		title: "External monitor flickers over the USB-C dock",
		tags:  []string{"laptop", "dock", "usb-c", "display"},
		body:  `Two 27" monitors on a USB-C dock G5. The left one flickers black every few minutes; the right one is fine. Swapping cables moves the problem to the other monitor, so it follows the port.`,
		answers: []demoAnswer{
			{"ravi", 20 * hour, `Please update the dock firmware (the *Dock G5 Firmware Installer*, version **1.0.18** or later) and the graphics driver. The flicker on DisplayPort 2 of the G5 is fixed in 1.0.18.`},
		},
	},
	{
		board: "laptops", author: "priya", age: 7 * hour,
		title: "Keyboard backlight stopped working after Windows update",
		tags:  []string{"laptop", "keyboard", "windows-11"},
		body:  `After KB5039212 the keyboard backlight no longer turns on; F5 shows the backlight icon on screen but nothing lights up.`,
	},
	{
		board: "laptops", author: "georgi", age: 4 * day,
		title: "How do I check the warranty status from the serial number?",
		tags:  []string{"laptop", "warranty"},
		body:  `I bought a used laptop and want to know whether it is still under warranty. Where do I enter the serial number?`,
		answers: []demoAnswer{
			{"ravi", 3 * hour, `Go to the support site, choose **Check warranty** and enter the serial number from the sticker under the laptop (or run ´wmic bios get serialnumber´ in a terminal). Warranties move with the device, so a used laptop keeps whatever is left.`},
		},
		accept: 1,
	},
	{
		board: "laptops", author: "lena", age: 90 * time.Minute,
		title: "Touchpad gestures not working on Ubuntu 24.04",
		tags:  []string{"laptop", "linux", "touchpad"},
		body: `Two-finger scrolling works but three-finger gestures do nothing on my Envy x360. ´libinput´ sees the device:

~~~
$ sudo libinput list-devices | grep -A2 Touchpad
Device:           SYNA30B7:00 06CB:CE08 Touchpad
Kernel:           /dev/input/event7
Capabilities:     pointer gesture
~~~

Anything else I should check?`,
	},
	{
		board: "wifi", author: "sam", age: 18 * day,
		title: "Wi-Fi drops every few minutes on 5 GHz only",
		tags:  []string{"wi-fi", "5ghz", "windows-11"},
		body: `On 5 GHz my laptop disconnects every 3–5 minutes and reconnects after a few seconds. On 2.4 GHz it is stable but slow.

~~~
> netsh wlan show interfaces
    Radio type    : 802.11ax
    Channel       : 100
    Signal        : 86%
~~~`,
		answers: []demoAnswer{
			{"mira", 90 * time.Minute, `Channel **100** is a DFS channel: the router must leave it whenever it hears weather radar, and your laptop gets kicked off each time. Pin the 5 GHz radio to a non-DFS channel (36–48) in the router settings.`},
			{"lena", 8 * hour, `Had the same with a mesh system; moving to channel 44 fixed it for me too.`},
		},
		accept: 1,
	},
	{
		board: "wifi", author: "anil", age: 12 * day,
		title: "Mesh router firmware 2.0.7 broke port forwarding",
		tags:  []string{"wi-fi", "mesh", "firmware"},
		body: `After updating to 2.0.7, port forwarding rules still show in the app but no traffic arrives. Rolling back isn't offered in the app.

Rules I have:

| service | external | internal |
| --- | --- | --- |
| NAS | 443 | 192.168.1.20:443 |
| game | 3074 | 192.168.1.31:3074 |`,
		answers: []demoAnswer{
			{"ivan", 6 * hour, `Moved this from Account & billing to Wi-Fi & networking, where the router team reads.`},
			{"ravi", 30 * hour, `Thanks for the detailed report, Anil. This is a known regression in 2.0.7 and **2.0.8** fixes it; it is available now under *App → Settings → Firmware → Check now*.`},
		},
		accept: 2,
	},
	{
		board: "wifi", author: "lena", age: 52 * hour,
		title: "Printer and laptop can't see each other on the guest network",
		tags:  []string{"wi-fi", "guest-network", "laserjet"},
		body:  `Our home office uses the guest network for work devices. The laptop can't find the printer, although both are connected to the same guest SSID. On the main network everything works.`,
	},
	{
		board: "wifi", author: "kavya", age: 10 * day,
		title: "Ethernet adapter shows 'Limited connectivity'",
		tags:  []string{"ethernet", "windows-11"},
		body: `Wired connection at the office shows *Limited connectivity*; Wi-Fi on the same laptop works.

~~~
> ipconfig
   Autoconfiguration IPv4 Address. . : 169.254.23.7
~~~`,
		answers: []demoAnswer{
			{"sam", 4 * hour, `A 169.254.x.x address means the laptop never got an answer from DHCP. Try another cable and port first, then run ´ipconfig /release´ and ´ipconfig /renew´.`},
		},
	},
	{
		board: "wifi", author: "priya", age: 5 * day,
		title: "राउटर रीस्टार्ट करने के बाद इंटरनेट बहुत धीमा है",
		tags:  []string{"wi-fi", "router", "हिंदी"},
		body:  "कल राउटर रीस्टार्ट करने के बाद से इंटरनेट की स्पीड 100 Mbps से घटकर 8 Mbps रह गई है। केबल से जोड़ने पर भी यही स्पीड आती है।",
	},
	{
		board: "account", author: "lena", age: 16 * day,
		title: "Charged twice for the extended warranty",
		tags:  []string{"billing", "warranty", "refund"},
		body:  `I bought a 3-year Care Pack for my laptop and my card was charged twice on the same day. How do I get the second charge refunded?`,
		answers: []demoAnswer{
			{"ravi", 2 * hour, `Sorry about that, Lena. Please **don't post card or order details here**. I've sent you a private message so we can look up the order; the duplicate charge will be refunded within 5 business days.`},
		},
		accept: 1,
	},
	{
		board: "account", author: "sam", age: 7 * day,
		title: "How do I change the email address on my account?",
		tags:  []string{"account", "email"},
		body:  `I'm leaving my job and need to move my account from my work email to a personal one without losing my registered products.`,
		answers: []demoAnswer{
			{"ivan", 50 * time.Minute, `You can do it yourself:

1. Sign in and open **Profile → Account settings**
2. Choose *Change email* and enter the new address
3. Confirm with the link sent to the new address

Registered products, cases and your forum points stay with the account.`},
		},
		accept: 1,
	},
	{
		board: "account", author: "georgi", age: 3 * day,
		title: "Invoice download link returns 404",
		tags:  []string{"billing", "invoice"},
		body:  `On the order history page, clicking *Download invoice* opens a page that says "404 Not Found". Happens in Firefox and Chrome.`,
		answers: []demoAnswer{
			{"ravi", 9 * hour, `Thanks, Georgi; the team has found it. Invoices for orders placed before March point at the old archive. A fix is being deployed; until then I can email you the PDF if you send me a private message.`},
		},
	},
	{
		board: "account", author: "anil", age: 26 * hour,
		title: "నా ఖాతా పాస్‌వర్డ్ రీసెట్ ఇమెయిల్ రావడం లేదు",
		tags:  []string{"account", "password", "తెలుగు"},
		body:  "పాస్‌వర్డ్ మర్చిపోయాను. \"రీసెట్\" నొక్కినా ఇమెయిల్ రావడం లేదు. స్పామ్ ఫోల్డర్ కూడా చూశాను.",
	},
	{
		board: "early-access", author: "ada", age: 20 * day,
		title: "Preview: LaserJet firmware 5.0 beta, what to test",
		tags:  []string{"beta", "firmware", "laserjet"},
		body: `Thank you for joining the early access program! Firmware **5.0 beta 2** is available for the M404/M428 family.

Please focus on:

- duplex printing on A5 and envelopes
- scan to email with OAuth (Microsoft 365 and Gmail)
- waking from deep sleep over Wi-Fi

Report each problem as its own question on this board with the tag ´beta´. Please don't share the firmware outside the program.`,
		answers: []demoAnswer{
			{"mira", 2 * day, `Installed on two M428fdw. Scan to email with Microsoft 365 OAuth works, finally! Deep sleep wake over Wi-Fi takes ~40 s, same as 4.x.`},
		},
	},
	{
		board: "early-access", author: "mira", age: 9 * day,
		title: "Beta 5.0: duplex unit reports E-410 on A5 paper",
		tags:  []string{"beta", "duplex", "e-410"},
		body: `Duplex on A5 fails every time with **E-410** on beta 2. Steps:

1. Load A5 in tray 1, set paper size in the driver
2. Print a 4-page PDF two-sided
3. The second sheet stops half way out; panel shows E-410

Simplex A5 and duplex A4 work.`,
		answers: []demoAnswer{
			{"ravi", 20 * hour, `Reproduced in the lab, thanks Mira. Tracked internally; the fix is in beta 3, due next week.`},
		},
		accept: 1,
	},
	{
		board: "early-access", author: "ravi", age: 4 * hour,
		title: "Feedback wanted: the new support assistant in the printer app",
		tags:  []string{"beta", "app"},
		body:  `The next app release adds a support assistant that suggests forum answers for error codes. Experts, please try it and tell us where its suggestions are wrong.`,
	},
}
