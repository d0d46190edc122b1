package kiosk_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/kiosktest"
)

func newAccounts(t *testing.T) (*kiosk.Accounts, *kiosktest.Store, *kiosktest.Clock) {
	t.Helper()
	st := kiosktest.NewStore()
	wall := kiosktest.NewClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC))
	return kiosk.NewAccounts(st, kiosk.NewTrustedClock(wall, time.Time{}, nil), nil), st, wall
}

func TestAddUserValidation(t *testing.T) {
	a, _, _ := newAccounts(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, user, full, secret string
		role                     kiosk.Role
		field                    string
	}{
		{"short name", "ab", "Али", "123456", kiosk.RoleOfficer, "username"},
		{"upper case", "Ali", "Али", "123456", kiosk.RoleOfficer, "username"},
		{"bad role", "ali", "Али", "123456", "root", "role"},
		{"short PIN", "ali", "Али", "12345", kiosk.RoleOfficer, "password"},
		{"control char", "ali", "Али", "abc\x00defg", kiosk.RoleOfficer, "password"},
		{"control in name", "ali", "Али\x07", "123456", kiosk.RoleOfficer, "full_name"},
	} {
		var ve *kiosk.ValidationError
		err := a.Add(ctx, "kioskctl", tc.user, tc.full, tc.role, tc.secret)
		if !errors.As(err, &ve) || ve.Fields[0].Field != tc.field {
			t.Errorf("%s: %v, want a %s error", tc.name, err, tc.field)
		}
	}
	if err := a.Add(ctx, "kioskctl", "ali", "Алӣ Раҳимов", kiosk.RoleOfficer, "482913"); err != nil {
		t.Fatal(err)
	}
	if err := a.Add(ctx, "kioskctl", "ali", "Other", kiosk.RoleCPPT, "482913"); !errors.Is(err, kiosk.ErrExists) {
		t.Errorf("duplicate: %v", err)
	}
}

// Five wrong secrets lock the account for 15 minutes, even against the right
// one; unknown, wrong and disabled look the same; every attempt is audited.
func TestLoginLockout(t *testing.T) {
	a, st, wall := newAccounts(t)
	ctx := context.Background()
	if err := a.Add(ctx, "kioskctl", "nodira", "Нодира Каримова", kiosk.RoleCPPT, "pass-word-1"); err != nil {
		t.Fatal(err)
	}
	if u, err := a.Login(ctx, "nodira", "pass-word-1"); err != nil || u.Role != kiosk.RoleCPPT {
		t.Fatalf("right secret: %v", err)
	}
	if _, err := a.Login(ctx, "nobody", "pass-word-1"); !errors.Is(err, kiosk.ErrLoginFailed) {
		t.Errorf("unknown user: %v", err)
	}
	for i := 1; i <= kiosk.LoginFailures; i++ {
		_, err := a.Login(ctx, "nodira", "wrong-one")
		want := kiosk.ErrLoginFailed
		if i == kiosk.LoginFailures {
			want = kiosk.ErrLocked
		}
		if !errors.Is(err, want) {
			t.Fatalf("attempt %d: %v, want %v", i, err, want)
		}
	}
	if _, err := a.Login(ctx, "nodira", "pass-word-1"); !errors.Is(err, kiosk.ErrLocked) {
		t.Fatalf("right secret while locked: %v", err)
	}
	wall.Advance(kiosk.LoginLock + time.Second)
	if _, err := a.Login(ctx, "nodira", "pass-word-1"); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
	if err := a.Disable(ctx, "admin1", "nodira"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Login(ctx, "nodira", "pass-word-1"); !errors.Is(err, kiosk.ErrLoginFailed) {
		t.Errorf("disabled account: %v", err)
	}
	if err := a.Reset(ctx, "admin1", "nodira", "new-secret-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Login(ctx, "nodira", "new-secret-2"); err != nil {
		t.Errorf("after reset: %v", err)
	}
	counts := map[string]int{}
	for _, e := range st.Audit {
		counts[e.Action]++
		if e.Record != "user:nodira" && e.Action != "" {
			t.Errorf("audit entry %s for %q", e.Action, e.Record)
		}
	}
	want := map[string]int{"user.add": 1, "staff.login": 3, "staff.login_failed": 7, "user.disable": 1, "user.reset": 1}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("audit %s: %d entries, want %d (all: %v)", k, counts[k], n, counts)
		}
	}
	users, _ := a.List(ctx)
	if len(users) != 1 || users[0].SecretHash == "" || users[0].SecretHash == "new-secret-2" {
		t.Errorf("users = %+v", users)
	}
}
