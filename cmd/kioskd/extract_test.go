package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cpckiosk/printer/emulator"
	"cpckiosk/printer/escpos"
	"cpckiosk/printer/extract"
)

// The CUPS queue .ci/run makes for this test: its device writes each job to
// a file (printer/cups/testdata/setup-cups.sh).
const (
	cupsQueue = "cpc-kioskd"
	cupsOut   = "/tmp/cpc-cups/kioskd.pdf"
)

// TestExtractPrintedOnA4: an extract asked for with a receipt's number and
// access code comes out of a real CUPS queue as a PDF that verifies against
// the kiosk's own key.
func TestExtractPrintedOnA4(t *testing.T) {
	if out, err := exec.Command("lpstat", "-p", cupsQueue).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CUPS queue %s missing in CI: %v %s", cupsQueue, err, out)
		}
		t.Skipf("no CUPS queue %s (run printer/cups/testdata/setup-cups.sh as root)", cupsQueue)
	}
	dir := t.TempDir()
	p := startArgs(t, dir, "-a4-queue", cupsQueue)
	code, body, err := post(p.URL+"/api/v1/reports", reportBody("a4"))
	if err != nil || code != 201 {
		t.Fatalf("%d %s %v", code, body, err)
	}
	var c created
	json.Unmarshal(body, &c)
	os.Remove(cupsOut)
	code, body, err = post(p.URL+"/api/v1/reports/"+c.Number+"/extract/print", `{"access_code":"`+c.AccessCode+`","lang":"ru"}`)
	if err != nil || code != 200 {
		t.Fatalf("%d %s %v\n%s", code, body, err, p.Stderr())
	}
	var reply struct {
		DocumentID   string `json:"document_id"`
		Printer, Job string
	}
	json.Unmarshal(body, &reply)
	if reply.Printer != "a4" || reply.Job == "" || reply.DocumentID == "" {
		t.Fatalf("reply %s", body)
	}
	var pdf []byte
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		pdf, _ = os.ReadFile(cupsOut)
		if len(pdf) > 0 && strings.HasSuffix(strings.TrimSpace(string(pdf)), "%%EOF") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CUPS never wrote the extract to %s", cupsOut)
		}
	}
	anchors, err := extract.LoadAnchors(dir)
	if err != nil {
		t.Fatal(err)
	}
	facts, content, err := extract.VerifyPDF(pdf, anchors)
	if err != nil {
		t.Fatalf("the printed extract does not verify: %v", err)
	}
	if facts.Number != c.Number || facts.DocumentID != reply.DocumentID || content.Lang != "ru" {
		t.Fatalf("facts %+v lang %s", facts, content.Lang)
	}
}

// TestExtractShortFormOnReceiptPrinter: without an A4 printer the extract
// comes out of the receipt printer in its short form; with neither printer
// the kiosk says so instead of pretending.
func TestExtractShortFormOnReceiptPrinter(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir) // -printer sim, no A4 queue
	code, body, _ := post(p.URL+"/api/v1/reports", reportBody("short"))
	var c created
	json.Unmarshal(body, &c)
	code, body, _ = post(p.URL+"/api/v1/reports/"+c.Number+"/extract/print", `{"access_code":"`+c.AccessCode+`"}`)
	var reply struct {
		DocumentID   string `json:"document_id"`
		Printer, Job string
	}
	json.Unmarshal(body, &reply)
	if code != 200 || reply.Printer != "receipt" {
		t.Fatalf("short form: %d %s\n%s", code, body, p.Stderr())
	}
	bin, err := os.ReadFile(filepath.Join(dir, "printer", reply.Job+".bin"))
	if err != nil {
		t.Fatal(err)
	}
	prof, _ := escpos.LookupProfile("generic-80")
	emu := emulator.Render(prof, bin)
	text := strings.Join(emu.Text(), "\n")
	if !strings.Contains(text, c.Number) || len(emu.Errors()) > 0 {
		t.Fatalf("short form text lacks the number or has errors %v:\n%s", emu.Errors(), text)
	}

	p2 := startArgs(t, filepath.Join(t.TempDir(), "d"), "-printer", "none")
	code, body, _ = post(p2.URL+"/api/v1/reports", reportBody("b"))
	json.Unmarshal(body, &c)
	code, body, _ = post(p2.URL+"/api/v1/reports/"+c.Number+"/extract/print", `{"access_code":"`+c.AccessCode+`"}`)
	if code != 503 || !strings.Contains(string(body), "printer_unavailable") {
		t.Fatalf("no printer at all: %d %s", code, body)
	}
}
