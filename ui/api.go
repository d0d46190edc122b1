package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"cpckiosk/kiosk"
)

// MaxBody is the largest request body accepted (DESIGN 3.3).
const MaxBody = 64 << 10

// Health is the body of GET /healthz.
type Health struct {
	Status      string      `json:"status"`
	Version     string      `json:"version"`
	Printer     string      `json:"printer"`
	Receipts    int         `json:"receipts_waiting"` // receipts queued for the printer
	Relay       RelayHealth `json:"relay"`
	ClockSynced bool        `json:"clock_synced"`
	System      any         `json:"system,omitempty"`   // the board: disk, memory, temperature, uptime
	Update      any         `json:"update,omitempty"`   // the last update and the download of an offered release (relay.UpdateHealth)
	Training    bool        `json:"training,omitempty"` // training mode is on (docs/admin-api.md)
}

// RelayHealth is the relay part of Health.
type RelayHealth struct {
	Pending     int        `json:"pending"`      // reports and audit checkpoints
	PendingCPPT int        `json:"pending_cppt"` // CPPT issue and meeting versions
	LastSuccess *time.Time `json:"last_success"`
	LastError   string     `json:"last_error,omitempty"`
	Enrolled    bool       `json:"enrolled"`
	Rejected    int        `json:"rejected"` // records the central refused for good
}

// Site is what the pages say about this centre.
type Site struct {
	CentreName string // e.g. "Маркази милитсияи ҷамъиятии Истаравшан"; the catalog's generic name when empty
	Hotline    string // the centre's phone; not shown when empty
	// Places are the settlements of the centre's district, offered as
	// buttons on the "where" step; none means free text only.
	Places []string
	// A4Printer says extracts print on an A4 printer (else in short form on
	// the receipt printer); the extract preview tells the citizen where.
	A4Printer bool
}

// Deps is what the router needs.
type Deps struct {
	Site    Site
	Service *kiosk.Service
	// Health reports the device's state for /healthz.
	Health func(ctx context.Context) Health
	// Receipt waits (briefly) for the receipt of a new report to print. Nil
	// means no receipt printer is configured.
	Receipt func(ctx context.Context, c *kiosk.Created) kiosk.ReceiptStatus
	// ReceiptPicture draws the receipt of r with its access code as the
	// printer prints it (PNG), for the result screen. Nil: no picture.
	ReceiptPicture func(r *kiosk.Report, code string) ([]byte, error)
	Log            *slog.Logger
	// Activity, if set, learns when someone is using the kiosk (an update
	// waits for them to finish).
	Activity *Activity
	// Accounts checks staff logins; nil: nobody can log in.
	Accounts *kiosk.Accounts
	// CPPT is the partnership team's issue log; nil: no CPPT pages.
	CPPT *kiosk.CPPT
	// Officer is the officer console's domain (officer.go); nil: its pages
	// say the console is not available on this kiosk.
	Officer *kiosk.Officer
	// Training reports whether the kiosk is in training mode (a banner on
	// every screen); nil: never. kioskd serves training mode with a router
	// of its own (Service, CPPT, Officer on the training database), whose
	// Training always says true, so the banner and the records of a page
	// always agree.
	Training func() bool
	// Admin is the admin pages' access to the real audit trail and to
	// training mode (admin.go); nil: those pages say it is not available.
	Admin Admin
	// StaffSessions, when set, holds the staff logins, shared by the router
	// of the real records and that of training mode; nil: the router keeps
	// its own.
	StaffSessions *StaffSessions
	// PrintA4 sends a PDF to the centre's A4 printer (the CUPS queue of
	// -a4-queue) under title and returns the job's id; nil: no A4 printer
	// (the CPPT's meeting summary is then offered as a PDF only).
	PrintA4 func(ctx context.Context, title string, pdf []byte) (job string, err error)
}

func (d Deps) training() bool { return d.Training != nil && d.Training() }

