package ui

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"cpckiosk/kiosk"
)

// The admin pages: staff accounts (list, add, reset a password, disable),
// the audit trail with the result of its hash-chain check and its export,
// and training mode (training.go, kiosk/daemon/training.go); the JSON API
// beside them is documented in docs/admin-api.md.
//
// Account changes go through kiosk.Accounts with the admin as the actor,
// which audits each in the transaction of the change. The audit trail and
// the switch of training mode are always the real ones (Deps.Admin), also
// while the pages work on training records. Passwords are typed twice on
// the on-screen keyboard and are never shown again, logged or put into a
// URL.

// registerAdmin adds the admin pages and their JSON API (see staff.go for
// page, api and the role guard; tests: newStaffFixture in staff_test.go).
func (s *staff) registerAdmin() {
	get, post := http.MethodGet, http.MethodPost
	s.page(get, "/admin", adminOnly, s.adminUsers)
	s.page(get, "/admin/users/new", adminOnly, s.adminNewUser)
	s.page(post, "/admin/users/new", adminOnly, s.adminAddUser)
	s.page(get, "/admin/users/:username", adminOnly, s.adminUser)
	s.page(post, "/admin/users/:username/reset", adminOnly, s.adminReset)
	s.page(post, "/admin/users/:username/disable", adminOnly, s.adminDisable)
	s.page(get, "/admin/audit", adminOnly, s.adminAudit)
	s.page(get, "/admin/audit/export.jsonl", adminOnly, s.adminExport)
	s.page(get, "/admin/audit/export.csv", adminOnly, s.adminExport)
	s.page(get, "/admin/training", adminOnly, s.adminTraining)
	s.page(post, "/admin/training", adminOnly, s.adminSetTraining)

	s.api(get, "/staff/users", adminOnly, s.apiUsers)
	s.api(post, "/staff/users", adminOnly, s.apiAddUser)
	s.api(post, "/staff/users/:username/reset", adminOnly, s.apiResetUser)
	s.api(post, "/staff/users/:username/disable", adminOnly, s.apiDisableUser)
	s.api(get, "/staff/audit", adminOnly, s.apiAudit)
	s.api(get, "/staff/audit/verify", adminOnly, s.apiVerifyAudit)
	s.api(get, "/staff/training", adminOnly, s.apiTraining)
	s.api(post, "/staff/training", adminOnly, s.apiSetTraining)
}

// adminNow is the time the pages compare lock times with.
func (s *staff) adminNow() time.Time {
	if s.o.Now != nil {
		return s.o.Now()
	}
	return time.Now()
}

// ---- accounts ----

// userInfo is an account as the admin sees it: never its hash.
type userInfo struct {
	Username    string     `json:"username"`
	FullName    string     `json:"full_name"`
	Role        kiosk.Role `json:"role"`
	Disabled    bool       `json:"disabled"`
	LockedUntil *time.Time `json:"locked_until,omitempty"` // only while locked
	CreatedAt   time.Time  `json:"created_at"`
	Self        bool       `json:"-"` // the admin looking at the page
}

func (s *staff) userInfo(u kiosk.User, self string) userInfo {
	i := userInfo{Username: u.Username, FullName: u.FullName, Role: u.Role, Disabled: u.Disabled,
		CreatedAt: u.CreatedAt, Self: u.Username == self}
	if s.adminNow().Before(u.LockedUntil) {
		t := u.LockedUntil
		i.LockedUntil = &t
	}
	return i
}

// users lists the accounts, by username.
func (s *staff) users(c *gin.Context) ([]userInfo, error) {
	list, err := s.d.Accounts.List(c.Request.Context())
	if err != nil {
		return nil, err
	}
	self := staffOf(c).User.Username
	out := make([]userInfo, 0, len(list))
	for _, u := range list {
		out = append(out, s.userInfo(u, self))
	}
	slices.SortFunc(out, func(a, b userInfo) int { return strings.Compare(a.Username, b.Username) })
	return out, nil
}

