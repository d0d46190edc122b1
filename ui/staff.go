package ui

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"cpckiosk/kiosk"
)

// The staff console: officers, the partnership team and admins log in at
// the kiosk itself. This file holds what every staff route shares — login,
// sessions, the role guard, CSRF and the staff layout; officer.go, cppt.go
// and admin.go hold the pages of each role.
//
// A staff session lives in memory only, apart from the citizen's: its own
// HttpOnly SameSite=Strict cookie, 5 minutes idle at most (the page counts
// down and logs out), ended by "log out". Every route that needs a role is
// registered through page or api, which wrap it in the guard and record its
// roles, so that TestStaffRoutesGuarded enumerates every one of them from the
// router: no session 401, a wrong role 403, a write without the CSRF token
// 403.

const (
	staffCookie       = "kiosk_staff"
	staffCookieSecure = "__Host-kiosk_staff"
	staffIdle         = 5 * time.Minute
	staffLifetime     = 12 * time.Hour
	maxStaffSessions  = 16
	// csrfHeader carries the CSRF token of JSON requests.
	csrfHeader = "X-CSRF-Token"
	// staffIdleWarn is how long before the idle logout the page warns.
	staffIdleWarn = 60
)

// Who may call a route.
var (
	officerOnly     = []kiosk.Role{kiosk.RoleOfficer}
	officerAndAdmin = []kiosk.Role{kiosk.RoleOfficer, kiosk.RoleAdmin}
	cpptRoles       = []kiosk.Role{kiosk.RoleCPPT, kiosk.RoleAdmin}
	adminOnly       = []kiosk.Role{kiosk.RoleAdmin}
	anyStaff        = []kiosk.Role{kiosk.RoleAdmin, kiosk.RoleOfficer, kiosk.RoleCPPT}
)

// landing is where each role starts after login.
var landing = map[kiosk.Role]string{
	kiosk.RoleOfficer: "/staff/reports",
	kiosk.RoleCPPT:    "/cppt",
	kiosk.RoleAdmin:   "/admin",
}

// staffSession is one logged-in staff member. The handler of a guarded route
// holds mu for the whole request.
type staffSession struct {
	mu      sync.Mutex
	id      string
	created time.Time
	seen    time.Time

	User    kiosk.User // SecretHash cleared
	Lang    string
	CSRF    string
	Notice  string         // catalog key shown once on the next page
	Scratch map[string]any // state of multi-step forms; wiped at logout
	// training: the session's last request was served in training mode;
	// Scratch is wiped when that changes, so no form carries a record of
	// one world into the other.
	training bool
}

// Actor is the session's user as the domain knows them.
func (ss *staffSession) Actor() kiosk.Actor { return ss.User.Actor() }

// staffStore keeps staff sessions in memory.
type staffStore struct {
	mu   sync.Mutex
	m    map[string]*staffSession
	now  func() time.Time
	idle time.Duration
	life time.Duration
	max  int
}

func newStaffStore(now func() time.Time) *staffStore {
	if now == nil {
		now = time.Now
	}
	return &staffStore{m: map[string]*staffSession{}, now: now, idle: staffIdle, life: staffLifetime, max: maxStaffSessions}
}

func (s *staffStore) expired(ss *staffSession, now time.Time) bool {
	return now.Sub(ss.seen) > s.idle || now.Sub(ss.created) > s.life
}

// get returns the live session with this id, touching it, or nil.
func (s *staffStore) get(id string) *staffSession {
	if id == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.m[id]
	if ss == nil {
		return nil
	}
	if now := s.now(); !s.expired(ss, now) {
		ss.seen = now
		return ss
	}
	delete(s.m, id)
	return nil
}

