package kiosk

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, Zone)

func validReport() NewReport {
	return NewReport{
		Category: "theft", Lang: "tg",
		Reporter: Reporter{FullName: "Ҷамшед Қодиров", Phone: "+992 93 123-45-67"},
		Incident: Incident{Place: "Истаравшан, бозори марказӣ", Description: "Велосипедамро дуздиданд.\nДирӯз соати 18."},
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*NewReport)
		field  string // "" = valid
		code   string
	}{
		{"valid", func(*NewReport) {}, "", ""},
		{"anonymous tip without details", func(n *NewReport) { n.Anonymous = true; n.Reporter = Reporter{} }, "", ""},
		{"default language", func(n *NewReport) { n.Lang = "" }, "", ""},
		{"occurred at", func(n *NewReport) { n.Incident.OccurredAt = "2026-02-28T18:00:00+05:00" }, "", ""},
		{"missing category", func(n *NewReport) { n.Category = "" }, "category", "required"},
		{"unknown category", func(n *NewReport) { n.Category = "murder?" }, "category", "invalid"},
		{"unknown language", func(n *NewReport) { n.Lang = "de" }, "lang", "invalid"},
		{"missing name", func(n *NewReport) { n.Reporter.FullName = "  " }, "reporter.full_name", "required"},
		{"missing phone", func(n *NewReport) { n.Reporter.Phone = "" }, "reporter.phone", "required"},
		{"bad phone", func(n *NewReport) { n.Reporter.Phone = "call me" }, "reporter.phone", "invalid"},
		{"short phone", func(n *NewReport) { n.Reporter.Phone = "12345" }, "reporter.phone", "invalid"},
		{"10000-character name", func(n *NewReport) { n.Reporter.FullName = strings.Repeat("Ҷ", 10000) }, "reporter.full_name", "too_long"},
		{"control character in name", func(n *NewReport) { n.Reporter.FullName = "Ali\x1b[2J" }, "reporter.full_name", "control_character"},
		{"newline in name", func(n *NewReport) { n.Reporter.FullName = "Ali\nVali" }, "reporter.full_name", "control_character"},
		{"C1 control", func(n *NewReport) { n.Incident.Place = "a\u0085b" }, "incident.place", "control_character"},
		{"bidi override", func(n *NewReport) { n.Incident.Description = "abc\u202edef" }, "incident.description", "control_character"},
		{"NUL in description", func(n *NewReport) { n.Incident.Description = "a\x00b" }, "incident.description", "control_character"},
		{"invalid UTF-8", func(n *NewReport) { n.Reporter.Address = "a\xffb" }, "reporter.address", "invalid_utf8"},
		{"replacement character", func(n *NewReport) { n.Reporter.Address = "a\ufffdb" }, "reporter.address", "control_character"},
		{"empty description", func(n *NewReport) { n.Incident.Description = " \n " }, "incident.description", "required"},
		{"5001-character description", func(n *NewReport) { n.Incident.Description = strings.Repeat("а", 5001) }, "incident.description", "too_long"},
		{"anonymous with a name", func(n *NewReport) { n.Anonymous = true }, "reporter", "not_allowed"},
		{"bad date", func(n *NewReport) { n.Incident.OccurredAt = "yesterday" }, "incident.occurred_at", "invalid"},
		{"future date", func(n *NewReport) { n.Incident.OccurredAt = "2027-01-01T00:00:00Z" }, "incident.occurred_at", "in_future"},
		{"bad id number", func(n *NewReport) { n.Reporter.IDNumber = "A<script>" }, "reporter.id_number", "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := validReport()
			tc.mutate(&n)
			err := n.Validate(now)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, want a ValidationError on %s", err, tc.field)
			}
			for _, f := range ve.Fields {
				if f.Field == tc.field && f.Code == tc.code {
					return
				}
			}
			t.Fatalf("got %v, want %s/%s", ve.Fields, tc.field, tc.code)
		})
	}
}

func TestValidateNormalises(t *testing.T) {
	n := validReport()
	n.Lang = ""
	n.Reporter.FullName = "  Ҷамшед Қодиров  "
	n.Incident.Description = "line one\r\nline two"
	if err := n.Validate(now); err != nil {
		t.Fatal(err)
	}
	if n.Lang != "tg" || n.Reporter.FullName != "Ҷамшед Қодиров" || n.Reporter.Phone != "+992931234567" ||
		n.Incident.Description != "line one\nline two" {
		t.Fatalf("not normalised: %+v", n)
	}
}

func TestTransitions(t *testing.T) {
	for _, tc := range []struct {
		from, to Status
		d        Decision
		ok       bool
	}{
		{StatusReceived, StatusRelayed, "", true},
		{StatusRelayed, StatusRegistered, "", true},
		{StatusReceived, StatusUnderReview, "", true}, // the central may skip steps
		{StatusUnderReview, StatusDecided, DecisionCaseOpened, true},
		{StatusDecided, StatusClosed, "", true},
		{StatusUnderReview, StatusDecided, "", false},           // a decision needs its outcome
		{StatusRegistered, StatusUnderReview, "refused", false}, // an outcome needs a decision
		{StatusUnderReview, StatusDecided, "maybe", false},
		{StatusClosed, StatusReceived, "", false}, // closed is final
		{StatusRegistered, StatusRelayed, "", false},
		{StatusRelayed, StatusRelayed, "", false},
		{StatusReceived, "lost", "", false},
	} {
		r := &Report{Status: tc.from}
		err := r.Transition(tc.to, tc.d, "n", now)
		if tc.ok != (err == nil) {
			t.Errorf("%s -> %s (%q): err = %v, want ok=%v", tc.from, tc.to, tc.d, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrTransition) {
			t.Errorf("%s -> %s: error %v is not ErrTransition", tc.from, tc.to, err)
		}
		if err == nil && (r.Status != tc.to || len(r.History) != 1 || r.History[0].Status != tc.to) {
			t.Errorf("%s -> %s: report not updated: %+v", tc.from, tc.to, r)
		}
		if err != nil && (r.Status != tc.from || len(r.History) != 0) {
			t.Errorf("%s -> %s: refused transition changed the report: %+v", tc.from, tc.to, r)
		}
	}
}