// accountsOK returns true when this kiosk has staff accounts, else it shows
// that it has none.
func (s *staff) accountsOK(c *gin.Context) bool {
	if s.d.Accounts != nil {
		return true
	}
	if strings.HasPrefix(c.Request.URL.Path, "/api/") {
		apiError(c, http.StatusServiceUnavailable, "unavailable", "this kiosk has no staff accounts", "")
	} else {
		s.adminFail(c, http.StatusServiceUnavailable, "admin.err.unavailable")
	}
	return false
}

// adminFail shows the admin error page with a message.
func (s *staff) adminFail(c *gin.Context, status int, key string) {
	ss := staffOf(c)
	ss.Notice = key
	s.renderStatus(c, status, "admin-error", nil, ss)
}

// adminError is the page for an error of the store or an unknown user.
func (s *staff) adminError(c *gin.Context, err error) {
	switch {
	case errors.Is(err, kiosk.ErrNotFound):
		s.adminFail(c, http.StatusNotFound, "admin.err.no_user")
	default:
		s.d.Log.Error("admin request failed", "route", c.FullPath(), "err", err)
		s.adminFail(c, http.StatusServiceUnavailable, "admin.err.unavailable")
	}
}

type adminUsersPage struct {
	Users    []userInfo
	Training kiosk.TrainingState
	HasAdmin bool // training mode can be switched here
}

func (s *staff) adminUsers(c *gin.Context) {
	if !s.accountsOK(c) {
		return
	}
	users, err := s.users(c)
	if err != nil {
		s.adminError(c, err)
		return
	}
	p := adminUsersPage{Users: users, HasAdmin: s.d.Admin != nil}
	if s.d.Admin != nil {
		p.Training = s.d.Admin.TrainingState()
	}
	s.render(c, "admin-users", p)
}

// newUserForm is the form of a new account; passwords are never echoed.
type newUserForm struct {
	Username, FullName, Role string
}

type adminNewUserPage struct {
	F     newUserForm
	Roles []kiosk.Role
	Errs  map[string]string
}

func (s *staff) adminNewUser(c *gin.Context) {
	if !s.accountsOK(c) {
		return
	}
	s.render(c, "admin-user-new", adminNewUserPage{Roles: kiosk.Roles})
}

// passwordsMatch is the error of a second password that differs.
func passwordsMatch(p1, p2 string) error {
	if p1 != p2 {
		return &kiosk.ValidationError{Fields: []kiosk.FieldError{{Field: "password2", Code: "mismatch", Message: "the two passwords differ"}}}
	}
	return nil
}

// nameGiven is the error of a new account without a full name: the audit
// trail names users by username, the pages by name.
func nameGiven(fullName string) error {
	if strings.TrimSpace(fullName) == "" {
		return &kiosk.ValidationError{Fields: []kiosk.FieldError{{Field: "full_name", Code: "required", Message: "give the person's full name"}}}
	}
	return nil
}

// adminFormErrors translates a validation error (or ErrExists) into
// messages by form field: admin.err.<field>.<code>, else admin.err.<code>.
func adminFormErrors(lang string, err error) map[string]string {
	if errors.Is(err, kiosk.ErrExists) {
		return map[string]string{"username": tr(lang, "admin.err.username.taken")}
	}
	var fields []kiosk.FieldError
	if j, ok := err.(interface{ Unwrap() []error }); ok { // errors.Join of several checks
		for _, e := range j.Unwrap() {
			var ve *kiosk.ValidationError
			if errors.As(e, &ve) {
				fields = append(fields, ve.Fields...)
			}
		}
	} else if ve := (*kiosk.ValidationError)(nil); errors.As(err, &ve) {
		fields = ve.Fields
	}
	if len(fields) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, f := range fields {
		if _, dup := out[f.Field]; dup {
			continue
		}
		msg := tr(lang, "admin.err.invalid")
		for _, k := range []string{"admin.err." + f.Field + "." + f.Code, "admin.err." + f.Code} {
			if has(lang, k) {
				msg = tr(lang, k)
				break
			}
		}
		out[f.Field] = msg
	}
	return out
}

