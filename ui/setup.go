package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"cpckiosk/kiosk"
)

// The first-boot setup pages: until the kiosk is enrolled, kioskd serves
// these instead of the citizen's pages. A technician unlocks them with the
// setup PIN, fills in the centre, the central and the printer, may print a
// test page, and presses "Enrol and start": the configuration is written,
// the kiosk enrolls with the central and kioskd exits so that systemd
// starts it again in kiosk mode.

// SetupForm is what the technician enters on the setup form.
type SetupForm struct {
	CPC        string // three capital Latin letters
	Kiosk      int    // 1-9
	Central    string // the central's URL
	Token      string // one-time enrolment token; never logged, never written
	Printer    string // a serial device, "sim" or "none"
	Baud       int
	Profile    string // printer profile name
	A4Queue    string // CUPS queue for extracts; "" for none
	CentreName string
}

// Enrolled is who the central enrolled the kiosk as.
type Enrolled struct {
	CPC      string
	Kiosk    int
	DeviceID string
}

// Enroller is what "Enrol and start" does; kiosk/daemon implements it.
type Enroller interface {
	// SaveConfig writes the configuration kioskd starts with next time.
	SaveConfig(f SetupForm) error
	// Enroll registers the kiosk with the central at f.Central using
	// f.Token. Errors wrap ErrCentralUnreachable, ErrNotCentral,
	// ErrTokenRefused or are a *WrongKioskError where they can.
	Enroll(ctx context.Context, f SetupForm) (Enrolled, error)
}

// Enrolment failures the setup pages explain to the technician.
var (
	ErrCentralUnreachable = errors.New("setup: the central cannot be reached")
	ErrNotCentral         = errors.New("setup: the address does not answer as a central")
	ErrTokenRefused       = errors.New("setup: the central refused the enrolment token")
)

// WrongKioskError: the token was made for another centre or kiosk number
// than the form says. The kiosk is left not enrolled.
type WrongKioskError struct {
	CPC   string
	Kiosk int
}

func (e *WrongKioskError) Error() string {
	return fmt.Sprintf("setup: the token is for %s kiosk %d", e.CPC, e.Kiosk)
}

// SetupHealth is GET /healthz in setup mode.
type SetupHealth struct {
	Status  string `json:"status"` // always "setup"
	Version string `json:"version"`
	PINSet  bool   `json:"pin_set"`
	Relay   struct {
		Enrolled bool `json:"enrolled"`
	} `json:"relay"`
}

// SetupDeps is what the setup router needs.
type SetupDeps struct {
	// Form holds the values the form starts with: the present configuration.
	Form SetupForm
	// DataDir is shown in the instructions for setting a PIN.
	DataDir string
	// Devices are the printer devices offered besides "sim" and "none".
	Devices []string
	// Profiles are the printer profiles offered (escpos.ProfileNames).
	Profiles []string
	// PINSet reports whether a setup PIN is configured; without one the
	// pages only say how to set it.
	PINSet func() bool
	// CheckPIN reports whether pin is the setup PIN.
	CheckPIN func(pin string) bool
	// TestPrint prints a test page on f.Printer at f.Baud with f.Profile.
	// A printer fault is a *kiosk.PrinterError.
	TestPrint func(ctx context.Context, f SetupForm) error
	Enroller  Enroller
	// Done is called once the "starting" page was served after a
	// successful enrolment.
	Done    func(Enrolled)
	Version string
	Log     *slog.Logger
	// Now is the clock of the PIN lockout (time.Now when nil).
	Now func() time.Time
}

// PIN attempts: after setupMaxFails wrong PINs in a row the setup is locked
// for setupLockout. Kept in memory only: a restart of kioskd costs more
// than the wait.
const (
	setupMaxFails = 5
	setupLockout  = 15 * time.Minute
)

// SetupBauds are the serial speeds offered.
var SetupBauds = []int{9600, 19200, 38400, 57600, 115200}

// The setup pages' idle timer: a technician reads and types slowly; the
// page locks itself before the server's session idles out.
var setupPageOptions = pageOptions{IdleSeconds: 240, CountdownSeconds: 30}

