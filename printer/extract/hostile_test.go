package extract

import (
	"strings"
	"testing"
	"unicode"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Қурбонов", "Қурбонов"},
		{"и\u0304 у\u0304", "ӣ ӯ"}, // decomposed Tajik letters
		{"a\u202Eabc\u202C d\u2067e\u2069", "aabc de"},
		{"\u200Bzero\u200Dwidth\uFEFF", "zerowidth"},
		{"bell\a nul\x00 esc\x1b[31m del\x7f c1\u0085", "bell nul esc[31m del c1"},
		{"tab\there\r\nline\u2028sep", "tab here \nline\nsep"},
		{"em\u2003space", "em space"},
		{"😀 中 ש ع", "\uFFFD \uFFFD \uFFFD \uFFFD"},
		{"👨\u200D👩\u200D👧", "\uFFFD\uFFFD\uFFFD"},
		{"x\u0352", "x\uFFFD"}, // combining mark without a precomposed form
		{"(\\) % № — «»", "(\\) % № — «»"},
	} {
		if got := clean(tc.in); got != tc.want {
			t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestRenderHostileText puts hostile text in every free-text field and
// checks what pdftotext gives back: no control or bidi characters, U+FFFD
// where the fonts lack a glyph, the rest of the document intact, and a file
// that still verifies.
func TestRenderHostileText(t *testing.T) {
	cases := map[string]string{
		"rtl override":       "Али\u202Eвеш\u202C Раҳимов \u2067ابج\u2069",
		"control characters": "сатр\x00\x07\x1b[2J\x7f\u0085поён",
		"emoji and cjk":      "😀 дуздӣ 🇹🇯 中文 👨\u200D👩\u200D👧",
		"pdf syntax":         ") Tj ET BT (x) Tj \\) \\\\ endstream endobj %%EOF",
		"only emoji":         strings.Repeat("😀", 200),
		"long words":         strings.Repeat("Ҷ", 3000),
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			e := sample("tg")
			e.Incident.Description = text
			e.Incident.Place = text
			e.Reporter.FullName = text
			e.History[2].Note = text
			pdf, signed := render(t, e, deviceSigner(t))
			out := pdfText(t, pdf)
			for _, r := range out {
				if r != '\n' && r != '\f' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
					t.Errorf("extracted text has %U", r)
				}
				if r > 0xFFFF || unicode.Is(unicode.Han, r) || unicode.Is(unicode.Arabic, r) {
					t.Errorf("extracted text has %q, which the fonts lack", r)
				}
			}
			flat := strings.Join(strings.Fields(out), " ")
			for _, w := range []string{"ИҚТИБОС", "ISF1-26-000123-4", signed.Code, "Саҳифаи 1 аз"} {
				if !strings.Contains(flat, w) {
					t.Errorf("text lacks %q", w)
				}
			}
			want := strings.Fields(clean(text))
			if len(want) > 0 && len(want[0]) < 40 && !strings.Contains(flat, want[0]) {
				t.Errorf("text lacks %q (the cleaned field)", want[0])
			}
			if strings.ContainsRune(text, '😀') && !strings.ContainsRune(out, '\uFFFD') {
				t.Error("no replacement character for the emoji")
			}
			f, got, err := VerifyPDF(pdf, Anchors{pub(testKey("central"))})
			if err != nil {
				t.Fatal(err)
			}
			if got.Incident.Description != text || f.Number != e.Number {
				t.Error("the signed content does not keep the text as given")
			}
		})
	}
}