func (s *staff) adminAddUser(c *gin.Context) {
	if !s.accountsOK(c) {
		return
	}
	ss := staffOf(c)
	f := newUserForm{Username: strings.ToLower(strings.TrimSpace(c.PostForm("username"))),
		FullName: c.PostForm("full_name"), Role: c.PostForm("role")}
	p1, p2 := c.PostForm("password"), c.PostForm("password2")
	err := errors.Join(nameGiven(f.FullName), passwordsMatch(p1, p2))
	if err == nil {
		err = s.d.Accounts.Add(c.Request.Context(), ss.User.Username, f.Username, f.FullName, kiosk.Role(f.Role), p1)
	}
	if errs := adminFormErrors(ss.Lang, err); errs != nil {
		s.renderStatus(c, http.StatusUnprocessableEntity, "admin-user-new", adminNewUserPage{F: f, Roles: kiosk.Roles, Errs: errs}, ss)
		return
	}
	if err != nil {
		s.adminError(c, err)
		return
	}
	ss.Notice = "admin.notice.added"
	c.Redirect(http.StatusSeeOther, "/admin/users/"+f.Username)
}

type adminUserPage struct {
	U    userInfo
	Errs map[string]string
}

func (s *staff) adminUser(c *gin.Context) {
	if !s.accountsOK(c) {
		return
	}
	u, err := s.userOrError(c)
	if err != nil {
		s.adminError(c, err)
		return
	}
	s.render(c, "admin-user", adminUserPage{U: s.userInfo(*u, staffOf(c).User.Username)})
}

// userOrError is the :username account, ErrNotFound or the store's error.
func (s *staff) userOrError(c *gin.Context) (*kiosk.User, error) {
	name := c.Param("username")
	if !kiosk.ValidUsername(name) {
		return nil, kiosk.ErrNotFound
	}
	list, err := s.d.Accounts.List(c.Request.Context())
	if err != nil {
		return nil, err
	}
	for _, u := range list {
		if u.Username == name {
			return &u, nil
		}
	}
	return nil, kiosk.ErrNotFound
}

// resetUser sets a new password (which also enables the account and clears
// its lock) and ends the user's sessions unless it is the admin's own.
func (s *staff) resetUser(c *gin.Context, username, p1, p2 string) error {
	if err := passwordsMatch(p1, p2); err != nil {
		return err
	}
	ss := staffOf(c)
	if err := s.d.Accounts.Reset(c.Request.Context(), ss.User.Username, username, p1); err != nil {
		return err
	}
	if username != ss.User.Username {
		s.store.dropUser(username)
	}
	return nil
}

// errSelf: an admin may not disable their own account.
var errSelf = errors.New("an admin cannot disable their own account")

// disableUser disables the account and ends its sessions.
func (s *staff) disableUser(c *gin.Context, username string) error {
	ss := staffOf(c)
	if username == ss.User.Username {
		return errSelf
	}
	if err := s.d.Accounts.Disable(c.Request.Context(), ss.User.Username, username); err != nil {
		return err
	}
	s.store.dropUser(username)
	return nil
}

func (s *staff) adminReset(c *gin.Context) {
	if !s.accountsOK(c) {
		return
	}
	ss := staffOf(c)
	u, err := s.userOrError(c)
	if err != nil {
		s.adminError(c, err)
		return
	}
	err = s.resetUser(c, u.Username, c.PostForm("password"), c.PostForm("password2"))
	if errs := adminFormErrors(ss.Lang, err); errs != nil {
		s.renderStatus(c, http.StatusUnprocessableEntity, "admin-user", adminUserPage{U: s.userInfo(*u, ss.User.Username), Errs: errs}, ss)
		return
	}
	if err != nil {
		s.adminError(c, err)
		return
	}
	ss.Notice = "admin.notice.reset"
	c.Redirect(http.StatusSeeOther, "/admin/users/"+u.Username)
}