type setupServer struct {
	d *SetupDeps
	p *pages // sessions, CSRF, rendering: as the citizen's pages

	mu     sync.Mutex
	states map[string]*setupState // by session id

	pin struct {
		sync.Mutex // also serialises the (slow) PIN checks
		fails      int
		until      time.Time
	}

	enrolMu  sync.Mutex // one enrolment at a time
	enrolled atomic.Pointer[Enrolled]
	doneOnce sync.Once
}

// setupState is what one session of the setup holds besides the session.
type setupState struct {
	authed bool
	draft  SetupForm
	print  *printResult // the last test print, shown once
	detail string       // technical detail of the last enrolment error, shown once
}

type printResult struct {
	OK      bool
	Sim     bool // printed by the simulator, into Device (a directory)
	Device  string
	Problem string // catalog key of what is wrong
	Detail  string // the driver's error, for the technician
}

// NewSetupRouter returns the handler of setup mode: the setup pages, their
// static files and GET /healthz.
func NewSetupRouter(d SetupDeps) http.Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.PINSet == nil {
		d.PINSet = func() bool { return d.CheckPIN != nil }
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	_ = r.SetTrustedProxies(nil)
	r.Use(recoverer(d.Log), accessLog(d.Log), securityHeaders)
	r.NoRoute(func(c *gin.Context) { apiError(c, http.StatusNotFound, "not_found", "no such page", "") })
	s := &setupServer{d: &d, states: map[string]*setupState{},
		p: &pages{d: Deps{Log: d.Log, Site: Site{CentreName: d.Form.CentreName}}, o: setupPageOptions,
			store: newSessionStore(nil), tmpl: mustParseTemplates()}}
	r.GET("/healthz", s.health)
	r.GET("/static/*file", serveStatic)
	g := r.Group("/", s.p.withSession)
	g.GET("/", s.pinPage)
	g.POST("/pin", s.postPIN)
	g.POST("/exit", s.exit)
	g.GET("/setup/done", s.done)
	a := g.Group("/setup", s.authed)
	a.GET("", s.form)
	a.POST("/print", s.postPrint)
	a.POST("/enrol", s.postEnrol)
	return r
}

func (s *setupServer) health(c *gin.Context) {
	h := SetupHealth{Status: "setup", Version: s.d.Version, PINSet: s.d.PINSet()}
	c.JSON(http.StatusOK, h)
}

// state returns the setup state of the request's session, making it on
// first use (and forgetting those of sessions that ended).
func (s *setupServer) state(ss *session) *setupState {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.states[ss.id]
	if st == nil {
		s.p.store.mu.Lock()
		for id := range s.states {
			if _, ok := s.p.store.m[id]; !ok {
				delete(s.states, id)
			}
		}
		s.p.store.mu.Unlock()
		st = &setupState{draft: s.d.Form}
		s.states[ss.id] = st
	}
	return st
}

// authed lets only a session unlocked with the PIN through.
func (s *setupServer) authed(c *gin.Context) {
	if !s.state(sess(c)).authed {
		c.Redirect(http.StatusSeeOther, "/")
		c.Abort()
		return
	}
	c.Next()
}

// exit locks the setup again: the session and its state are forgotten.
func (s *setupServer) exit(c *gin.Context) {
	id := sess(c).id
	s.mu.Lock()
	delete(s.states, id)
	s.mu.Unlock()
	s.p.exit(c)
}

func (s *setupServer) isEnrolled() *Enrolled { return s.enrolled.Load() }

// ---- the PIN ----

type pinView struct {
	PINSet  bool
	Locked  bool
	DataDir string
}

// lockedFor is how long the PIN stays locked; the caller holds s.pin.
func (s *setupServer) lockedFor() time.Duration {
	return s.pin.until.Sub(s.d.Now())
}

func minutes(d time.Duration) int { return int((d + time.Minute - time.Second) / time.Minute) }

func (s *setupServer) pinPage(c *gin.Context) {
	if s.isEnrolled() != nil {
		c.Redirect(http.StatusSeeOther, "/setup/done")
		return
	}
	ss := sess(c)
	if s.state(ss).authed {
		c.Redirect(http.StatusSeeOther, "/setup")
		return
	}
	v := &pinView{PINSet: s.d.PINSet(), DataDir: s.d.DataDir}
	s.pin.Lock()
	if left := s.lockedFor(); left > 0 {
		v.Locked = true
		if ss.errs == nil {
			ss.errs = map[string]fieldMsg{}
		}
		ss.errs["pin"] = fieldMsg{Key: "setup.pin.locked", Args: []any{minutes(left)}}
	}
	s.pin.Unlock()
	name := "setup-pin"
	if !v.PINSet {
		name = "setup-nopin"
	}
	s.p.render(c, name, v, false)
}

