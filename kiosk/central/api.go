package central

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/relay"
)

// MaxAPIBody bounds the body of an operator or verify request.
const MaxAPIBody = 64 << 10

// CSP is the Content-Security-Policy of every reply.
const CSP = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// Device API (package relay).
	mux.HandleFunc("POST "+relay.PathEnroll, s.deviceHandler(true, func(c *call) (any, *devError) { return s.handleEnroll(c) }))
	mux.HandleFunc("POST "+relay.PathBatch, s.deviceHandler(false, s.handleBatch))
	mux.HandleFunc("POST "+relay.PathUpdates, s.deviceHandler(false, s.handleUpdates))
	mux.HandleFunc("POST "+relay.PathPersonal, s.deviceHandler(false, s.handlePersonal))
	mux.HandleFunc("POST "+relay.PathRelease, s.handleRelease)
	// Operator API.
	mux.HandleFunc("POST /api/v1/tokens", s.operator(s.apiToken))
	mux.HandleFunc("GET /api/v1/reports", s.operator(s.apiReports))
	mux.HandleFunc("POST /api/v1/reports/{number}/status", s.operator(s.apiStatus))
	mux.HandleFunc("GET /api/v1/devices", s.operator(s.apiDevices))
	mux.HandleFunc("POST /api/v1/devices/{id}/revoke", s.operator(s.apiRevoke))
	mux.HandleFunc("GET /api/v1/conflicts", s.operator(s.apiConflicts))
	mux.HandleFunc("GET /api/v1/stats", s.operator(s.apiStats))
	mux.HandleFunc("GET /api/v1/cppt/issues", s.operator(s.apiCPPTIssues))
	mux.HandleFunc("GET /api/v1/cppt/meetings", s.operator(s.apiCPPTMeetings))
	mux.HandleFunc("POST /api/v1/releases", s.operator(s.apiPublish))
	mux.HandleFunc("GET /api/v1/releases", s.operator(s.apiReleases))
	mux.HandleFunc("DELETE /api/v1/releases/{arch}/{version}", s.operator(s.apiWithdraw))
	// Public.
	mux.HandleFunc("POST /api/v1/verify", s.apiVerify)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "time": s.now().UTC()})
	})
	s.pageRoutes(mux)
	return securityHeaders(mux)
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", CSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

// apiError is the operator API's error body.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"encode reply"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var e apiError
	e.Error.Code, e.Error.Message = code, msg
	writeJSON(w, status, e)
}

// writeErr maps an error of the Server's methods to a reply.
func (s *Server) writeErr(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrInvalid):
		writeError(w, http.StatusBadRequest, "bad_request", strings.TrimPrefix(err.Error(), "central: "))
	case errors.Is(err, kiosk.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", strings.TrimPrefix(err.Error(), "central: "))
	case errors.Is(err, kiosk.ErrTransition):
		writeError(w, http.StatusConflict, "invalid_transition", strings.TrimPrefix(err.Error(), "central: "))
	default:
		s.log.Error("central: operator request", "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the central cannot do this now; retry later")
	}
}

// operatorOK checks the operator token in constant time.
func (s *Server) operatorOK(token string) bool {
	got := sha256.Sum256([]byte(token))
	return s.opSet && subtle.ConstantTimeCompare(got[:], s.opDigest[:]) == 1
}

// operator wraps an operator API handler with the bearer token check.
func (s *Server) operator(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || !s.operatorOK(strings.TrimSpace(tok)) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="centrald"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "operator token missing or wrong")
			return
		}
		h(w, r)
	}
}

// decodeJSON reads one JSON object of at most MaxAPIBody bytes, refusing
// unknown fields; it writes the error reply and returns false on failure.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxAPIBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("data after the JSON object")
		}
	}
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		return true
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body over %d bytes", MaxAPIBody))
	default:
		writeError(w, http.StatusBadRequest, "bad_request", "bad JSON: "+err.Error())
	}
	return false
}