func (s *staff) adminDisable(c *gin.Context) {
	if !s.accountsOK(c) {
		return
	}
	ss := staffOf(c)
	u, err := s.userOrError(c)
	if err != nil {
		s.adminError(c, err)
		return
	}
	switch err := s.disableUser(c, u.Username); {
	case errors.Is(err, errSelf):
		s.adminFail(c, http.StatusConflict, "admin.err.self")
	case err != nil:
		s.adminError(c, err)
	default:
		ss.Notice = "admin.notice.disabled"
		c.Redirect(http.StatusSeeOther, "/admin/users/"+u.Username)
	}
}

// ---- accounts: JSON ----

func (s *staff) apiUsers(c *gin.Context) {
	if !s.accountsOK(c) {
		return
	}
	users, err := s.users(c)
	if err != nil {
		domainError(c, s.d.Log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"users": users})
}

type newUserRequest struct {
	Username string     `json:"username"`
	FullName string     `json:"full_name"`
	Role     kiosk.Role `json:"role"`
	Password string     `json:"password"`
}

// userError answers a refused account change.
func (s *staff) userError(c *gin.Context, err error) {
	switch {
	case errors.Is(err, kiosk.ErrExists):
		apiError(c, http.StatusConflict, "exists", "the username is taken", "username")
	case errors.Is(err, kiosk.ErrNotFound):
		apiError(c, http.StatusNotFound, "not_found", "no such user", "")
	case errors.Is(err, errSelf):
		apiError(c, http.StatusConflict, "self", errSelf.Error(), "")
	default:
		domainError(c, s.d.Log, err)
	}
}

func (s *staff) apiAddUser(c *gin.Context) {
	if !s.accountsOK(c) {
		return
	}
	var in newUserRequest
	if !decode(c, &in) {
		return
	}
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	if err := nameGiven(in.FullName); err != nil {
		domainError(c, s.d.Log, err)
		return
	}
	if err := s.d.Accounts.Add(c.Request.Context(), staffOf(c).User.Username, in.Username, in.FullName, in.Role, in.Password); err != nil {
		s.userError(c, err)
		return
	}
	u, err := s.d.Accounts.List(c.Request.Context())
	if err != nil {
		domainError(c, s.d.Log, err)
		return
	}
	for _, x := range u {
		if x.Username == in.Username {
			c.JSON(http.StatusCreated, s.userInfo(x, staffOf(c).User.Username))
			return
		}
	}
	apiError(c, http.StatusNotFound, "not_found", "no such user", "")
}

type resetRequest struct {
	Password string `json:"password"`
}

