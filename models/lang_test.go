package models

import "testing"

// TestDetectLanguage: questions in the languages the forum serves are told
// apart from their title and body; codes and versions alone say nothing.
func TestDetectLanguage(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"Printer shows E-301 after the firmware 4.2.1 update\nIt will not print anything since this morning.", "en"},
		{"La impresora muestra E-301 después de actualizar el firmware\nNo imprime nada desde esta mañana.", "es"},
		{"प्रिंटर पर E-301 दिख रहा है\nफर्मवेयर 4.2.1 के बाद से कुछ भी प्रिंट नहीं हो रहा।", "hi"},
		{"Принтерът показва E-301 след фърмуер 4.2.1\nОт сутринта не печата нищо.", "bg"},
		{"அச்சுப்பொறியில் E-301 பிழை\nகாலையிலிருந்து எதுவும் அச்சிடவில்லை.", "ta"},
		{"ప్రింటర్ E-301 లోపం చూపిస్తోంది\nఉదయం నుండి ఏమీ ప్రింట్ కావడం లేదు.", "te"},
		{"Der Drucker zeigt E-301 nach dem Update\nEr druckt seit heute Morgen nichts mehr.", "de"},
		{"E-301 4.2.1", ""},
		{"", ""},
	} {
		if got := DetectLanguage(c.text); got != c.want {
			t.Errorf("DetectLanguage(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	if err := SetLanguages([]string{"en", "xx"}); err == nil {
		t.Error("an unknown language code was accepted")
	}
	if err := SetLanguages([]string{"en", "ru"}); err != nil {
		t.Fatal(err)
	}
	defer SetLanguages(DefaultLanguages)
	if got := DetectLanguage("Принтер не печатает после обновления\nС утра ничего не печатает."); got != "ru" {
		t.Errorf("with ru configured, Russian detected as %q", got)
	}
}
