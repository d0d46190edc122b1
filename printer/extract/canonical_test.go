package extract

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCanonicalGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    func() *Extract
	}{
		{"full", func() *Extract { return sample("tg") }},
		{"anonymous", func() *Extract {
			e := sample("ru")
			e.Anonymous, e.Reporter, e.Incident.OccurredAt = true, nil, nil
			e.History, e.Decision, e.CaseNumber = nil, "", ""
			e.Incident.Description = `<b>"кавычки" & \ обратная черта</b>` + "\nвторая строка"
			return e
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Canonical(tc.e())
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "canonical-"+tc.name+".json", b)
			back, err := ParseCanonical(b)
			if err != nil {
				t.Fatalf("ParseCanonical of own output: %v", err)
			}
			again, _ := Canonical(back)
			if !bytes.Equal(again, b) {
				t.Fatalf("round trip changed the encoding:\n%s\n%s", b, again)
			}
		})
	}
}

func TestCanonicalIgnoresZoneAndSubseconds(t *testing.T) {
	a := sample("en")
	b := sample("en")
	b.IssuedAt = a.IssuedAt.In(Dushanbe).Add(400 * time.Millisecond)
	ca, _ := Canonical(a)
	cb, _ := Canonical(b)
	if !bytes.Equal(ca, cb) {
		t.Fatalf("same instant in another zone encodes differently:\n%s\n%s", ca, cb)
	}
}

func TestCanonicalChangesWithEveryField(t *testing.T) {
	base, _ := Canonical(sample("tg"))
	for name, mut := range map[string]func(e *Extract){
		"number":      func(e *Extract) { e.Number = "ISF1-26-000124-2" },
		"issued":      func(e *Extract) { e.IssuedAt = e.IssuedAt.Add(time.Second) },
		"lang":        func(e *Extract) { e.Lang = "ru" },
		"centre":      func(e *Extract) { e.Centre += "." },
		"category":    func(e *Extract) { e.Category = "fraud" },
		"clock":       func(e *Extract) { e.ClockSynced = false },
		"reporter":    func(e *Extract) { e.Reporter.Phone = "+992 00 000 00 00" },
		"no reporter": func(e *Extract) { e.Reporter = nil },
		"occurred":    func(e *Extract) { e.Incident.OccurredAt = nil },
		"description": func(e *Extract) { e.Incident.Description += " " },
		"history":     func(e *Extract) { e.History = e.History[:4] },
		"note":        func(e *Extract) { e.History[2].Note = "" },
		"decision":    func(e *Extract) { e.Decision = "refused" },
		"case":        func(e *Extract) { e.CaseNumber = "" },
	} {
		e := sample("tg")
		mut(e)
		b, err := Canonical(e)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if bytes.Equal(b, base) {
			t.Errorf("%s: changing the field did not change the encoding", name)
		}
	}
}

func TestParseCanonicalRejects(t *testing.T) {
	good, _ := Canonical(sample("tg"))
	for name, in := range map[string]string{
		"trailing newline": string(good) + "\n",
		"spaces":           strings.Replace(string(good), `"v":1,`, `"v": 1,`, 1),
		"unknown field":    strings.Replace(string(good), `"v":1,`, `"v":1,"x":0,`, 1),
		"other version":    strings.Replace(string(good), `"v":1,`, `"v":2,`, 1),
		"zone offset":      strings.Replace(string(good), `"issued_at":"2026-03-14T10:15:42Z"`, `"issued_at":"2026-03-14T15:15:42+05:00"`, 1),
		"field order":      strings.Replace(string(good), `"lang":"tg","ministry"`, `"ministry"`, 1) + "",
		"bad category":     strings.Replace(string(good), `"category":"theft"`, `"category":"piracy"`, 1),
		"not JSON":         "CPX1:",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseCanonical([]byte(in)); err == nil {
				t.Fatalf("accepted %.120s", in)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for name, mut := range map[string]func(e *Extract){
		"uuid upper case":     func(e *Extract) { e.DocumentID = strings.ToUpper(e.DocumentID) },
		"uuid short":          func(e *Extract) { e.DocumentID = e.DocumentID[:30] },
		"number lower case":   func(e *Extract) { e.Number = strings.ToLower(e.Number) },
		"number kiosk 0":      func(e *Extract) { e.Number = "ISF0-26-000123-4" },
		"no issue time":       func(e *Extract) { e.IssuedAt = time.Time{} },
		"no creation time":    func(e *Extract) { e.CreatedAt = time.Time{} },
		"language":            func(e *Extract) { e.Lang = "de" },
		"category":            func(e *Extract) { e.Category = "Theft" },
		"decision":            func(e *Extract) { e.Decision = "acquitted" },
		"status":              func(e *Extract) { e.History[1].Status = "lost" },
		"event time":          func(e *Extract) { e.History[0].At = time.Time{} },
		"anonymous with name": func(e *Extract) { e.Anonymous = true },
		"invalid UTF-8":       func(e *Extract) { e.Incident.Place = "\xff" },
		"too long":            func(e *Extract) { e.Incident.Description = strings.Repeat("ж", maxText+1) },
	} {
		t.Run(name, func(t *testing.T) {
			e := sample("tg")
			mut(e)
			if err := e.Validate(); !errors.Is(err, ErrInvalidExtract) {
				t.Fatalf("Validate = %v, want ErrInvalidExtract", err)
			}
		})
	}
	if err := sample("tg").Validate(); err != nil {
		t.Fatalf("sample: %v", err)
	}
}