func (s *Server) apiToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		CPC   string `json:"cpc"`
		Kiosk int    `json:"kiosk"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	tok, err := s.NewToken(req.CPC, req.Kiosk)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "cpc": req.CPC, "kiosk": req.Kiosk,
		"expires_at": s.now().Add(s.tokenTTL).UTC()})
}

func (s *Server) apiReports(w http.ResponseWriter, r *http.Request) {
	list, err := s.Reports(r.URL.Query().Get("cpc"))
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"reports": list})
}

func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) {
	var ch StatusChange
	if !decodeJSON(w, r, &ch) {
		return
	}
	rep, err := s.SetStatus(r.PathValue("number"), ch)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) apiDevices(w http.ResponseWriter, r *http.Request) {
	list, err := s.Devices()
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"devices": list})
}

func (s *Server) apiRevoke(w http.ResponseWriter, r *http.Request) {
	d, err := s.Revoke(r.PathValue("id"))
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiConflicts(w http.ResponseWriter, r *http.Request) {
	list, err := s.Conflicts()
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"conflicts": list})
}

func (s *Server) apiStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.Stats()
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// releaseReadTime bounds reading a published bundle (the server's
// ReadTimeout and WriteTimeout are for small requests).
const releaseReadTime = 30 * time.Minute

// apiPublish takes the bundle as the request body (any content type).
func (s *Server) apiPublish(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > s.maxRelease {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("a bundle may have at most %d MiB", s.maxRelease>>20))
		return
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(releaseReadTime))
	rc.SetWriteDeadline(time.Now().Add(releaseReadTime + time.Minute)) // the reply comes after the whole body
	rel, created, err := s.Publish(r.Body)
	msg := func() string { return strings.TrimPrefix(err.Error(), "central: publish: ") }
	switch {
	case err == nil && created:
		writeJSON(w, http.StatusCreated, rel)
	case err == nil:
		writeJSON(w, http.StatusOK, rel)
	case errors.Is(err, ErrReleaseTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", msg())
	case errors.Is(err, ErrReleaseConflict):
		writeError(w, http.StatusConflict, "conflict", msg()+"; publish a new version instead")
	case errors.Is(err, ErrInvalid):
		writeError(w, http.StatusUnprocessableEntity, "bad_bundle", "bundle refused: "+strings.TrimPrefix(msg(), ErrInvalid.Error()+": "))
	case errors.Is(err, kiosk.ErrUnavailable):
		s.writeErr(w, err)
	default: // reading the body failed: the client went away or sent too slowly
		writeError(w, http.StatusBadRequest, "bad_request", msg())
	}
}

func (s *Server) apiReleases(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"releases": s.Releases()})
}

func (s *Server) apiWithdraw(w http.ResponseWriter, r *http.Request) {
	rel, err := s.Withdraw(r.PathValue("arch"), r.PathValue("version"))
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rel)
}

func (s *Server) apiVerify(w http.ResponseWriter, r *http.Request) {
	if !s.allowVerify(w, r) {
		writeError(w, http.StatusTooManyRequests, "rate_limited", "too many verifications from this address; wait a minute")
		return
	}
	var req struct {
		Payload string `json:"payload"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	writeJSON(w, http.StatusOK, s.Verify(req.Payload))
}

// allowVerify applies the per-address limit of the verification API and
// page; on refusal it sets Retry-After.
func (s *Server) allowVerify(w http.ResponseWriter, r *http.Request) bool {
	ok, wait := s.verifyLimit.allow(clientIP(r), s.now())
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	}
	return ok
}

// clientIP is the peer address; forwarded headers are not trusted.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiter is a token bucket per key: n events per period, bursts up to n.
type limiter struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	max    int
	bucket map[string]*tokens
}

type tokens struct {
	n    float64
	last time.Time
}

func newLimiter(n int, per time.Duration, max int) *limiter {
	return &limiter{rate: float64(n) / per.Seconds(), burst: float64(n), max: max, bucket: make(map[string]*tokens)}
}

func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket[key]
	if b == nil {
		if len(l.bucket) >= l.max {
			for k, v := range l.bucket { // forget the full buckets: they are at rest
				if v.n+now.Sub(v.last).Seconds()*l.rate >= l.burst {
					delete(l.bucket, k)
				}
			}
			if len(l.bucket) >= l.max {
				return false, time.Second
			}
		}
		b = &tokens{n: l.burst, last: now}
		l.bucket[key] = b
	}
	if d := now.Sub(b.last); d > 0 {
		b.n = math.Min(l.burst, b.n+d.Seconds()*l.rate)
		b.last = now
	}
	if b.n < 1 {
		return false, time.Duration((1 - b.n) / l.rate * float64(time.Second))
	}
	b.n--
	return true, 0
}
