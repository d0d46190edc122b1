package extract

import (
	"strings"
	"testing"

	"cpckiosk/printer/escpos"
)

// An extract of a training record (T-series number) signs and verifies like
// any other, but says TRAINING under its title, across every page, on the
// short form, and in the verifier's answer; a real one says none of it.
func TestTrainingExtract(t *testing.T) {
	for _, training := range []bool{false, true} {
		e := sample("tg")
		if training {
			e.Number = "ISF1-26-T000001-5"
		}
		if e.Training() != training {
			t.Fatalf("Training() = %v for %s", e.Training(), e.Number)
		}
		pdf, signed, err := Render(e, deviceSigner(t), Options{})
		if err != nil {
			t.Fatal(err)
		}
		facts, _, err := VerifyPDF(pdf, Anchors{pub(testKey("central"))})
		if err != nil || facts.Number != e.Number {
			t.Fatalf("verify: %v %v", facts.Number, err)
		}
		if got := strings.Contains(pdfText(t, pdf), TrainingMark); got != training {
			t.Errorf("training=%v: PDF text has the mark: %v", training, got)
		}
		var out strings.Builder
		printFacts(&out, facts, e)
		if got := strings.Contains(out.String(), "TRAINING"); got != training {
			t.Errorf("training=%v: verifier says TRAINING: %v\n%s", training, got, out.String())
		}
		p, err := escpos.LookupProfile(escpos.ProfileNames()[0])
		if err != nil {
			t.Fatal(err)
		}
		doc, err := ShortForm(e, signed, p)
		if err != nil {
			t.Fatal(err)
		}
		b, err := escpos.Encode(doc, p)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(b), "TRAINING"); got != training {
			t.Errorf("training=%v: short form has the mark: %v", training, got)
		}
	}
	for _, n := range []string{"ISF1-26-T00001-5", "ISF1-T26-000001-5", "ISF1-26-TT00001-5"} {
		if IsTrainingNumber(n) {
			t.Errorf("%s taken for a training number", n)
		}
	}
}