// receipt waits (briefly) for the receipt of a new report; without a
// receipt printer it says so.
func (d Deps) receipt(ctx context.Context, c *kiosk.Created) kiosk.ReceiptStatus {
	if d.Receipt == nil {
		return kiosk.ReceiptStatus{Status: kiosk.ReceiptFailed, Detail: "no receipt printer is configured"}
	}
	return d.Receipt(ctx, c)
}

// Activity is when a person last did something at the kiosk: any request
// but the idle home screen, health checks and static files.
type Activity struct{ last atomic.Int64 }

// Last returns the time of the last such request (zero if none).
func (a *Activity) Last() time.Time {
	if n := a.last.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

func (a *Activity) track(c *gin.Context) {
	p := c.Request.URL.Path
	if c.Request.Method != http.MethodGet || (p != "/" && p != "/healthz" && !strings.HasPrefix(p, "/static/")) {
		a.last.Store(time.Now().UnixNano())
	}
	c.Next()
}

// NewRouter returns the kiosk's HTTP handler.
func NewRouter(d Deps) http.Handler {
	r, _ := newRouter(d, pageDefaults)
	return r
}

// newRouter builds the handler with page options; it also returns the staff
// console, whose guarded routes the tests enumerate.
func newRouter(d Deps, o pageOptions) (*gin.Engine, *staff) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	_ = r.SetTrustedProxies(nil) // ClientIP is the peer address, never a header
	r.Use(recoverer(d.Log), accessLog(d.Log), securityHeaders)
	if d.Activity != nil {
		r.Use(d.Activity.track)
	}
	r.NoRoute(func(c *gin.Context) { apiError(c, http.StatusNotFound, "not_found", "no such page", "") })
	r.NoMethod(func(c *gin.Context) {
		apiError(c, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed", "")
	})
	r.HandleMethodNotAllowed = true
	a := &api{d: d}
	r.GET("/healthz", a.health)
	v1 := r.Group("/api/v1")
	v1.POST("/reports", a.createReport)
	v1.POST("/reports/:number/lookup", a.lookup)
	v1.POST("/reports/:number/extract", a.extract)
	v1.POST("/reports/:number/extract/print", a.printExtract)
	p := newPages(d, o)
	p.register(r) // the citizen's touch pages (pages.go)
	s := newStaff(r, d, o, p.tmpl)
	s.register() // the staff console (staff.go)
	return r, s
}

type api struct{ d Deps }

func (a *api) health(c *gin.Context) {
	h := Health{Status: "ok", Printer: "unknown"}
	if a.d.Health != nil {
		h = a.d.Health(c.Request.Context())
	}
	c.JSON(http.StatusOK, h)
}

type createReply struct {
	ID          string              `json:"id"`
	Number      string              `json:"number"`
	AccessCode  string              `json:"access_code"`
	Status      kiosk.Status        `json:"status"`
	CreatedAt   time.Time           `json:"created_at"`
	ClockSynced bool                `json:"clock_synced"`
	Receipt     kiosk.ReceiptStatus `json:"receipt"`
}

func (a *api) createReport(c *gin.Context) {
	var in kiosk.NewReport
	if !decode(c, &in) {
		return
	}
	created, err := a.d.Service.Create(c.Request.Context(), in)
	if err != nil {
		domainError(c, a.d.Log, err)
		return
	}
	receipt := a.d.receipt(c.Request.Context(), created)
	r := created.Report
	c.JSON(http.StatusCreated, createReply{
		ID: r.ID, Number: r.Number.String(), AccessCode: kiosk.FormatAccessCode(created.AccessCode),
		Status: r.Status, CreatedAt: r.CreatedAt, ClockSynced: r.ClockSynced, Receipt: receipt,
	})
}

type lookupRequest struct {
	AccessCode string `json:"access_code"`
}

type lookupReply struct {
	Number     string         `json:"number"`
	Status     kiosk.Status   `json:"status"`
	Decision   kiosk.Decision `json:"decision,omitempty"`
	Category   kiosk.Category `json:"category"`
	CreatedAt  time.Time      `json:"created_at"`
	History    []kiosk.Event  `json:"history"`
	CaseNumber string         `json:"case_number"`
	// InfoRequest is what the CPC asks the citizen to bring or tell, while
	// the request is open.
	InfoRequest *infoRequestReply `json:"info_request,omitempty"`
}

type infoRequestReply struct {
	Text string    `json:"text"`
	Lang string    `json:"lang"`
	At   time.Time `json:"at"`
}

// openRequest is the report's open request for information as the citizen
// sees it (no officer's name), or nil.
func openRequest(r *kiosk.Report) *infoRequestReply {
	q := r.OpenInfoRequest()
	if q == nil {
		return nil
	}
	return &infoRequestReply{Text: q.Text, Lang: q.Lang, At: q.At}
}

func (a *api) lookup(c *gin.Context) {
	var in lookupRequest
	if !decodeAccess(c, &in, &in.AccessCode) {
		return
	}
	r, err := a.d.Service.Lookup(c.Request.Context(), c.Param("number"), in.AccessCode, c.ClientIP())
	if err != nil {
		domainError(c, a.d.Log, err)
		return
	}
	c.JSON(http.StatusOK, lookupReply{
		Number: r.Number.String(), Status: r.Status, Decision: r.Decision, Category: r.Category,
		CreatedAt: r.CreatedAt, History: r.History, CaseNumber: r.CaseNumber, InfoRequest: openRequest(r),
	})
}

type extractRequest struct {
	AccessCode string `json:"access_code"`
	Lang       string `json:"lang"` // optional: the report's language by default
}

func (a *api) extract(c *gin.Context) {
	var in extractRequest
	if !decodeAccess(c, &in, &in.AccessCode) {
		return
	}
	x, err := a.d.Service.IssueExtract(c.Request.Context(), c.Param("number"), in.AccessCode, c.ClientIP(), in.Lang)
	if err != nil {
		domainError(c, a.d.Log, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="extract-`+x.Number+`.pdf"`)
	c.Header("X-Document-Id", x.DocumentID)
	c.Data(http.StatusOK, "application/pdf", x.PDF)
}

type printReply struct {
	DocumentID string `json:"document_id"`
	Number     string `json:"number"`
	Printer    string `json:"printer"` // "a4" or "receipt"
	Job        string `json:"job"`
}

func (a *api) printExtract(c *gin.Context) {
	var in extractRequest
	if !decodeAccess(c, &in, &in.AccessCode) {
		return
	}
	x, err := a.d.Service.PrintExtract(c.Request.Context(), c.Param("number"), in.AccessCode, c.ClientIP(), in.Lang)
	if err != nil {
		domainError(c, a.d.Log, err)
		return
	}
	c.JSON(http.StatusOK, printReply{DocumentID: x.DocumentID, Number: x.Number, Printer: x.Printer, Job: x.Job})
}

// decodeAccess decodes a body that must carry an access code (*code, a
// field of v).
func decodeAccess(c *gin.Context, v any, code *string) bool {
	if !decode(c, v) {
		return false
	}
	if *code == "" {
		apiError(c, http.StatusBadRequest, "required", "enter the access code from your receipt", "access_code")
		return false
	}
	return true
}

// decode reads a JSON body into v strictly: JSON content type, at most
// MaxBody bytes, valid UTF-8, no unknown fields, no trailing data. On failure
// it writes the error reply and returns false.
func decode(c *gin.Context, v any) bool {
	mt, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "application/json" || (params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8")) {
		apiError(c, http.StatusUnsupportedMediaType, "unsupported_media_type", "send application/json in UTF-8", "")
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			apiError(c, http.StatusRequestEntityTooLarge, "body_too_large", "the request is larger than 64 KiB", "")
		} else {
			apiError(c, http.StatusBadRequest, "bad_request", "the request body could not be read", "")
		}
		return false
	}
	if !utf8.Valid(body) {
		apiError(c, http.StatusBadRequest, "invalid_utf8", "the request is not valid UTF-8", "")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		jsonError(c, err)
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		apiError(c, http.StatusBadRequest, "bad_json", "unexpected data after the JSON value", "")
		return false
	}
	return true
}

func jsonError(c *gin.Context, err error) {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		apiError(c, http.StatusBadRequest, "wrong_type", "expected "+typeErr.Type.String()+", got "+typeErr.Value, field)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		apiError(c, http.StatusBadRequest, "unknown_field", "unknown field "+field, field)
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		apiError(c, http.StatusBadRequest, "bad_json", "the request is not valid JSON", "")
	case errors.Is(err, io.EOF):
		apiError(c, http.StatusBadRequest, "bad_json", "the request body is empty", "")
	default:
		apiError(c, http.StatusBadRequest, "bad_json", "the request could not be read as JSON", "")
	}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string             `json:"code"`
	Message string             `json:"message"`
	Field   string             `json:"field,omitempty"`
	Fields  []kiosk.FieldError `json:"fields,omitempty"`
}

func apiError(c *gin.Context, status int, code, msg, field string) {
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{Code: code, Message: msg, Field: field}})
}

// domainError maps a domain error to its reply. Only an error the domain
// does not know becomes a 500, and it is logged without request data.
func domainError(c *gin.Context, log *slog.Logger, err error) {
	var ve *kiosk.ValidationError
	switch {
	case errors.As(err, &ve):
		f := ve.Fields[0]
		c.AbortWithStatusJSON(http.StatusBadRequest, errorBody{Error: errorDetail{
			Code: f.Code, Message: f.Message, Field: f.Field, Fields: ve.Fields}})
	case errors.Is(err, kiosk.ErrInvalidNumber):
		apiError(c, http.StatusBadRequest, "invalid_number", "check the number: it does not look like a registration number", "number")
	case errors.Is(err, kiosk.ErrNotFound):
		apiError(c, http.StatusNotFound, "not_found", "no report with this number and access code", "")
	case errors.Is(err, kiosk.ErrRateLimited):
		c.Header("Retry-After", "900")
		apiError(c, http.StatusTooManyRequests, "rate_limited", "too many wrong attempts: try again in 15 minutes or ask the staff", "")
	case errors.Is(err, kiosk.ErrNoPrinter), errors.As(err, new(*kiosk.PrinterError)):
		log.Warn("extract not printed", "err", err)
		apiError(c, http.StatusServiceUnavailable, "printer_unavailable", "the printer cannot print this now; please ask the staff", "")
	case errors.Is(err, kiosk.ErrNoExtracts):
		apiError(c, http.StatusServiceUnavailable, "extracts_unavailable", "extracts cannot be issued at this kiosk; please ask the staff", "")
	case errors.Is(err, kiosk.ErrStorageFull):
		apiError(c, http.StatusServiceUnavailable, "storage_full", "the kiosk's storage is almost full, so nothing was saved; please ask the staff", "")
	case errors.Is(err, kiosk.ErrCentralNeeded):
		c.Header("Retry-After", "600")
		apiError(c, http.StatusServiceUnavailable, "central_unavailable", "the details of this older report are kept at the Ministry's central system, which cannot be reached now; please try again later or ask the staff", "")
	case errors.Is(err, kiosk.ErrTransition):
		apiError(c, http.StatusConflict, "invalid_transition", "this status change is not allowed", "status")
	case errors.Is(err, kiosk.ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		log.Error("request failed: storage", "err", err)
		apiError(c, http.StatusServiceUnavailable, "unavailable", "the kiosk cannot save right now; nothing was saved; please ask the staff", "")
	default:
		log.Error("request failed", "err", err)
		apiError(c, http.StatusServiceUnavailable, "unavailable", "the kiosk cannot answer right now; please ask the staff", "")
	}
}

func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	c.Next()
}

// accessLog logs each request by its route pattern, never its body or the
// concrete path (which may carry a registration number).
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "(no route)"
		}
		log.Debug("http", "method", c.Request.Method, "route", route, "status", c.Writer.Status(),
			"ms", float64(time.Since(start).Microseconds())/1000)
	}
}

func recoverer(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic in handler", "route", c.FullPath(), "panic", p)
				apiError(c, http.StatusInternalServerError, "internal", "internal error", "")
			}
		}()
		c.Next()
	}
}
