package ui

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestAdminBrowser: an admin logs in on the touchscreen, adds an officer by
// touch (the password typed twice on the on-screen keyboard), looks at the
// audit trail, switches training mode on — the banner is on the admin's
// page and on the citizen's home screen — and off again. Screenshots of
// each admin page are saved.
func TestAdminBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx, stop := newBrowser(t)
	defer stop()
	f, fa := newAdminFixture(t)
	srv := httptest.NewServer(f.H)
	defer srv.Close()
	shots := screensDir(t)
	b := &browser{t: t, ctx: ctx, shots: shots, base: srv.URL}
	b.size(1280, 800)
	b.run("open login", chromedp.Navigate(srv.URL+"/staff/login?lang=tg"))
	b.waitPage("staff-login")
	b.typeStaff("#username", "admin1")
	b.typeStaff("#password", staffPassword)
	b.clickTo("#login", "admin-users")
	b.checkScreens("admin-users-tg")

	b.clickTo("#new-user", "admin-user-new")
	b.typeStaff("#username", "nazarov.f")
	b.typeStaff("#full_name", "Фирӯз Назаров")
	b.click("#role-officer")
	b.typeStaff("#password", "omuzish 26")
	b.typeStaff("#password2", "omuzish 26")
	b.checkScreens("admin-user-new-tg")
	b.clickTo("#add-user", "admin-user")
	if got := get(b, "title", chromedp.Text(chromedp.ID("user-title"))); !strings.Contains(got, "Фирӯз Назаров") {
		t.Fatalf("user page title %q", got)
	}
	if _, err := f.Accounts.Login(t.Context(), "nazarov.f", "omuzish 26"); err != nil {
		t.Fatalf("the officer added by touch cannot log in: %v", err)
	}
	b.checkScreens("admin-user-tg")

	b.run("audit", chromedp.Navigate(srv.URL+"/admin/audit"))
	b.waitPage("admin-audit")
	if !strings.Contains(b.text(), "user.add") {
		t.Error("the audit trail does not show the new user")
	}
	b.run("chain ok", chromedp.WaitVisible(chromedp.ID("chain-ok")))
	b.checkScreens("admin-audit-tg")

	b.run("training", chromedp.Navigate(srv.URL+"/admin/training"))
	b.waitPage("admin-training")
	b.clickTo("#training-on", "admin-training")
	b.run("banner on the admin page", chromedp.WaitVisible(chromedp.ID("training-banner")))
	if !fa.on() {
		t.Fatal("training mode not switched on")
	}
	b.checkScreens("admin-training-tg")
	b.clickTo("#logout", "home")
	b.run("banner on the home screen", chromedp.WaitVisible(chromedp.ID("training-banner")))
	b.checkScreens("home-training-tg")

	b.run("open login", chromedp.Navigate(srv.URL+"/staff/login?lang=ru"))
	b.waitPage("staff-login")
	b.typeStaff("#username", "admin1")
	b.typeStaff("#password", staffPassword)
	b.clickTo("#login", "admin-users")
	b.clickTo("#go-training", "admin-training")
	b.clickTo("#training-off", "admin-training")
	if fa.on() || eval[bool](b, `!!document.getElementById('training-banner')`) {
		t.Fatal("training mode or its banner still on")
	}
	if got := get(b, "state", chromedp.Text(chromedp.ID("training-state"))); got != tr("ru", "admin.training.is_off") {
		t.Errorf("state %q", got)
	}
	if n := len(audited(f, "user.add")); n < 4 {
		t.Errorf("%d user.add entries", n)
	}
}
