package models

// The words SeedLarge builds its forum from. Titles are filled in per
// question; bodies are rendered once each and shared by many posts.

var products = map[string][]string{
	"laserjet": {"LaserJet Pro M404dn", "LaserJet Pro M428fdw", "LaserJet M110we", "LaserJet MFP M234sdw", "LaserJet Enterprise M507", "Color LaserJet Pro M479fdw"},
	"laptops":  {"EliteBook 840 G8", "ProBook 450 G9", "Envy x360 13", "Spectre x360 14", "Pavilion 15", "ZBook Firefly 14"},
	"wifi":     {"mesh router AX3000", "Wi-Fi 6 adapter", "travel router N300", "mesh node AX1800", "powerline kit AV1000"},
	"account":  {"online store account", "Care Pack", "subscription plan", "order", "invoice"},
	"desktops": {"ProDesk 400 G7", "EliteDesk 800 G6", "Pavilion Desktop TP01", "OMEN 25L", "All-in-One 24"},
	"monitors": {"E24 G5 monitor", "Z27k G3 display", "M27fw monitor", "OMEN 27i", "P24h G4"},
	"scanners": {"ScanJet Pro 2600 f1", "ScanJet Enterprise Flow N7000", "ScanJet 3000 s4"},
	"docks":    {"USB-C Dock G5", "Thunderbolt Dock G4", "wireless keyboard 975", "USB-C travel hub", "headset 500"},
}

var oses = []string{"Windows 11", "Windows 10", "macOS 14", "Ubuntu 24.04", "ChromeOS", "Android 14", "iOS 17"}

var largeTitles = []string{
	"{product} shows error {code} after firmware update {version}",
	"{product} stops working after upgrading to {os}",
	"{product} not detected on {os}",
	"How do I reset {product} to factory settings?",
	"{product} keeps disconnecting every few minutes",
	"Error {code} when installing the driver {version} for {product}",
	"{product} is very slow since update {version}",
	"Is {product} compatible with {os}?",
	"{product} makes a clicking noise and shows {code}",
	"Warranty claim for {product}: what do I need?",
	"{product} does not wake from sleep on {os}",
	"Cannot sign in to the app for {product} (error {code})",
	"Where can I download drivers for {product} on {os}?",
	"{product} overheats under light load",
	"Firmware {version} for {product} fails with {code}",
}

var largeQuestionBodies = []string{
	`It worked fine until yesterday. Now it fails every time.

What I tried:

1. Restarted the device and the computer
2. Reinstalled the driver from the support site
3. Tried another cable and another USB port

The log shows:

~~~
[2024-06-11 08:14:02] device enumeration failed: timeout
[2024-06-11 08:14:02] retrying (1/3)
~~~

Any idea what else I can try?`,
	`Since the last automatic update the device is unusable. The panel shows the error for a second and then restarts.

- I have not changed any settings
- Other devices on the same network work
- The problem also happens in safe mode`,
	`I bought it three weeks ago. Is this a known issue, or should I send it in for repair? The serial number starts with **CND**.`,
	`Steps to reproduce:

1. Turn the device on
2. Wait for the start-up to finish
3. Open the app and choose *Settings*

Expected: the settings page. Actual: the app closes without a message. Reinstalling did not help.`,
	`Our office has six of these and only one has the problem. Same firmware on all of them, same network, same drivers. Could it be the hardware?`,
	`The support assistant suggested resetting the network settings, which I did, but nothing changed. Output of the diagnostics:

~~~
Diagnostics: FAILED
  connectivity ....... ok
  firmware ........... ok
  self-test .......... failed (code 0x1F)
~~~`,
	`Quick question: is there a way to do this without installing the full software suite? I only need the basic driver, and the suite keeps asking for an account.`,
	`This started after a power cut. The device turns on, the fans spin, but it never gets past the logo. I can hear two short beeps, then one long.`,
	`I followed the guide in the manual but step 4 does not match what I see: there is no *Advanced* menu on my model. Did the menu move in newer firmware?`,
	`Windows Event Viewer shows this every few minutes:

~~~
Source: Kernel-PnP
Event ID: 219
The driver \Driver\WudfRd failed to load for the device.
~~~

Is the driver broken or is this harmless?`,
	`Bought refurbished from the online store. The battery health shows 71% and it drains in about an hour. Is this covered by the refurbished warranty?`,
	`Same issue as several other threads, but none of the fixes worked for me. Happy to send logs if someone from support needs them.`,
}