// create starts a session for u, ending any other session of the same user
// and, when the store is full, the one unused for longest.
func (s *staffStore) create(u kiosk.User, lang string) *staffSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for id, ss := range s.m {
		if s.expired(ss, now) || ss.User.Username == u.Username {
			delete(s.m, id)
		}
	}
	for len(s.m) >= s.max {
		var oldest *staffSession
		for _, ss := range s.m {
			if oldest == nil || ss.seen.Before(oldest.seen) {
				oldest = ss
			}
		}
		delete(s.m, oldest.id)
	}
	u.SecretHash = ""
	ss := &staffSession{id: randomToken(), CSRF: randomToken(), created: now, seen: now, User: u, Lang: lang,
		Scratch: map[string]any{}}
	s.m[ss.id] = ss
	return ss
}

func (s *staffStore) drop(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// dropUser ends every session of a user (disabled, password reset).
func (s *staffStore) dropUser(username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, ss := range s.m {
		if ss.User.Username == username {
			delete(s.m, id)
		}
	}
}

// staff serves the staff console.
type staff struct {
	d      Deps
	o      pageOptions
	r      *gin.Engine
	store  *staffStore
	tmpl   map[string]*template.Template
	logins *kiosk.Limiter       // failed logins per client, beside the per-account lock
	routes map[string]routeRule // "METHOD /path" → who may call it
}

type routeRule struct {
	Roles []kiosk.Role
	API   bool
}

// loginFailuresPerClient bounds the wrong logins one client may try across
// accounts (password spraying) in loginWindow.
const (
	loginFailuresPerClient = 20
	loginWindow            = 15 * time.Minute
)

func newStaff(r *gin.Engine, d Deps, o pageOptions, tmpl map[string]*template.Template) *staff {
	s := &staff{d: d, o: o, r: r, store: newStaffStore(o.Now), tmpl: tmpl,
		logins: kiosk.NewLimiter(loginFailuresPerClient, loginWindow), routes: map[string]routeRule{}}
	if d.StaffSessions != nil { // shared with the other world's router (training.go)
		s.store, s.logins = d.StaffSessions.store, d.StaffSessions.logins
	}
	return s
}

func (s *staff) register() {
	s.r.GET("/staff/login", s.loginPage)
	s.r.POST("/staff/login", s.postLogin)
	s.r.POST("/staff/logout", s.logout)
	s.r.POST("/api/v1/session", s.apiLogin)
	s.r.DELETE("/api/v1/session", s.logout)
	s.api(http.MethodGet, "/session", anyStaff, s.apiWhoami)
	s.page(http.MethodGet, "/staff", anyStaff, func(c *gin.Context) {
		c.Redirect(http.StatusSeeOther, landing[staffOf(c).User.Role])
	})
	s.registerOfficer()
	s.registerCPPT()
	s.registerAdmin()
}

// page registers an HTML route that needs one of roles.
func (s *staff) page(method, path string, roles []kiosk.Role, h gin.HandlerFunc) {
	s.routes[method+" "+path] = routeRule{Roles: roles}
	s.r.Handle(method, path, s.guard(roles, false), h)
}

// api registers a JSON route under /api/v1 that needs one of roles.
func (s *staff) api(method, path string, roles []kiosk.Role, h gin.HandlerFunc) {
	path = "/api/v1" + path
	s.routes[method+" "+path] = routeRule{Roles: roles, API: true}
	s.r.Handle(method, path, s.guard(roles, true), h)
}

func (s *staff) cookieName(c *gin.Context) string {
	if c.Request.TLS != nil {
		return staffCookieSecure
	}
	return staffCookie
}

// session returns the request's live staff session, or nil.
func (s *staff) session(c *gin.Context) *staffSession {
	ck, err := c.Request.Cookie(s.cookieName(c))
	if err != nil {
		return nil
	}
	return s.store.get(ck.Value)
}

func writes(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// guard admits the request only with a live session of one of roles and,
// for writes, its CSRF token. It holds the session for the request.
func (s *staff) guard(roles []kiosk.Role, api bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		ss := s.session(c)
		if ss == nil {
			if api {
				apiError(c, http.StatusUnauthorized, "unauthorized", "log in first: POST /api/v1/session", "")
			} else {
				s.renderLogin(c, http.StatusUnauthorized, "staff.login.expired")
				c.Abort()
			}
			return
		}
		ss.mu.Lock()
		defer ss.mu.Unlock()
		if s.d.Accounts != nil {
			ok, err := s.d.Accounts.Active(c.Request.Context(), ss.User.Username, ss.User.Role)
			if err != nil {
				s.d.Log.Error("staff session: check account", "err", err)
				apiError(c, http.StatusServiceUnavailable, "unavailable", "the kiosk cannot check your account right now", "")
				return
			}
			if !ok { // disabled or changed since login
				s.store.drop(ss.id)
				if api {
					apiError(c, http.StatusUnauthorized, "unauthorized", "the account was disabled or changed: log in again", "")
				} else {
					s.renderLogin(c, http.StatusUnauthorized, "staff.login.expired")
					c.Abort()
				}
				return
			}
		}
		if t := s.d.training(); t != ss.training {
			ss.training, ss.Scratch = t, map[string]any{}
		}
		if l := c.Query("lang"); validLang(l) {
			ss.Lang = l
		}
		if !slices.Contains(roles, ss.User.Role) {
			if api {
				apiError(c, http.StatusForbidden, "forbidden", "your role may not do this", "")
			} else {
				s.renderStatus(c, http.StatusForbidden, "staff-forbidden", nil, ss)
				c.Abort()
			}
			return
		}
		if writes(c.Request.Method) {
			token := c.GetHeader(csrfHeader)
			if !api && token == "" {
				token = c.PostForm("csrf")
			}
			if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(ss.CSRF)) != 1 {
				if api {
					apiError(c, http.StatusForbidden, "csrf", "missing or wrong "+csrfHeader+" header", "")
				} else {
					ss.Notice = "staff.err.csrf"
					s.renderStatus(c, http.StatusForbidden, "staff-forbidden", nil, ss)
					c.Abort()
				}
				return
			}
		}
		c.Set("staff", ss)
		c.Next()
	}
}