func (s *setupServer) postPIN(c *gin.Context) {
	ss := sess(c)
	st := s.state(ss)
	pin := strings.TrimSpace(c.PostForm("pin"))
	if !s.d.PINSet() || s.d.CheckPIN == nil {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	s.pin.Lock()
	defer s.pin.Unlock()
	switch {
	case s.lockedFor() > 0:
		// Locked: the PIN is not even looked at.
	case pin == "":
		ss.errs = map[string]fieldMsg{"pin": {Key: "setup.pin.required"}}
	case len(pin) <= 64 && s.d.CheckPIN(pin): // a longer one is wrong without hashing it
		s.pin.fails = 0
		st.authed = true
		s.d.Log.Info("setup: unlocked with the setup PIN")
		c.Redirect(http.StatusSeeOther, "/setup")
		return
	default:
		s.pin.fails++
		if s.pin.fails >= setupMaxFails {
			s.pin.fails = 0
			s.pin.until = s.d.Now().Add(setupLockout)
			s.d.Log.Warn("setup: too many wrong PINs: locked", "minutes", int(setupLockout/time.Minute))
		} else {
			left := setupMaxFails - s.pin.fails
			ss.errs = map[string]fieldMsg{"pin": {Key: "setup.pin.wrong", Args: []any{left}}}
			s.d.Log.Warn("setup: wrong PIN", "attempts_left", left)
		}
	}
	c.Redirect(http.StatusSeeOther, "/")
}

// ---- the form ----

type choice struct {
	Value, Label string
	ID           string // for the element id: the value without its path
	Mono         bool   // a device path, shown as typed
}

type setupFormView struct {
	F        SetupForm
	Kiosks   []int
	Devices  []choice
	Bauds    []int
	Profiles []string
	Print    *printResult
	Detail   string
}

func (s *setupServer) devices(lang, current string) []choice {
	var out []choice
	for _, d := range s.d.Devices {
		out = append(out, choice{Value: d, Label: d, ID: path.Base(d), Mono: true})
	}
	if current != "" && current != "sim" && current != "none" && !slices.Contains(s.d.Devices, current) {
		out = append(out, choice{Value: current, Label: current, ID: path.Base(current), Mono: true})
	}
	return append(out, choice{Value: "sim", Label: tr(lang, "setup.printer.sim"), ID: "sim"},
		choice{Value: "none", Label: tr(lang, "setup.printer.none"), ID: "none"})
}

func (s *setupServer) validDevice(d string) bool {
	return d == "sim" || d == "none" || slices.Contains(s.d.Devices, d) || (d != "" && d == s.d.Form.Printer)
}

func (s *setupServer) form(c *gin.Context) {
	if s.isEnrolled() != nil {
		c.Redirect(http.StatusSeeOther, "/setup/done")
		return
	}
	ss := sess(c)
	st := s.state(ss)
	v := &setupFormView{F: st.draft, Kiosks: []int{1, 2, 3, 4, 5, 6, 7, 8, 9}, Bauds: SetupBauds,
		Devices: s.devices(ss.lang, s.d.Form.Printer), Profiles: s.d.Profiles, Print: st.print, Detail: st.detail}
	st.print, st.detail = nil, ""
	s.p.render(c, "setup-form", v, false)
}

// readSetupForm reads the posted form. Fields that are not numbers read as 0.
func readSetupForm(c *gin.Context) SetupForm {
	f := func(k string) string { return strings.TrimSpace(c.PostForm(k)) }
	k, _ := strconv.Atoi(f("kiosk"))
	b, _ := strconv.Atoi(f("baud"))
	return SetupForm{CPC: strings.ToUpper(f("cpc")), Kiosk: k, Central: strings.TrimRight(f("central"), "/"),
		Token: f("token"), Printer: f("printer"), Baud: b, Profile: f("profile"), A4Queue: f("a4_queue"),
		CentreName: f("centre_name")}
}

// checkPrinter validates the printer fields.
func (s *setupServer) checkPrinter(f SetupForm, errs map[string]fieldMsg) {
	if !s.validDevice(f.Printer) {
		errs["printer"] = fieldMsg{Key: "setup.err.printer"}
	}
	if !slices.Contains(SetupBauds, f.Baud) {
		errs["baud"] = fieldMsg{Key: "setup.err.baud"}
	}
	if !slices.Contains(s.d.Profiles, f.Profile) {
		errs["profile"] = fieldMsg{Key: "setup.err.profile"}
	}
}

// setupFields are the form's fields in the order the page shows them.
var setupFields = []string{"cpc", "kiosk", "centre_name", "central", "token", "printer", "baud", "profile", "a4_queue"}

// firstSetupField is the first field on the page with an error: the page
// opens there.
func firstSetupField(errs map[string]fieldMsg) string {
	for _, f := range setupFields {
		if _, ok := errs[f]; ok {
			return f
		}
	}
	return setupFields[0]
}

// maxCentreName bounds the centre's name: it is printed on receipts.
const maxCentreName = 100

// checkSetup validates the whole form.
func (s *setupServer) checkSetup(f SetupForm) map[string]fieldMsg {
	errs := map[string]fieldMsg{}
	if !kiosk.ValidCPC(f.CPC) {
		errs["cpc"] = fieldMsg{Key: "setup.err.cpc"}
	}
	if f.Kiosk < 1 || f.Kiosk > 9 {
		errs["kiosk"] = fieldMsg{Key: "setup.err.kiosk"}
	}
	switch {
	case f.Central == "":
		errs["central"] = fieldMsg{Key: "setup.err.central.required"}
	case !validCentralURL(f.Central):
		errs["central"] = fieldMsg{Key: "setup.err.central.invalid"}
	}
	switch {
	case f.Token == "":
		errs["token"] = fieldMsg{Key: "setup.err.token.required"}
	default:
		if _, ok := kiosk.NormalizeCrockford(f.Token, 26); !ok {
			errs["token"] = fieldMsg{Key: "setup.err.token.invalid"}
		}
	}
	s.checkPrinter(f, errs)
	if f.A4Queue != "" && !validQueue(f.A4Queue) {
		errs["a4_queue"] = fieldMsg{Key: "setup.err.a4_queue"}
	}
	if len([]rune(f.CentreName)) > maxCentreName || strings.ContainsFunc(f.CentreName, unicode.IsControl) {
		errs["centre_name"] = fieldMsg{Key: "setup.err.centre_name", Args: []any{maxCentreName}}
	}
	return errs
}

// validCentralURL accepts an http or https URL with a host and no user,
// query or fragment.
func validCentralURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && len(s) <= 200 && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		u.User == nil && u.RawQuery == "" && u.Fragment == "" && !strings.ContainsAny(s, " \t")
}

