package central

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"cpckiosk/kiosk"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Operator sessions.
const (
	SessionCookie = "cpc_operator"       // the session id, Path=/operator
	loginCookie   = "cpc_operator_login" // the login form's CSRF token, before a session exists
	SessionIdle   = 30 * time.Minute
	SessionMax    = 12 * time.Hour
)

var statusOrder = []kiosk.Status{kiosk.StatusReceived, kiosk.StatusRelayed, kiosk.StatusRegistered,
	kiosk.StatusUnderReview, kiosk.StatusDecided, kiosk.StatusClosed}

var pageFuncs = template.FuncMap{
	"ts": func(v any) string {
		switch t := v.(type) {
		case time.Time:
			if !t.IsZero() {
				return t.UTC().Format("2006-01-02 15:04:05Z")
			}
		case *time.Time:
			if t != nil && !t.IsZero() {
				return t.UTC().Format("2006-01-02 15:04:05Z")
			}
		}
		return "—"
	},
	"day": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(kiosk.Zone).Format(time.DateOnly)
	},
	"mb":    func(b uint64) uint64 { return b >> 20 },
	"mib":   func(b int64) int64 { return (b + 1<<19) >> 20 },
	"short": func(h string) string { return h[:min(len(h), 16)] },
	"hours": func(sec int64) int64 { return sec / 3600 },
	"num": func(p *int) string {
		if p == nil {
			return "—"
		}
		return strconv.Itoa(*p)
	},
	// next lists the statuses a report may move to.
	"next": func(from kiosk.Status) []kiosk.Status {
		var out []kiosk.Status
		for _, s := range statusOrder {
			if kiosk.CanTransition(from, s) {
				out = append(out, s)
			}
		}
		return out
	},
}

var pages = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, name := range []string{"verify", "login", "operator"} {
		m[name] = template.Must(template.New("layout.html").Funcs(pageFuncs).
			ParseFS(assets, "templates/layout.html", "templates/"+name+".html"))
	}
	return m
}()

func (s *Server) pageRoutes(mux *http.ServeMux) {
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/verify", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /verify", s.pageVerify)
	mux.HandleFunc("POST /verify", s.pageVerify)
	mux.HandleFunc("GET /operator", s.pageOperator)
	mux.HandleFunc("POST /operator/login", s.pageLogin)
	mux.HandleFunc("POST /operator/logout", s.sessionAction(s.actLogout))
	mux.HandleFunc("POST /operator/status", s.sessionAction(s.actStatus))
	mux.HandleFunc("POST /operator/revoke", s.sessionAction(s.actRevoke))
	mux.HandleFunc("POST /operator/token", s.sessionAction(s.actToken))
}

func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages[name].Execute(&buf, data); err != nil {
		s.log.Error("central: render page", "page", name, "err", err)
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// --- /verify ---

type verifyData struct {
	Payload string
	Result  *VerifyResult
	Error   string
}

func (s *Server) pageVerify(w http.ResponseWriter, r *http.Request) {
	var d verifyData
	if r.Method == http.MethodPost {
		if !s.allowVerify(w, r) {
			d.Error = "Too many verifications from this address. Wait a minute and try again."
			s.render(w, http.StatusTooManyRequests, "verify", d)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxAPIBody)
		if err := r.ParseForm(); err != nil {
			d.Error = "The form could not be read."
			s.render(w, http.StatusBadRequest, "verify", d)
			return
		}
		d.Payload = strings.TrimSpace(r.PostForm.Get("payload"))
		if d.Payload == "" {
			d.Error = "Paste the text of the QR code first."
			s.render(w, http.StatusBadRequest, "verify", d)
			return
		}
		res := s.Verify(d.Payload)
		d.Result = &res
	}
	s.render(w, http.StatusOK, "verify", d)
}

// --- operator sessions ---

type session struct {
	csrf     string
	created  time.Time
	seen     time.Time
	flash    string
	flashErr bool
	newToken string
}

type sessions struct {
	mu sync.Mutex
	m  map[string]*session
}

func newSessions() *sessions { return &sessions{m: make(map[string]*session)} }

func randomID() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("central: no randomness: " + err.Error()) // crypto/rand does not fail on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (ss *sessions) create(now time.Time) (string, *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for id, x := range ss.m {
		if expired(x, now) {
			delete(ss.m, id)
		}
	}
	id := randomID()
	x := &session{csrf: randomID(), created: now, seen: now}
	ss.m[id] = x
	return id, x
}

func expired(x *session, now time.Time) bool {
	return now.Sub(x.seen) > SessionIdle || now.Sub(x.created) > SessionMax
}

// with runs fn on the live session with that id, under the lock; false when
// there is none.
func (ss *sessions) with(id string, now time.Time, fn func(*session)) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	x := ss.m[id]
	if x == nil {
		return false
	}
	if expired(x, now) {
		delete(ss.m, id)
		return false
	}
	x.seen = now
	if fn != nil {
		fn(x)
	}
	return true
}