// staffOf is the session of a guarded route.
func staffOf(c *gin.Context) *staffSession { return c.MustGet("staff").(*staffSession) }

// audit writes one audit entry by the session's user.
func (s *staff) audit(c *gin.Context, action, record, detail string) error {
	return s.d.Service.Audit(c.Request.Context(), staffOf(c).User.Username, action, record, detail)
}

// ---- login and logout ----

type loginForm struct {
	Username string
}

func (s *staff) loginPage(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	if ss := s.session(c); ss != nil {
		c.Redirect(http.StatusSeeOther, landing[ss.User.Role])
		return
	}
	s.renderLogin(c, http.StatusOK, "")
}

// renderLogin shows the login form (on 401 too: the page is where the
// person can do something about it).
func (s *staff) renderLogin(c *gin.Context, status int, notice string, username ...string) {
	lang := c.Query("lang")
	if !validLang(lang) {
		lang = c.PostForm("lang")
	}
	if !validLang(lang) {
		lang = defaultLang
	}
	f := loginForm{}
	if len(username) > 0 {
		f.Username = username[0]
	}
	s.renderView(c, status, "staff-login", f, &staffSession{Lang: lang, Notice: notice})
}

// loginError is the catalog key of a failed login.
func loginError(err error) string {
	switch {
	case errors.Is(err, kiosk.ErrLocked):
		return "staff.login.locked"
	case errors.Is(err, kiosk.ErrLoginFailed):
		return "staff.login.failed"
	case errors.Is(err, kiosk.ErrRateLimited):
		return "staff.login.limited"
	default:
		return "staff.login.unavailable"
	}
}

// login checks the secret and starts a session: the one path of the page
// and the API.
func (s *staff) login(c *gin.Context, username, password, lang string) (*staffSession, error) {
	client := c.ClientIP()
	now := time.Now()
	if s.logins.Limited(client, now) {
		return nil, kiosk.ErrRateLimited
	}
	if s.d.Accounts == nil {
		return nil, errors.New("no staff accounts on this kiosk")
	}
	username = strings.ToLower(strings.TrimSpace(username))
	u, err := s.d.Accounts.Login(c.Request.Context(), username, password)
	if err != nil {
		if errors.Is(err, kiosk.ErrLoginFailed) || errors.Is(err, kiosk.ErrLocked) {
			s.logins.Fail(client, now)
		}
		return nil, err
	}
	if !validLang(lang) {
		lang = defaultLang
	}
	ss := s.store.create(*u, lang)
	http.SetCookie(c.Writer, &http.Cookie{Name: s.cookieName(c), Value: ss.id, Path: "/", HttpOnly: true,
		Secure: c.Request.TLS != nil, SameSite: http.SameSiteStrictMode})
	return ss, nil
}