var largeAnswerBodies = []string{
	`This is a known issue with that firmware. Roll back to the previous version:

1. Download the older firmware from the support site
2. Open the device's web page, *General → Firmware Upgrade*
3. Allow the downgrade and upload the file

Then turn off automatic updates until the fix is out.`,
	`Try a full power reset: unplug it, hold the power button for 30 seconds, wait a minute and plug it back in. That clears most of these errors.`,
	`Had exactly the same problem. Updating the driver to the latest version from the support site fixed it for me; the one Windows Update installs is older.`,
	`Please run the diagnostics tool and post the result here:

~~~
diagnostics --full --export report.txt
~~~

The section *self-test* tells us whether it is hardware or software.`,
	`That beep pattern means the memory is not detected. Reseat the memory module (or try one module at a time). If it still beeps, it needs a repair; it is covered by the warranty.`,
	`You don't need the full suite. Choose **Basic driver** on the download page; it is about 20 MB and asks for no account.`,
	`I work on the support team: we have reproduced this and a fix is planned for the next firmware release. Until then, the workaround above is safe to use.`,
	`Check the power settings: *Settings → System → Power → Advanced*, and turn off **USB selective suspend**. Many disconnect issues come from Windows turning the port off to save power.`,
	`The menu moved in newer firmware: it is under *Settings → System → Service* now. The manual on the site was updated last month.`,
	`That event is harmless: it is logged when the device is enumerated before its driver is ready. If the device works, ignore it.`,
	`Thanks, this worked for me too!`,
	`For warranty questions please don't post your serial number publicly. Send a private message to one of the staff, or open a case on the support site.`,
}

// largeTagNames is the tag pool; drawTags favours the first names.
func largeTagNames() []string {
	return []string{
		"firmware", "driver", "windows-11", "wi-fi", "battery", "printing", "laserjet", "setup", "error-code",
		"warranty", "bios", "display", "usb-c", "scan", "network", "update", "macos", "linux", "bluetooth",
		"audio", "keyboard", "touchpad", "dock", "monitor", "paper-jam", "toner", "ink", "duplex", "fax",
		"router", "mesh", "ethernet", "5ghz", "vpn", "billing", "invoice", "refund", "account", "password",
		"subscription", "app", "mobile", "android", "ios", "chromeos", "ubuntu", "windows-10", "performance",
		"overheating", "fan", "noise", "sleep", "hibernate", "boot", "recovery", "reset", "security",
		"encryption", "camera", "microphone", "hdmi", "displayport", "thunderbolt", "charging", "adapter",
		"storage", "ssd", "memory", "gpu", "drivers", "installation", "compatibility", "repair", "shipping",
		"replacement", "refurbished", "business", "fleet", "deployment", "policy", "smtp", "scan-to-email",
		"cloud", "remote", "sharing", "permissions",
	}
}

var firstNames = []string{
	"Aarav", "Aditi", "Ana", "Anil", "Ben", "Carla", "Chen", "Deepa", "Dmitri", "Elena", "Emma", "Farah",
	"Georgi", "Hana", "Ivan", "Jonas", "Kavya", "Lakshmi", "Lena", "Luca", "Maria", "Mei", "Mira", "Nadia",
	"Noah", "Olga", "Priya", "Rahul", "Ravi", "Rosa", "Sam", "Sara", "Sofia", "Tariq", "Tom", "Vijay", "Yuki",
}

var lastNames = []string{
	"Ahmed", "Becker", "Costa", "Dimitrov", "Fischer", "Garcia", "Gupta", "Ivanova", "Kim", "Kumar", "Lee",
	"Martin", "Nair", "Novak", "Okafor", "Petrova", "Raman", "Reddy", "Rossi", "Sharma", "Silva", "Tanaka",
	"Wang", "Yilmaz",
}