func (s *staff) apiResetUser(c *gin.Context) {
	if !s.accountsOK(c) {
		return
	}
	var in resetRequest
	if !decode(c, &in) {
		return
	}
	u, err := s.userOrError(c)
	if err == nil {
		err = s.resetUser(c, u.Username, in.Password, in.Password)
	}
	if err != nil {
		s.userError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *staff) apiDisableUser(c *gin.Context) {
	if !s.accountsOK(c) {
		return
	}
	u, err := s.userOrError(c)
	if err == nil {
		err = s.disableUser(c, u.Username)
	}
	if err != nil {
		s.userError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// ---- the audit trail ----

// adminOK returns true when the kiosk gives the admin pages the audit
// trail and training mode, else it shows that it does not.
func (s *staff) adminOK(c *gin.Context) bool {
	if s.d.Admin != nil {
		return true
	}
	if strings.HasPrefix(c.Request.URL.Path, "/api/") {
		apiError(c, http.StatusServiceUnavailable, "unavailable", "this kiosk gives no access to its audit trail or training mode", "")
	} else {
		s.adminFail(c, http.StatusServiceUnavailable, "admin.err.unavailable")
	}
	return false
}

// auditActions are the action groups the filter offers.
var auditActions = []string{"report.", "extract.", "receipt.", "staff.", "user.", "cppt.", "training.", "audit."}

// auditQuery reads the filter and paging of the query string.
func auditQuery(c *gin.Context) (kiosk.AuditQuery, error) {
	q := kiosk.AuditQuery{Actor: c.Query("actor"), Action: c.Query("action")}
	var v []kiosk.FieldError
	if b := c.Query("before"); b != "" {
		n, err := strconv.ParseUint(b, 10, 64)
		if err != nil {
			v = append(v, kiosk.FieldError{Field: "before", Code: "invalid", Message: "before must be an entry's sequence number"})
		}
		q.Before = n
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			v = append(v, kiosk.FieldError{Field: "limit", Code: "invalid", Message: "limit must be a number"})
		}
		q.Limit = n
	}
	if len(v) > 0 {
		return q, &kiosk.ValidationError{Fields: v}
	}
	return q, q.Normalize()
}

// auditCheck is the result of the hash-chain check.
type auditCheck struct {
	OK      bool   `json:"ok"`
	Entries uint64 `json:"entries"`
	Error   string `json:"error,omitempty"`
}

func (s *staff) verify(c *gin.Context) auditCheck {
	n, err := s.d.Admin.VerifyAudit(c.Request.Context())
	if err != nil {
		if !errors.Is(err, kiosk.ErrAuditBroken) {
			s.d.Log.Error("verify the audit trail", "err", err)
		} else {
			s.d.Log.Error("the audit trail is broken", "err", err)
		}
		return auditCheck{Entries: n, Error: err.Error()}
	}
	return auditCheck{OK: true, Entries: n}
}

type adminAuditPage struct {
	Page    *kiosk.AuditPage
	Query   kiosk.AuditQuery
	Check   auditCheck
	Actions []string
	Errs    map[string]string
	Newest  bool // the first page: no "newer" link
}

// Qs is the query string of the filter with another Before.
func (p adminAuditPage) Qs(before uint64) string {
	v := make([]string, 0, 3)
	if p.Query.Actor != "" {
		v = append(v, "actor="+url.QueryEscape(p.Query.Actor))
	}
	if p.Query.Action != "" {
		v = append(v, "action="+url.QueryEscape(p.Query.Action))
	}
	if before != 0 {
		v = append(v, "before="+strconv.FormatUint(before, 10))
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + strings.Join(v, "&")
}

// Detail is an entry's detail as the page shows it (free text included:
// the admin at the kiosk may read it; only exports withhold it).
func (p adminAuditPage) Detail(e kiosk.AuditEntry) string { return e.Detail }

func (s *staff) adminAudit(c *gin.Context) {
	if !s.adminOK(c) {
		return
	}
	ss := staffOf(c)
	q, err := auditQuery(c)
	p := adminAuditPage{Query: q, Actions: auditActions, Newest: q.Before == 0}
	if errs := adminFormErrors(ss.Lang, err); errs != nil {
		p.Errs, p.Query = errs, kiosk.AuditQuery{}
		q = kiosk.AuditQuery{Limit: kiosk.DefaultAuditPage}
	}
	if p.Page, err = s.d.Admin.AuditEntries(c.Request.Context(), q); err != nil {
		s.adminError(c, err)
		return
	}
	p.Check = s.verify(c)
	s.render(c, "admin-audit", p)
}

// exportEntry is an audit entry in an export: personal free text withheld
// (kiosk.ExportDetail), marked by Withheld.
type exportEntry struct {
	kiosk.AuditEntry
	Withheld bool `json:"withheld,omitempty"`
}

func (s *staff) adminExport(c *gin.Context) {
	if !s.adminOK(c) {
		return
	}
	ctx := c.Request.Context()
	csvFormat := strings.HasSuffix(c.Request.URL.Path, ".csv")
	format := "jsonl"
	if csvFormat {
		format = "csv"
	}
	ss := staffOf(c)
	if err := s.d.Admin.Audit(ctx, ss.User.Username, "audit.export", "", format); err != nil {
		s.adminError(c, err)
		return
	}
	name := "audit-" + s.adminNow().In(kiosk.Zone).Format("20060102-1504") + "." + format
	h := c.Writer.Header()
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	var (
		enc *json.Encoder
		cw  *csv.Writer
	)
	if csvFormat {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		cw = csv.NewWriter(c.Writer)
		cw.Write([]string{"seq", "at", "clock_synced", "actor", "action", "record", "detail", "withheld", "prev", "hash"})
	} else {
		h.Set("Content-Type", "application/x-ndjson; charset=utf-8")
		enc = json.NewEncoder(c.Writer)
	}
	c.Status(http.StatusOK)
	err := s.d.Admin.EachAudit(ctx, func(e kiosk.AuditEntry) error {
		x := exportEntry{AuditEntry: e}
		if d := kiosk.ExportDetail(e); d != e.Detail {
			x.Detail, x.Withheld = d, true
		}
		if cw != nil {
			cw.Write([]string{strconv.FormatUint(x.Seq, 10), x.At.UTC().Format(time.RFC3339Nano), strconv.FormatBool(x.Synced),
				csvSafe(x.Actor), csvSafe(x.Action), csvSafe(x.Record), csvSafe(x.Detail), strconv.FormatBool(x.Withheld), x.Prev, x.Hash})
			return cw.Error()
		}
		return enc.Encode(x)
	})
	if cw != nil {
		cw.Flush()
	}
	if err != nil { // the status line is out: the download ends short
		s.d.Log.Error("audit export cut short", "err", err)
	}
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ---- the audit trail: JSON ----

func (s *staff) apiAudit(c *gin.Context) {
	if !s.adminOK(c) {
		return
	}
	q, err := auditQuery(c)
	if err != nil {
		domainError(c, s.d.Log, err)
		return
	}
	page, err := s.d.Admin.AuditEntries(c.Request.Context(), q)
	if err != nil {
		domainError(c, s.d.Log, err)
		return
	}
	c.JSON(http.StatusOK, page)
}

func (s *staff) apiVerifyAudit(c *gin.Context) {
	if !s.adminOK(c) {
		return
	}
	c.JSON(http.StatusOK, s.verify(c))
}

// ---- training mode ----

type adminTrainingPage struct {
	State kiosk.TrainingState
}

func (s *staff) adminTraining(c *gin.Context) {
	if !s.adminOK(c) {
		return
	}
	s.render(c, "admin-training", adminTrainingPage{State: s.d.Admin.TrainingState()})
}

func (s *staff) adminSetTraining(c *gin.Context) {
	if !s.adminOK(c) {
		return
	}
	ss := staffOf(c)
	on := c.PostForm("on") == "1"
	if _, err := s.d.Admin.SetTraining(c.Request.Context(), ss.User.Username, on); err != nil {
		s.d.Log.Error("switch training mode", "on", on, "err", err)
		s.adminFail(c, http.StatusServiceUnavailable, "admin.err.training")
		return
	}
	ss.Notice = "admin.notice.training_off"
	if on {
		ss.Notice = "admin.notice.training_on"
	}
	c.Redirect(http.StatusSeeOther, "/admin/training")
}

func (s *staff) apiTraining(c *gin.Context) {
	if !s.adminOK(c) {
		return
	}
	c.JSON(http.StatusOK, s.d.Admin.TrainingState())
}

type trainingRequest struct {
	On *bool `json:"on"`
}

func (s *staff) apiSetTraining(c *gin.Context) {
	if !s.adminOK(c) {
		return
	}
	var in trainingRequest
	if !decode(c, &in) {
		return
	}
	if in.On == nil {
		apiError(c, http.StatusBadRequest, "required", `say {"on": true} or {"on": false}`, "on")
		return
	}
	st, err := s.d.Admin.SetTraining(c.Request.Context(), staffOf(c).User.Username, *in.On)
	if err != nil {
		domainError(c, s.d.Log, err)
		return
	}
	c.JSON(http.StatusOK, st)
}