// sameOrigin refuses a login posted from another site (login CSRF, which no
// session token can stop as there is no session yet): browsers send Origin
// with every POST; tools such as curl send none.
func sameOrigin(c *gin.Context) bool {
	o := c.GetHeader("Origin")
	if o == "" {
		return true
	}
	if o == "null" {
		// The pages' Referrer-Policy no-referrer makes Chromium send
		// "Origin: null" with a form post; Sec-Fetch-Site still tells
		// whether the form was the kiosk's own.
		return c.GetHeader("Sec-Fetch-Site") == "same-origin"
	}
	scheme := "http://"
	if c.Request.TLS != nil {
		scheme = "https://"
	}
	return o == scheme+c.Request.Host
}

func (s *staff) postLogin(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	if !sameOrigin(c) {
		s.renderLogin(c, http.StatusForbidden, "staff.err.csrf")
		return
	}
	username := c.PostForm("username")
	ss, err := s.login(c, username, c.PostForm("password"), c.PostForm("lang"))
	if err != nil {
		if key := loginError(err); key == "staff.login.unavailable" {
			s.d.Log.Error("staff login failed", "err", err)
		}
		status := http.StatusUnauthorized
		if errors.Is(err, kiosk.ErrRateLimited) || errors.Is(err, kiosk.ErrLocked) {
			status = http.StatusTooManyRequests
		}
		if !kiosk.ValidUsername(strings.ToLower(strings.TrimSpace(username))) {
			username = ""
		}
		s.renderLogin(c, status, loginError(err), username)
		return
	}
	c.Redirect(http.StatusSeeOther, landing[ss.User.Role])
}

type sessionRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Lang     string `json:"lang"`
}

type sessionReply struct {
	Username   string     `json:"username"`
	FullName   string     `json:"full_name"`
	Role       kiosk.Role `json:"role"`
	CSRFToken  string     `json:"csrf_token"`
	IdleExpiry int        `json:"idle_timeout_seconds"`
}

func (s *staff) reply(ss *staffSession) sessionReply {
	return sessionReply{Username: ss.User.Username, FullName: ss.User.FullName, Role: ss.User.Role,
		CSRFToken: ss.CSRF, IdleExpiry: int(s.store.idle / time.Second)}
}

func (s *staff) apiLogin(c *gin.Context) {
	if !sameOrigin(c) {
		apiError(c, http.StatusForbidden, "csrf", "a login from another origin is refused", "")
		return
	}
	var in sessionRequest
	if !decode(c, &in) {
		return
	}
	ss, err := s.login(c, in.Username, in.Password, in.Lang)
	switch {
	case err == nil:
		c.JSON(http.StatusCreated, s.reply(ss))
	case errors.Is(err, kiosk.ErrRateLimited):
		c.Header("Retry-After", "900")
		apiError(c, http.StatusTooManyRequests, "rate_limited", "too many wrong logins from this client: try again in 15 minutes", "")
	case errors.Is(err, kiosk.ErrLocked):
		c.Header("Retry-After", "900")
		apiError(c, http.StatusTooManyRequests, "locked", "the account is locked after 5 wrong passwords: try again in 15 minutes or ask an admin", "")
	case errors.Is(err, kiosk.ErrLoginFailed):
		apiError(c, http.StatusUnauthorized, "login_failed", "wrong username or password", "")
	default:
		domainError(c, s.d.Log, err)
	}
}

func (s *staff) apiWhoami(c *gin.Context) { c.JSON(http.StatusOK, s.reply(staffOf(c))) }

