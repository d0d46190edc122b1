package admin_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/admin"
	"cpckiosk/kiosk/store"
)

func TestAuditOfflineAndOnline(t *testing.T) {
	dir := t.TempDir()
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		id, _ := kiosk.NewUUID()
		r := &kiosk.Report{ID: id, Number: kiosk.Number{CPC: "ISF", Kiosk: 1, Year: 26}, Category: "other", Status: kiosk.StatusReceived}
		if err := s.CreateReport(context.Background(), r, kiosk.AuditEntry{Actor: "citizen", Action: "report.create", Record: id}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	// While a process holds the store, the verb asks it over the socket.
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- admin.Serve(ctx, dir, admin.Control{Store: s}) }()
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(filepath.Join(dir, admin.SocketFile)); err == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if code := admin.RunAudit(context.Background(), []string{"-data", dir}, &out, &errb); code != 0 || !strings.Contains(out.String(), "3 entries") {
		t.Fatalf("online: exit %d: %s %s", code, out.String(), errb.String())
	}
	cancel()
	<-served
	s.Close()
	out.Reset()
	if code := admin.RunAudit(context.Background(), []string{"-data", dir}, &out, &errb); code != 0 || !strings.Contains(out.String(), "3 entries") {
		t.Fatalf("offline: exit %d: %s %s", code, out.String(), errb.String())
	}
	if code := admin.RunAudit(context.Background(), nil, &out, &errb); code != 2 {
		t.Fatalf("usage error: exit %d", code)
	}
}
