package receipt

import (
	"testing"

	"cpckiosk/printer/escpos"
)

// BenchmarkReceiptTajik: the standard Tajik receipt as text (code page +
// user-defined characters + native QR) and as a full raster rendering.
// Reports bytes on the wire and the line time at 9600 and 115200 baud.
func BenchmarkReceiptTajik(b *testing.B) {
	doc, err := Build(standard("tg"))
	if err != nil {
		b.Fatal(err)
	}
	for _, prof := range []string{"generic-58", "tm-t20"} {
		p := mustProfile(b, prof)
		for _, mode := range []struct {
			name string
			o    escpos.Options
		}{{"text", escpos.Options{}}, {"raster", escpos.Options{ForceRaster: true}}} {
			b.Run(prof+"/"+mode.name, func(b *testing.B) {
				var n int
				for b.Loop() {
					out, err := escpos.EncodeWith(doc, p, mode.o)
					if err != nil {
						b.Fatal(err)
					}
					n = len(out)
				}
				b.ReportMetric(float64(n), "bytes")
				b.ReportMetric(float64(n)*10/9600, "s@9600")
				b.ReportMetric(float64(n)*10/115200, "s@115200")
			})
		}
	}
}

// TestReceiptBudget pins the targets: a text receipt is at most 3 KB and
// under 3.5 s at 9600 baud on every profile and in every language.
func TestReceiptBudget(t *testing.T) {
	for _, prof := range escpos.ProfileNames() {
		for _, lang := range Langs {
			b, err := Encode(standard(lang), mustProfile(t, prof))
			if err != nil {
				t.Fatal(err)
			}
			if secs := float64(len(b)) * 10 / 9600; len(b) > 3072 || secs > 3.5 {
				t.Errorf("%s/%s: %d bytes, %.2f s at 9600", prof, lang, len(b), secs)
			}
		}
	}
}
