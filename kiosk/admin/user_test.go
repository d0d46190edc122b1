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

func runUser(t *testing.T, stdin string, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := admin.RunUser(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String() + errb.String()
}

// The user verbs work on a stopped kiosk (the store directly) and on a
// running one (its control socket); the secret comes from stdin only and
// is never stored or printed in clear.
func TestUserVerbs(t *testing.T) {
	dir := t.TempDir()
	if code, out := runUser(t, "482913\n", "add", "-data", dir, "-role", "officer", "-name", "Алӣ Раҳимов", "ali"); code != 0 {
		t.Fatalf("add offline: %d %s", code, out)
	}
	if code, out := runUser(t, "12\n", "add", "-data", dir, "-role", "cppt", "bob"); code != 1 || !strings.Contains(out, "6 characters") {
		t.Errorf("short PIN: %d %s", code, out)
	}
	if code, _ := runUser(t, "", "add", "-data", dir, "-role", "cppt", "bob"); code != 2 {
		t.Errorf("no secret on stdin: exit %d", code)
	}
	if code, _ := runUser(t, "", "frobnicate", "-data", dir); code != 2 {
		t.Errorf("unknown verb: exit %d", code)
	}

	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	accounts := kiosk.NewAccounts(s, kiosk.NewTrustedClock(kiosk.SystemClock{}, time.Time{}, nil), nil)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- admin.Serve(ctx, dir, admin.Control{Store: s, Accounts: accounts}) }()
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(filepath.Join(dir, admin.SocketFile)); err == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if code, out := runUser(t, "nodira-pass\n", "add", "-data", dir, "-role", "cppt", "-name", "Нодира", "nodira"); code != 0 {
		t.Fatalf("add online: %d %s", code, out)
	}
	if code, out := runUser(t, "", "disable", "-data", dir, "ali"); code != 0 {
		t.Fatalf("disable online: %d %s", code, out)
	}
	code, out := runUser(t, "", "list", "-data", dir)
	if code != 0 || !strings.Contains(out, "ali") || !strings.Contains(out, "disabled") || !strings.Contains(out, "nodira") || !strings.Contains(out, "cppt") {
		t.Fatalf("list online: %d\n%s", code, out)
	}
	if strings.Contains(out, "argon2id") || strings.Contains(out, "482913") {
		t.Errorf("list shows a secret:\n%s", out)
	}
	if _, err := accounts.Login(context.Background(), "nodira", "nodira-pass"); err != nil {
		t.Errorf("the user added over the socket cannot log in: %v", err)
	}
	cancel()
	<-served
	s.Close()

	if code, out := runUser(t, "fresh-secret\n", "reset", "-data", dir, "ali"); code != 0 {
		t.Fatalf("reset offline: %d %s", code, out)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, store.DBFile))
	for _, secret := range []string{"482913", "nodira-pass", "fresh-secret"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("secret %q in the database file", secret)
		}
	}
}
