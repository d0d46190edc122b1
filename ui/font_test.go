package ui

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"cpckiosk/printer/font"
)

var update = flag.Bool("update", false, "rewrite generated files (static/font.ttf)")

// TestPageFontUpToDate: the embedded page font is exactly the subset of
// DejaVu Sans that the catalogs, templates and keyboard need.
func TestPageFontUpToDate(t *testing.T) {
	want, err := subsetFont(font.Sans, fontRunes())
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("static/font.ttf", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return // the embedded copy is the old one until the next build
	}
	got, err := staticFS.ReadFile("static/font.ttf")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("static/font.ttf is stale: the pages need letters it lacks; run go test ./ui -run TestPageFont -update")
	}
}
