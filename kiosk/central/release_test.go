package central

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"cpckiosk/firmware/update"
	"cpckiosk/firmware/update/updatetest"
	"cpckiosk/kiosk/relay"
)

// signer makes bundles signed by a release key of its own root.
type signer struct {
	t    *testing.T
	keys updatetest.Keys
	dir  string
	now  time.Time
}

func newSigner(t *testing.T, now time.Time) *signer {
	t.Helper()
	k, err := updatetest.NewKeys(now)
	if err != nil {
		t.Fatal(err)
	}
	return &signer{t: t, keys: k, dir: t.TempDir(), now: now}
}

// bundle returns the bytes of a signed bundle; extra changes its files'
// content, so that two bundles of one version differ.
func (s *signer) bundle(version, arch, minVersion, extra string) []byte {
	s.t.Helper()
	out := filepath.Join(s.dir, "b.tar")
	files := map[string][]byte{
		"kioskd":   []byte("#!/bin/sh\necho kioskd " + version + extra + "\n" + strings.Repeat("k", 5000)),
		"kioskctl": []byte("#!/bin/sh\necho kioskctl " + version + "\n"),
	}
	if _, err := s.keys.Bundle(out, update.SignOptions{Version: version, MinVersion: minVersion, Arch: arch,
		Created: s.now.Add(-time.Hour)}, files); err != nil {
		s.t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		s.t.Fatal(err)
	}
	return b
}

// without rewrites a bundle's tar without the entry name.
func without(t *testing.T, bundle []byte, name string) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(bundle))
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		if h.Name == name {
			continue
		}
		tw.WriteHeader(h)
		tw.Write(data)
	}
	tw.Close()
	return buf.Bytes()
}

// tamper flips a byte of a payload file's content.
func tamper(b []byte) []byte {
	b = bytes.Clone(b)
	i := bytes.Index(b, []byte("kkkkk"))
	b[i+2] ^= 1
	return b
}

// publish posts a bundle to the operator API.
func (e *env) publish(body []byte) *httptest.ResponseRecorder {
	e.t.Helper()
	hr := httptest.NewRequest("POST", "/api/v1/releases", bytes.NewReader(body))
	hr.Header.Set("Authorization", "Bearer "+opToken)
	hr.Header.Set("Content-Type", "application/octet-stream")
	return e.serveRaw(hr)
}

func shaHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestPublishRelease(t *testing.T) {
	e := newEnv(t)
	sg := newSigner(t, e.clock.Now())
	b110 := sg.bundle("1.1.0", "arm64", "", "")
	w := e.publish(b110)
	if w.Code != http.StatusCreated {
		t.Fatalf("publish: %d %s", w.Code, w.Body)
	}
	r := decode[Release](t, w)
	if r.Version != "1.1.0" || r.Arch != "arm64" || r.Size != int64(len(b110)) || r.SHA256 != shaHex(b110) || r.Verified ||
		r.File != "cpc-kiosk-1.1.0-arm64.bundle" || !r.Published.Equal(e.clock.Now()) {
		t.Errorf("release = %+v", r)
	}
	if got, _ := os.ReadFile(filepath.Join(e.dir, ReleasesDir, r.File)); !bytes.Equal(got, b110) {
		t.Error("the stored bundle differs from the one published")
	}
	if w := e.publish(b110); w.Code != http.StatusOK {
		t.Errorf("the same bundle again: %d %s", w.Code, w.Body)
	}
	w = e.publish(sg.bundle("1.1.0", "arm64", "", "other"))
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "other content") {
		t.Errorf("1.1.0 with other bytes: %d %s", w.Code, w.Body)
	}
	for name, body := range map[string][]byte{
		"garbage":     []byte("this is not a tar file at all, not even close"),
		"empty":       nil,
		"tampered":    tamper(sg.bundle("1.1.1", "arm64", "", "")),
		"no manifest": without(t, sg.bundle("1.1.2", "arm64", "", ""), update.ManifestFile),
	} {
		w := e.publish(body)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"bad_bundle"`) || strings.Contains(w.Body.String(), ".upload-") {
			t.Errorf("%s: %d %s", name, w.Code, w.Body)
		}
	}
	hr := httptest.NewRequest("POST", "/api/v1/releases", bytes.NewReader(b110))
	if w := e.serveRaw(hr); w.Code != http.StatusUnauthorized {
		t.Errorf("without the operator token: %d", w.Code)
	}
	if w := e.publish(sg.bundle("1.2.0", "arm64", "1.1.0", "")); w.Code != http.StatusCreated {
		t.Fatalf("publish 1.2.0: %d %s", w.Code, w.Body)
	}
	if w := e.publish(sg.bundle("1.10", "armv7", "", "")); w.Code != http.StatusCreated {
		t.Fatalf("publish armv7: %d %s", w.Code, w.Body)
	}
	list := func() []string {
		var out []string
		for _, r := range decode[struct{ Releases []Release }](t, e.op("GET", "/api/v1/releases", nil)).Releases {
			out = append(out, r.Arch+" "+r.Version)
		}
		return out
	}
	if got := strings.Join(list(), ", "); got != "arm64 1.2.0, arm64 1.1.0, armv7 1.10" {
		t.Errorf("list: %s", got)
	}
	// Nothing the refusals read is left behind.
	ents, _ := os.ReadDir(filepath.Join(e.dir, ReleasesDir))
	if len(ents) != 6 {
		t.Errorf("releases dir holds %d entries, want 3 bundles and 3 records", len(ents))
	}

	// A restart finds them again; what a cut-off publication left is deleted.
	rd := filepath.Join(e.dir, ReleasesDir)
	os.WriteFile(filepath.Join(rd, ".upload-123"), []byte("half"), 0o600)
	os.WriteFile(filepath.Join(rd, ReleaseFile("9.9", "arm64")), b110, 0o600)
	e.close()
	e.open()
	if got := strings.Join(list(), ", "); got != "arm64 1.2.0, arm64 1.1.0, armv7 1.10" {
		t.Errorf("list after a restart: %s", got)
	}
	for _, f := range []string{".upload-123", ReleaseFile("9.9", "arm64")} {
		if _, err := os.Stat(filepath.Join(rd, f)); err == nil {
			t.Errorf("%s was not deleted at the start", f)
		}
	}

	if w := e.op("DELETE", "/api/v1/releases/arm64/1.2.0", nil); w.Code != http.StatusOK {
		t.Fatalf("withdraw: %d %s", w.Code, w.Body)
	}
	if w := e.op("DELETE", "/api/v1/releases/arm64/1.2.0", nil); w.Code != http.StatusNotFound {
		t.Errorf("withdraw twice: %d %s", w.Code, w.Body)
	}
	if got := strings.Join(list(), ", "); got != "arm64 1.1.0, armv7 1.10" {
		t.Errorf("list after withdrawing: %s", got)
	}
}

func TestPublishReleaseTooLarge(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), clock: &clock{t: time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)}, opt: Options{MaxRelease: 4096}}
	e.open()
	t.Cleanup(e.close)
	b := newSigner(t, e.clock.Now()).bundle("1.1.0", "arm64", "", "")
	if w := e.publish(b); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("%d bytes: %d %s", len(b), w.Code, w.Body)
	}
	hr := httptest.NewRequest("POST", "/api/v1/releases", readerOnly{bytes.NewReader(b)}) // no Content-Length
	hr.Header.Set("Authorization", "Bearer "+opToken)
	if w := e.serveRaw(hr); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("streamed: %d %s", w.Code, w.Body)
	}
	if ents, _ := os.ReadDir(filepath.Join(e.dir, ReleasesDir)); len(ents) != 0 {
		t.Errorf("a refused bundle left %d files", len(ents))
	}
}

// With -update-trust, only bundles whose chain verifies are published.
func TestPublishReleaseTrust(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), clock: &clock{t: time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)}}
	ours, theirs := newSigner(t, e.clock.Now()), newSigner(t, e.clock.Now())
	e.opt.UpdateTrust = ours.keys.Trust()
	e.open()
	t.Cleanup(e.close)
	w := e.publish(ours.bundle("1.1.0", "arm64", "", ""))
	if r := decode[Release](t, w); w.Code != http.StatusCreated || !r.Verified || r.SignedBy != "release-test" {
		t.Fatalf("a bundle signed with the trusted root: %d %s", w.Code, w.Body)
	}
	for _, c := range []struct {
		name string
		body []byte
		want string
	}{
		{"another root", theirs.bundle("1.2.0", "arm64", "", ""), "not signed by a trusted root key"},
		{"unsigned", without(t, ours.bundle("1.2.0", "arm64", "", ""), update.SignatureFile), "unsigned"},
		{"no certificate", without(t, ours.bundle("1.2.0", "arm64", "", ""), update.CertFile), "unsigned"},
		{"tampered", tamper(ours.bundle("1.2.0", "arm64", "", "")), "tampered"},
	} {
		w := e.publish(c.body)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), c.want) || strings.Contains(w.Body.String(), e.dir) {
			t.Errorf("%s: %d %s; want 422 saying %q", c.name, w.Code, w.Body, c.want)
		}
	}
	if n := len(e.srv.Releases()); n != 1 {
		t.Errorf("%d releases published, want 1", n)
	}
	// An expired certificate (the central's clock a year and a half on).
	e.clock.Add(548 * 24 * time.Hour)
	if w := e.publish(ours.bundle("1.3.0", "arm64", "", "")); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "expired") {
		t.Errorf("expired: %d %s", w.Code, w.Body)
	}
}

// updatesWith sends an updates request carrying health and returns the
// offer in the (verified) reply.
func (e *env) updatesWith(d *device, h *relay.DeviceHealth) *relay.ReleaseOffer {
	e.t.Helper()
	var nonce string
	w := e.send(d, req{path: relay.PathUpdates, body: mustJSON(e.t, relay.UpdatesRequest{Health: h}), nonce: &nonce})
	if w.Code != http.StatusOK {
		e.t.Fatalf("updates: %d %s", w.Code, w.Body)
	}
	e.checkReply(w, nonce)
	return decode[relay.UpdatesReply](e.t, w).Release
}

func TestReleaseOffer(t *testing.T) {
	e := newEnv(t)
	sg := newSigner(t, e.clock.Now())
	d := e.enroll("ISF", 1)
	if o := e.updatesWith(d, &relay.DeviceHealth{Version: "1.0.0", Arch: "arm64"}); o != nil {
		t.Fatalf("an offer with nothing published: %+v", o)
	}
	rels := map[string]Release{}
	for _, b := range [][]byte{
		sg.bundle("1.1.0", "arm64", "", ""),
		sg.bundle("1.2.0", "arm64", "1.1.0", ""), // only from 1.1.0 on
		sg.bundle("2.0", "amd64", "", ""),
	} {
		w := e.publish(b)
		r := decode[Release](t, w)
		if w.Code != http.StatusCreated {
			t.Fatalf("publish: %d %s", w.Code, w.Body)
		}
		rels[r.Arch+" "+r.Version] = r
	}
	for _, c := range []struct {
		health *relay.DeviceHealth
		want   string // arch and version offered, "" for none
	}{
		{&relay.DeviceHealth{Version: "1.0.0", Arch: "arm64"}, "arm64 1.1.0"}, // 1.2.0 needs 1.1.0 installed
		{&relay.DeviceHealth{Version: "1.1.0", Arch: "arm64"}, "arm64 1.2.0"},
		{&relay.DeviceHealth{Version: "1.1", Arch: "arm64"}, "arm64 1.2.0"},
		{&relay.DeviceHealth{Version: "1.2.0", Arch: "arm64"}, ""},
		{&relay.DeviceHealth{Version: "1.3", Arch: "arm64"}, ""},
		{&relay.DeviceHealth{Version: "dev", Arch: "arm64"}, ""}, // a development build is never updated
		{&relay.DeviceHealth{Version: "1.0.0", Arch: "armv7"}, ""},
		{&relay.DeviceHealth{Version: "1.0.0", Arch: "amd64"}, "amd64 2.0"},
		{&relay.DeviceHealth{Version: "1.0.0"}, ""}, // a kiosk that does not say its arch
		{nil, ""},
	} {
		o := e.updatesWith(d, c.health)
		got := ""
		if o != nil {
			got = o.Arch + " " + o.Version
			if r := rels[got]; o.Size != r.Size || o.SHA256 != r.SHA256 {
				t.Errorf("offer %+v does not describe the release %+v", o, r)
			}
		}
		if got != c.want {
			t.Errorf("health %+v: offered %q, want %q", c.health, got, c.want)
		}
	}
	// Withdrawn: no longer offered.
	e.op("DELETE", "/api/v1/releases/arm64/1.2.0", nil)
	if o := e.updatesWith(d, &relay.DeviceHealth{Version: "1.1.0", Arch: "arm64"}); o != nil {
		t.Errorf("a withdrawn release is offered: %+v", o)
	}
	// The operator sees what the kiosk said about its updates.
	e.updatesWith(d, &relay.DeviceHealth{Version: "1.1.0", Arch: "arm64", Update: &relay.UpdateHealth{
		Phase: "rolled_back", Version: "1.1.0", FailedVersion: "1.2.0", Reason: "1.2.0 did not report healthy within 2m0s"}})
	devs := decode[struct{ Devices []DeviceInfo }](t, e.op("GET", "/api/v1/devices", nil)).Devices
	if len(devs) != 1 || devs[0].Health == nil || devs[0].Health.Update == nil || devs[0].Health.Update.FailedVersion != "1.2.0" || devs[0].Health.Arch != "arm64" {
		t.Errorf("devices: %+v", devs)
	}
}

// fetch asks for bundle bytes as a device; it returns the reply.
func (e *env) fetch(d *device, rq relay.ReleaseRequest) (*httptest.ResponseRecorder, string) {
	e.t.Helper()
	var nonce string
	w := e.send(d, req{path: relay.PathRelease, body: mustJSON(e.t, rq), nonce: &nonce})
	return w, nonce
}

func TestReleaseDownload(t *testing.T) {
	e := newEnv(t)
	sg := newSigner(t, e.clock.Now())
	d := e.enroll("ISF", 1)
	b := sg.bundle("1.1.0", "arm64", "", "")
	if w := e.publish(b); w.Code != http.StatusCreated {
		t.Fatalf("publish: %d %s", w.Code, w.Body)
	}
	o := e.updatesWith(d, &relay.DeviceHealth{Version: "1.0.0", Arch: "arm64"})
	if o == nil {
		t.Fatal("no offer")
	}
	// In pieces, each resuming where the last ended, as after a cut.
	var got []byte
	for _, length := range []int64{1000, 1, 4096, 0} {
		w, _ := e.fetch(d, relay.ReleaseRequest{Version: o.Version, Arch: o.Arch, Offset: int64(len(got)), Length: length})
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/octet-stream" {
			t.Fatalf("offset %d: %d %s", len(got), w.Code, w.Body)
		}
		h := w.Header()
		if h.Get(relay.HeaderReleaseSize) != strconv.Itoa(len(b)) || h.Get(relay.HeaderReleaseOffset) != strconv.Itoa(len(got)) ||
			h.Get(relay.HeaderReleaseSHA256) != o.SHA256 || h.Get("Content-Length") != strconv.Itoa(w.Body.Len()) {
			t.Errorf("headers %v", h)
		}
		if length > 0 && int64(w.Body.Len()) != length {
			t.Errorf("asked %d bytes, got %d", length, w.Body.Len())
		}
		got = append(got, w.Body.Bytes()...)
	}
	if shaHex(got) != o.SHA256 || int64(len(got)) != o.Size {
		t.Fatalf("the pieces make %d bytes that do not match the offer", len(got))
	}
	if w, _ := e.fetch(d, relay.ReleaseRequest{Version: o.Version, Arch: o.Arch, Offset: o.Size}); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("at the end: %d, %d bytes", w.Code, w.Body.Len())
	}
	// Refusals are signed JSON like every device reply.
	for _, c := range []struct {
		rq     relay.ReleaseRequest
		status int
		code   string
	}{
		{relay.ReleaseRequest{Version: o.Version, Arch: o.Arch, Offset: o.Size + 1}, 400, relay.CodeBadRequest},
		{relay.ReleaseRequest{Version: o.Version, Arch: o.Arch, Offset: -1}, 400, relay.CodeBadRequest},
		{relay.ReleaseRequest{Version: "9.9", Arch: o.Arch}, 404, relay.CodeNotFound},
		{relay.ReleaseRequest{Version: o.Version, Arch: "armv7"}, 404, relay.CodeNotFound},
	} {
		w, nonce := e.fetch(d, c.rq)
		wantError(t, w, c.status, c.code)
		e.checkReply(w, nonce)
	}
	// Only enrolled, signed, not revoked devices get bytes.
	body := mustJSON(t, relay.ReleaseRequest{Version: o.Version, Arch: o.Arch})
	wantError(t, e.send(newDevice(t), req{path: relay.PathRelease, body: body}), 401, relay.CodeUnknown)
	wantError(t, e.send(d, req{path: relay.PathRelease, body: body, unsigned: true}), 400, relay.CodeBadRequest)
	wantError(t, e.send(d, req{path: relay.PathRelease, body: body, alter: func(b []byte) []byte { return bytes.Replace(b, []byte("1.1.0"), []byte("1.1.1"), 1) }}), 401, relay.CodeBadSignature)
	// Withdrawn: 404, which tells the kiosk to drop what it has.
	e.op("DELETE", "/api/v1/releases/arm64/1.1.0", nil)
	w, _ := e.fetch(d, relay.ReleaseRequest{Version: o.Version, Arch: o.Arch, Offset: 10})
	wantError(t, w, 404, relay.CodeNotFound)
	e.srv.Revoke(d.id)
	wantError(t, e.send(d, req{path: relay.PathRelease, body: body}), 403, relay.CodeRevoked)
}

func TestReleaseFileName(t *testing.T) {
	if got := ReleaseFile("1.4.2", "arm64"); got != "cpc-kiosk-1.4.2-arm64.bundle" || got != relay.BundleName("1.4.2", "arm64") {
		t.Errorf("ReleaseFile = %q; the kiosk names it %q", got, relay.BundleName("1.4.2", "arm64"))
	}
}

// centrald release publishes while the server is stopped, and checks the
// signature with -update-trust.
func TestReleaseCommand(t *testing.T) {
	dir := t.TempDir()
	sg := newSigner(t, time.Now())
	bundle := filepath.Join(t.TempDir(), "cpc-kiosk-1.1.0-arm64.tar")
	os.WriteFile(bundle, sg.bundle("1.1.0", "arm64", "", ""), 0o644)
	trust := filepath.Join(t.TempDir(), "root.pub")
	if err := sg.keys.WriteTrust(trust); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other.pub")
	newSigner(t, time.Now()).keys.WriteTrust(other)
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"release", "-data", dir}, 2, "usage: centrald release"},
		{[]string{"release", "-data", dir, "-update-trust", other, bundle}, 1, "not signed by a trusted root key"},
		{[]string{"release", "-data", dir, "-update-trust", trust, bundle}, 0, "published: 1.1.0 for arm64"},
		{[]string{"release", "-data", dir, bundle}, 0, "already published: 1.1.0 for arm64"},
	} {
		var out, errb bytes.Buffer
		code := Main(context.Background(), c.args, &out, &errb)
		if code != c.code || !strings.Contains(out.String()+errb.String(), c.says) {
			t.Errorf("%q: exit %d, %s%s; want %d saying %q", c.args, code, out.String(), errb.String(), c.code, c.says)
		}
	}
	srv, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if rs := srv.Releases(); len(rs) != 1 || !rs[0].Verified || rs[0].SignedBy != "release-test" {
		t.Errorf("releases: %+v", rs)
	}
}

// The operator page lists the releases and shows each kiosk's update state.
func TestOperatorPageReleases(t *testing.T) {
	e := newEnv(t)
	sg := newSigner(t, e.clock.Now())
	d := e.enroll("ISF", 1)
	if w := e.publish(sg.bundle("1.2.0", "arm64", "1.1.0", "")); w.Code != http.StatusCreated {
		t.Fatalf("publish: %d %s", w.Code, w.Body)
	}
	e.updatesWith(d, &relay.DeviceHealth{Version: "1.1.0", Arch: "arm64", Update: &relay.UpdateHealth{
		Phase: "rolled_back", Version: "1.1.0", FailedVersion: "1.2.0", Reason: "1.2.0 did not report healthy within 2m0s",
		Fetch: "not installing 1.2.0: it failed on this board", LastApply: "2026-03-14T09:00:00Z cpc-kiosk-1.2.0-arm64.bundle exit 1: rolled back"}})
	b := &browser{e: e, cookies: map[string]*http.Cookie{}}
	csrf := csrfOf(t, b.do("GET", "/operator", nil).Body.String())
	if w := b.do("POST", "/operator/login", url.Values{"token": {opToken}, "csrf": {csrf}}); w.Code != http.StatusSeeOther {
		t.Fatalf("login: %d", w.Code)
	}
	w := b.do("GET", "/operator", nil)
	checkPageHeaders(t, w)
	page := w.Body.String()
	for _, s := range []string{
		"<h2>Releases</h2>", "<td>1.2.0</td><td>arm64</td><td>1.1.0</td>", "not checked here",
		"1.1.0 (arm64)", "rolled_back 1.1.0", "1.2.0 failed: 1.2.0 did not report healthy within 2m0s",
		"not installing 1.2.0", "last apply: 2026-03-14T09:00:00Z cpc-kiosk-1.2.0-arm64.bundle exit 1",
	} {
		contains(t, page, s)
	}
}