// logout ends the session (page: POST /staff/logout; API: DELETE
// /api/v1/session). Like the citizen's exit it needs no CSRF token: ending a
// session is always safe.
func (s *staff) logout(c *gin.Context) {
	ss := s.session(c)
	if ss != nil {
		ss.mu.Lock()
		s.store.drop(ss.id)
		user := ss.User.Username
		ss.Scratch, ss.CSRF = nil, ""
		ss.mu.Unlock()
		reason := c.PostForm("reason")
		if reason != "idle" {
			reason = "log out"
		}
		if err := s.d.Service.Audit(c.Request.Context(), user, "staff.logout", "user:"+user, reason); err != nil {
			s.d.Log.Error("audit logout", "err", err)
		}
	}
	c.Header("Clear-Site-Data", `"cache", "storage"`)
	http.SetCookie(c.Writer, &http.Cookie{Name: s.cookieName(c), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: c.Request.TLS != nil, SameSite: http.SameSiteStrictMode})
	if strings.HasPrefix(c.Request.URL.Path, "/api/") {
		c.Status(http.StatusNoContent)
		return
	}
	c.Redirect(http.StatusSeeOther, "/")
}

// ---- the staff layout ----

// staffView is the logged-in user as the layout shows them.
type staffView struct {
	Username, FullName string
	Role               kiosk.Role
	Nav                []navLink
}

type navLink struct {
	Href, Key string
	Current   bool
}

// staffNav lists each role's sections.
var staffNav = map[kiosk.Role][]navLink{
	kiosk.RoleOfficer: {{Href: "/staff/reports", Key: "staff.nav.reports"}, {Href: "/staff/device", Key: "staff.nav.device"}},
	kiosk.RoleCPPT:    {{Href: "/cppt", Key: "staff.nav.cppt"}, {Href: "/cppt/charts", Key: "staff.nav.charts"}},
	kiosk.RoleAdmin: {{Href: "/admin", Key: "staff.nav.users"}, {Href: "/admin/audit", Key: "staff.nav.audit"},
		{Href: "/cppt", Key: "staff.nav.cppt"}, {Href: "/staff/device", Key: "staff.nav.device"}},
}

// render shows templates/<name>.html in the staff layout.
func (s *staff) render(c *gin.Context, name string, data any) {
	s.renderStatus(c, http.StatusOK, name, data, staffOf(c))
}

func (s *staff) renderStatus(c *gin.Context, status int, name string, data any, ss *staffSession) {
	s.renderView(c, status, name, data, ss)
}

func (s *staff) renderView(c *gin.Context, status int, name string, data any, ss *staffSession) {
	t := s.tmpl[name]
	if t == nil {
		s.d.Log.Error("no such page template", "page", name)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	v := &view{Name: name, Lang: ss.Lang, CSRF: ss.CSRF, Path: c.Request.URL.Path,
		Idle: int(s.store.idle/time.Second) - staffIdleWarn, Countdown: staffIdleWarn, IdleAction: "/staff/logout", Console: true,
		Data: data, Centre: s.d.Site.CentreName, Hotline: s.d.Site.Hotline, Places: s.d.Site.Places,
		Training: s.d.training()}
	if v.Centre == "" {
		v.Centre = tr(ss.Lang, "site.centre")
	}
	if ss.User.Username != "" {
		sv := &staffView{Username: ss.User.Username, FullName: ss.User.FullName, Role: ss.User.Role}
		for _, l := range staffNav[ss.User.Role] {
			l.Current = v.Path == l.Href || strings.HasPrefix(v.Path, l.Href+"/")
			sv.Nav = append(sv.Nav, l)
		}
		v.Staff = sv
	}
	if ss.Notice != "" {
		v.Notice = tr(ss.Lang, ss.Notice)
		ss.Notice = ""
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.d.Log.Error("render page", "page", name, "err", err)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// guardedRoutes lists the registered guarded routes, sorted (for tests and
// the docs).
func (s *staff) guardedRoutes() []string {
	out := make([]string, 0, len(s.routes))
	for k := range s.routes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