func (ss *sessions) drop(id string) {
	ss.mu.Lock()
	delete(ss.m, id)
	ss.mu.Unlock()
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/operator", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// --- /operator ---

type loginData struct {
	CSRF  string
	Error string
}

type operatorData struct {
	CSRF      string
	CPC       string
	Flash     string
	FlashErr  bool
	NewToken  string
	Stats     Stats
	Reports   []ReportInfo
	Devices   []DeviceInfo
	Conflicts []Conflict
	Releases  []Release
	Decisions []kiosk.Decision
	CPPT      CPPTOverview
	Error     string
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	csrf := randomID()
	setCookie(w, r, loginCookie, csrf, int(SessionIdle/time.Second))
	s.render(w, status, "login", loginData{CSRF: csrf, Error: msg})
}

func (s *Server) pageOperator(w http.ResponseWriter, r *http.Request) {
	var d operatorData
	ok := s.sessions.with(cookieValue(r, SessionCookie), s.now(), func(x *session) {
		d.CSRF, d.Flash, d.FlashErr, d.NewToken = x.csrf, x.flash, x.flashErr, x.newToken
		x.flash, x.flashErr, x.newToken = "", false, ""
	})
	if !ok {
		s.showLogin(w, r, http.StatusOK, "")
		return
	}
	d.CPC = strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("cpc")))
	d.Decisions = []kiosk.Decision{kiosk.DecisionCaseOpened, kiosk.DecisionRefused, kiosk.DecisionTransferred}
	var err error
	if d.Reports, err = s.Reports(d.CPC); err != nil {
		d.Error = strings.TrimPrefix(err.Error(), "central: ")
		d.Reports = nil
	}
	if d.Devices, err = s.Devices(); err == nil {
		d.Conflicts, err = s.Conflicts()
	}
	if err == nil {
		d.Stats, err = s.Stats()
	}
	if err == nil && (d.CPC == "" || kiosk.ValidCPC(d.CPC)) {
		d.CPPT, err = s.CPPTOverview(d.CPC)
	}
	d.Releases = s.Releases()
	if err != nil {
		d.Error = strings.TrimPrefix(err.Error(), "central: ")
	}
	s.render(w, http.StatusOK, "operator", d)
}

func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request) {
	if ok, _ := s.loginLimit.allow(clientIP(r), s.now()); !ok {
		s.showLogin(w, r, http.StatusTooManyRequests, "Too many attempts from this address. Wait a minute.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxAPIBody)
	if err := r.ParseForm(); err != nil {
		s.showLogin(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	if !sameToken(r.PostForm.Get("csrf"), cookieValue(r, loginCookie)) {
		s.showLogin(w, r, http.StatusForbidden, "The form expired. Please try again.")
		return
	}
	if !s.operatorOK(strings.TrimSpace(r.PostForm.Get("token"))) {
		s.log.Warn("central: operator login refused", "client", clientIP(r))
		s.showLogin(w, r, http.StatusUnauthorized, "Wrong operator token.")
		return
	}
	id, _ := s.sessions.create(s.now())
	setCookie(w, r, loginCookie, "", -1)
	setCookie(w, r, SessionCookie, id, int(SessionMax/time.Second))
	s.log.Info("central: operator logged in", "client", clientIP(r))
	http.Redirect(w, r, "/operator", http.StatusSeeOther)
}

// sessionAction wraps a form POST: it needs a live session and the
// session's CSRF token in the form; it redirects back to the operator page.
func (s *Server) sessionAction(act func(w http.ResponseWriter, r *http.Request, id string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, MaxAPIBody)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "the form could not be read", http.StatusBadRequest)
			return
		}
		id := cookieValue(r, SessionCookie)
		var csrfOK bool
		live := s.sessions.with(id, s.now(), func(x *session) {
			csrfOK = sameToken(r.PostForm.Get("csrf"), x.csrf)
		})
		if !live {
			http.Redirect(w, r, "/operator", http.StatusSeeOther)
			return
		}
		if !csrfOK {
			http.Error(w, "missing or wrong CSRF token: reload the operator page", http.StatusForbidden)
			return
		}
		act(w, r, id)
		back := "/operator"
		if c := r.PostForm.Get("back_cpc"); kiosk.ValidCPC(c) {
			back += "?cpc=" + url.QueryEscape(c)
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
	}
}

// flash leaves a message for the next operator page of the session.
func (s *Server) flash(id, msg string, isErr bool) {
	s.sessions.with(id, s.now(), func(x *session) { x.flash, x.flashErr = msg, isErr })
}

func (s *Server) actLogout(w http.ResponseWriter, r *http.Request, id string) {
	s.sessions.drop(id)
	setCookie(w, r, SessionCookie, "", -1)
}

func (s *Server) actStatus(w http.ResponseWriter, r *http.Request, id string) {
	f := r.PostForm
	number := f.Get("number")
	rep, err := s.SetStatus(number, StatusChange{Status: kiosk.Status(f.Get("status")), Decision: kiosk.Decision(f.Get("decision")),
		Note: f.Get("note"), CaseNumber: f.Get("case_number")})
	if err != nil {
		s.flash(id, strings.TrimPrefix(err.Error(), "central: "), true)
		return
	}
	s.flash(id, "Report "+rep.Number+" is now "+string(rep.Status)+".", false)
}

func (s *Server) actRevoke(w http.ResponseWriter, r *http.Request, id string) {
	d, err := s.Revoke(r.PostForm.Get("id"))
	if err != nil {
		s.flash(id, strings.TrimPrefix(err.Error(), "central: "), true)
		return
	}
	s.flash(id, "Device "+d.ID+" is revoked.", false)
}

func (s *Server) actToken(w http.ResponseWriter, r *http.Request, id string) {
	k, _ := strconv.Atoi(r.PostForm.Get("kiosk"))
	cpc := strings.ToUpper(strings.TrimSpace(r.PostForm.Get("cpc")))
	tok, err := s.NewToken(cpc, k)
	if err != nil {
		s.flash(id, strings.TrimPrefix(err.Error(), "central: "), true)
		return
	}
	s.sessions.with(id, s.now(), func(x *session) {
		x.newToken = tok
		x.flash, x.flashErr = "One-time enrolment token for "+cpc+strconv.Itoa(k)+", valid "+s.tokenTTL.String()+":", false
	})
}
