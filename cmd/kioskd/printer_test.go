package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cpckiosk/printer/emulator"
	"cpckiosk/printer/escpos"
)

// TestReceiptOverSerialLine: kioskd prints each report's receipt through a
// real pseudo-terminal opened with tarm/serial, as on a board; paper running
// out leaves the report intact and the receipt queued, and it comes out,
// marked REPRINT, once paper is back.
func TestReceiptOverSerialLine(t *testing.T) {
	prof, err := escpos.LookupProfile("tm-t20")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	line, err := emulator.NewPTY(prof, filepath.Join(dir, "ttyPRINTER"))
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	defer line.Close()
	p := startArgs(t, filepath.Join(dir, "data"), "-printer", line.Path, "-printer-profile", "tm-t20", "-centre-name", "Маркази Истаравшан")

	code, body, err := post(p.URL+"/api/v1/reports", reportBody("one"))
	if err != nil || code != 201 {
		t.Fatalf("%d %s %v", code, body, err)
	}
	var r1 struct {
		created
		Receipt struct{ Status, Detail string }
	}
	json.Unmarshal(body, &r1)
	if r1.Receipt.Status != "printed" {
		t.Fatalf("receipt %+v\n%s", r1.Receipt, p.Stderr())
	}
	text := strings.Join(line.Text(), "\n")
	for _, want := range []string{r1.Number, r1.AccessCode, "Маркази Истаравшан", "ҳ"} {
		if !strings.Contains(text, want) {
			t.Fatalf("printed receipt lacks %q:\n%s", want, text)
		}
	}
	if errs := line.Errors(); len(errs) > 0 {
		t.Fatalf("the printer saw malformed commands: %v", errs)
	}

	line.SetStatus(escpos.StatusPaperOut)
	code, body, _ = post(p.URL+"/api/v1/reports", reportBody("two"))
	var r2 struct {
		created
		Receipt struct{ Status, Detail string }
	}
	json.Unmarshal(body, &r2)
	if code != 201 || r2.Receipt.Status == "printed" || !strings.Contains(r2.Receipt.Detail, "paper_out") {
		t.Fatalf("paper out: %d %s", code, body)
	}
	if code, _, _ := post(p.URL+"/api/v1/reports/"+r2.Number+"/lookup", `{"access_code":"`+r2.AccessCode+`"}`); code != 200 {
		t.Fatal("the report of a failed receipt is not there")
	}
	if h := health(t, p); h.Printer != "paper_out" || h.Receipts != 1 {
		t.Fatalf("healthz printer %q, receipts waiting %d", h.Printer, h.Receipts)
	}

	line.SetStatus(escpos.StatusOK) // a new roll
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(strings.Join(line.Text(), "\n"), r2.AccessCode) {
		if time.Now().After(deadline) {
			t.Fatalf("queued receipt never reprinted:\n%s", strings.Join(line.Text(), "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	text = strings.Join(line.Text(), "\n")
	if !strings.Contains(text[strings.Index(text, r1.Number)+1:], "НУСХАИ ТАКРОРӢ") { // "REPRINT" in Tajik
		t.Fatalf("reprinted receipt not marked REPRINT:\n%s", text)
	}
	for h := health(t, p); h.Printer != "ok" || h.Receipts != 0; h = health(t, p) { // the job is saved just after it prints
		if time.Now().After(deadline) {
			t.Fatalf("healthz printer %q, receipts waiting %d after the reprint", h.Printer, h.Receipts)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSimPrinterWritesFiles: -printer sim writes each job's bytes and picture.
func TestSimPrinterWritesFiles(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir)
	code, body, _ := post(p.URL+"/api/v1/reports", reportBody("sim"))
	if code != 201 || !strings.Contains(string(body), `"printed"`) {
		t.Fatalf("%d %s", code, body)
	}
	for _, f := range []string{"job-1.bin", "job-1.png"} {
		st, err := os.Stat(filepath.Join(dir, "printer", f))
		if err != nil || st.Size() == 0 {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

type healthReply struct {
	Status, Printer string
	Receipts        int `json:"receipts_waiting"`
	Relay           struct{ Pending int }
}

func health(t *testing.T, p *proc) healthReply {
	t.Helper()
	resp, err := client.Get(p.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h healthReply
	json.NewDecoder(resp.Body).Decode(&h)
	return h
}