// validQueue accepts a CUPS queue name of Latin letters, digits, - _ and .
func validQueue(s string) bool {
	if len(s) > 127 {
		return false
	}
	for _, r := range s {
		if !(r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.')) {
			return false
		}
	}
	return true
}

// printProblem is the catalog key for what a failed test print says.
var printProblem = map[string]string{
	kiosk.PrinterPaperOut:  "setup.print.paper_out",
	kiosk.PrinterCoverOpen: "setup.print.cover_open",
	kiosk.PrinterOffline:   "setup.print.offline",
}

func (s *setupServer) postPrint(c *gin.Context) {
	ss := sess(c)
	st := s.state(ss)
	f := readSetupForm(c)
	st.draft = f
	errs := map[string]fieldMsg{}
	s.checkPrinter(f, errs)
	if len(errs) > 0 {
		ss.errs = errs
		c.Redirect(http.StatusSeeOther, "/setup#f-"+firstSetupField(errs))
		return
	}
	res := &printResult{Device: f.Printer}
	switch {
	case f.Printer == "none":
		res.Problem = "setup.print.none"
	case s.d.TestPrint == nil:
		res.Problem = "setup.print.offline"
	default:
		ctx, cancel := context.WithTimeout(c.Request.Context(), 90*time.Second)
		err := s.d.TestPrint(ctx, f)
		cancel()
		if err == nil {
			res.OK = true
			s.d.Log.Info("setup: test page printed", "printer", f.Printer, "baud", f.Baud, "profile", f.Profile)
			break
		}
		s.d.Log.Warn("setup: test print failed", "printer", f.Printer, "baud", f.Baud, "profile", f.Profile, "err", err)
		res.Problem, res.Detail = "setup.print.offline", err.Error()
		var pe *kiosk.PrinterError
		if errors.As(err, &pe) && printProblem[pe.State] != "" {
			res.Problem = printProblem[pe.State]
		}
	}
	if res.Device == "sim" {
		res.Sim, res.Device = true, path.Join(s.d.DataDir, "printer")
	}
	st.print = res
	c.Redirect(http.StatusSeeOther, "/setup#test-print")
}

// enrolProblem places an enrolment error on the form: the field it
// concerns and what to say.
func enrolProblem(err error) (string, fieldMsg) {
	var wk *WrongKioskError
	switch {
	case errors.As(err, &wk):
		return "token", fieldMsg{Key: "setup.err.wrong_kiosk", Args: []any{wk.CPC, wk.Kiosk}}
	case errors.Is(err, ErrTokenRefused):
		return "token", fieldMsg{Key: "setup.err.token.refused"}
	case errors.Is(err, ErrNotCentral):
		return "central", fieldMsg{Key: "setup.err.not_central"}
	case errors.Is(err, ErrCentralUnreachable):
		return "central", fieldMsg{Key: "setup.err.unreachable"}
	}
	return "", fieldMsg{Key: "setup.err.enrol.failed"}
}

func (s *setupServer) postEnrol(c *gin.Context) {
	ss := sess(c)
	st := s.state(ss)
	f := readSetupForm(c)
	st.draft = f
	if errs := s.checkSetup(f); len(errs) > 0 {
		errs["summary"] = fieldMsg{Key: "setup.err.fields"}
		ss.errs = errs
		c.Redirect(http.StatusSeeOther, "/setup#f-"+firstSetupField(errs))
		return
	}
	s.enrolMu.Lock()
	defer s.enrolMu.Unlock()
	if s.isEnrolled() != nil { // a second tap on the button
		c.Redirect(http.StatusSeeOther, "/setup/done")
		return
	}
	if err := s.d.Enroller.SaveConfig(f); err != nil {
		s.d.Log.Error("setup: write the configuration", "err", err)
		ss.errs = map[string]fieldMsg{"form": {Key: "setup.err.config"}}
		st.detail = err.Error()
		c.Redirect(http.StatusSeeOther, "/setup#enrol")
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 60*time.Second)
	e, err := s.d.Enroller.Enroll(ctx, f)
	cancel()
	if err != nil {
		s.d.Log.Warn("setup: enrolment failed", "central", f.Central, "cpc", f.CPC, "kiosk", f.Kiosk, "err", err)
		st.draft.Token = "" // used or refused: the operator makes a new one
		field, m := enrolProblem(err)
		ss.errs = map[string]fieldMsg{"form": m}
		if field != "" {
			ss.errs[field] = m
		}
		st.detail = err.Error()
		anchor := "enrol"
		if field != "" {
			anchor = "f-" + field
		}
		c.Redirect(http.StatusSeeOther, "/setup#"+anchor)
		return
	}
	s.d.Log.Info("setup: enrolled", "cpc", e.CPC, "kiosk", e.Kiosk, "device", e.DeviceID, "central", f.Central)
	st.draft = SetupForm{}
	s.enrolled.Store(&e)
	c.Redirect(http.StatusSeeOther, "/setup/done")
}

// setupRestartSeconds is when the "starting" page loads the home page: by
// then kioskd has exited and systemd has started it in kiosk mode.
const setupRestartSeconds = 5

func (s *setupServer) done(c *gin.Context) {
	e := s.isEnrolled()
	if e == nil {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	c.Header("Refresh", strconv.Itoa(setupRestartSeconds)+"; url=/")
	s.p.render(c, "setup-done", e, false)
	s.doneOnce.Do(func() {
		if s.d.Done != nil {
			s.d.Done(*e)
		}
	})
}
