package central

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"cpckiosk/kiosk"
	"cpckiosk/kiosk/relay"
	"cpckiosk/printer/extract"
)

// CertificateValidity is how long a device certificate issued at enrolment
// is valid; it starts an hour in the past to forgive a kiosk clock behind.
const CertificateValidity = 3 * 365 * 24 * time.Hour

// devError is a refusal of the device API: an HTTP status and a relay code.
type devError struct {
	status int
	code   string
	msg    string
}

func devErr(status int, code, format string, args ...any) *devError {
	return &devError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// call is a device request that passed every check.
type call struct {
	dev  *deviceRec // nil only while enrolling a new key
	body []byte     // decoded body (gunzipped)
	now  time.Time
	// enroll is the decoded request of an enrolment.
	enroll *relay.EnrollRequest
}

// deviceHandler wraps a device API handler with the checks every signed
// request passes, in this order: body size, signature headers (400), known
// device (401 unknown_device), signature over the body bytes as received
// (401 bad_signature), revocation (403), time within relay.Window of the
// central's and not before its start (401 stale), unseen nonce (409 replay).
// The reply is signed over the request's nonce whenever it is parseable.
func (s *Server) deviceHandler(enroll bool, h func(c *call) (any, *devError)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		nonce := replyNonce(r)
		c, derr := s.checkSigned(w, r, enroll)
		var reply any
		if derr == nil {
			reply, derr = h(c)
		}
		status := http.StatusOK
		if derr != nil {
			s.writeDevError(w, nonce, derr)
			status = derr.status
		} else {
			s.writeSigned(w, nonce, status, reply)
		}
		s.logDevice(r, status, derr, start, -1)
	}
}

// replyNonce is the request's nonce when it is well formed (replies are
// signed over it), else "".
func replyNonce(r *http.Request) string {
	nonce := r.Header.Get(relay.HeaderNonce)
	if n, err := base64.RawURLEncoding.DecodeString(nonce); err != nil || len(n) != 16 {
		return ""
	}
	return nonce
}

// writeDevError writes a signed ErrorReply.
func (s *Server) writeDevError(w http.ResponseWriter, nonce string, derr *devError) {
	e := relay.ErrorReply{Time: s.now()}
	e.Error.Code, e.Error.Message = derr.code, derr.msg
	s.writeSigned(w, nonce, derr.status, e)
}

// logDevice logs one device request; bytes < 0 leaves them out.
func (s *Server) logDevice(r *http.Request, status int, derr *devError, start time.Time, bytes int64) {
	dev := r.Header.Get(relay.HeaderDevice)
	if len(dev) > 64 {
		dev = dev[:64]
	}
	lvl := slog.LevelInfo
	if status >= 500 {
		lvl = slog.LevelWarn
	}
	args := []any{"path", r.URL.Path, "device", dev, "status", status, "code", codeOf(derr), "ms", time.Since(start).Milliseconds()}
	if bytes >= 0 {
		args = append(args, "bytes", bytes)
	}
	s.log.Log(r.Context(), lvl, "central: device request", args...)
}

func codeOf(e *devError) string {
	if e == nil {
		return ""
	}
	return e.code
}

// writeSigned writes v as JSON with the reply signature header.
func (s *Server) writeSigned(w http.ResponseWriter, nonce string, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil { // our own types: cannot happen
		s.log.Error("central: encode reply", "err", err)
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"encode reply"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if nonce != "" {
		sig := ed25519.Sign(s.signKey, relay.ReplyMessage(nonce, status, body))
		h.Set(relay.HeaderReplySignature, base64.StdEncoding.EncodeToString(sig))
	}
	w.WriteHeader(status)
	w.Write(body)
}

func (s *Server) checkSigned(w http.ResponseWriter, r *http.Request, enroll bool) (*call, *devError) {
	if r.ContentLength > relay.MaxBody {
		return nil, devErr(http.StatusRequestEntityTooLarge, relay.CodeTooLarge, "body over %d bytes", relay.MaxBody)
	}
	wire, err := io.ReadAll(http.MaxBytesReader(w, r.Body, relay.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, devErr(http.StatusRequestEntityTooLarge, relay.CodeTooLarge, "body over %d bytes", relay.MaxBody)
		}
		return nil, devErr(http.StatusBadRequest, relay.CodeBadRequest, "read body: %v", err)
	}
	sg, err := relay.ParseSigned(r.Header)
	if err != nil {
		return nil, devErr(http.StatusBadRequest, relay.CodeBadRequest, "%v", err)
	}
	now := s.now()
	c := &call{now: now}
	var pub ed25519.PublicKey
	if enroll {
		// The key is in the body: decode it first (bounded by MaxBody).
		if c.body, err = decodeBody(r, wire); err != nil {
			return nil, bodyError(err)
		}
		var req relay.EnrollRequest
		if err := json.Unmarshal(c.body, &req); err != nil {
			return nil, devErr(http.StatusBadRequest, relay.CodeBadRequest, "enrol request: %v", err)
		}
		if len(req.SignKey) != ed25519.PublicKeySize || len(req.BoxKey) != 32 {
			return nil, devErr(http.StatusBadRequest, relay.CodeBadRequest, "sign_key and box_key must be 32 bytes each")
		}
		pub = ed25519.PublicKey(req.SignKey)
		if id := extract.KeyID(pub); sg.Device != id {
			return nil, devErr(http.StatusBadRequest, relay.CodeBadRequest, "%s must be the id of sign_key (%s)", relay.HeaderDevice, id)
		}
		c.enroll = &req
		if c.dev, err = s.device(sg.Device); err != nil {
			return nil, devErr(http.StatusServiceUnavailable, relay.CodeUnavailable, "read device")
		}
	} else {
		if c.dev, err = s.device(sg.Device); err != nil {
			return nil, devErr(http.StatusServiceUnavailable, relay.CodeUnavailable, "read device")
		}
		if c.dev == nil {
			return nil, devErr(http.StatusUnauthorized, relay.CodeUnknown, "no device %s is enrolled here", sg.Device)
		}
		pub = ed25519.PublicKey(c.dev.SignKey)
	}
	if !sg.Verify(pub, r.Method, r.URL.Path, wire) {
		return nil, devErr(http.StatusUnauthorized, relay.CodeBadSignature, "the request signature does not verify")
	}
	if c.dev != nil && c.dev.RevokedAt != nil {
		return nil, devErr(http.StatusForbidden, relay.CodeRevoked, "device %s was revoked on %s", c.dev.ID, c.dev.RevokedAt.UTC().Format(time.RFC3339))
	}
	if d := sg.Time.Sub(now); d > relay.Window || d < -relay.Window || sg.Time.Before(s.start) {
		return nil, devErr(http.StatusUnauthorized, relay.CodeStale, "request time %s is outside the window around the central's time",
			sg.Time.UTC().Format(time.RFC3339))
	}
	switch s.nonces.add(sg.Device+" "+sg.Nonce, now) {
	case nonceSeen:
		return nil, devErr(http.StatusConflict, relay.CodeReplay, "this request was already received")
	case nonceFull:
		return nil, devErr(http.StatusServiceUnavailable, relay.CodeUnavailable, "too many requests in flight, retry later")
	}
	if !enroll {
		if c.body, err = decodeBody(r, wire); err != nil {
			return nil, bodyError(err)
		}
		s.touch(c.dev.ID, now, pendingHeader(r.Header))
	}
	return c, nil
}

func pendingHeader(h http.Header) *int {
	v := h.Get(relay.HeaderPending)
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1<<30 {
		return nil
	}
	return &n
}

var errTooLarge = errors.New("too large")

func bodyError(err error) *devError {
	if errors.Is(err, errTooLarge) {
		return devErr(http.StatusRequestEntityTooLarge, relay.CodeTooLarge, "decompressed body over %d bytes", relay.MaxBody)
	}
	return devErr(http.StatusBadRequest, relay.CodeBadRequest, "%v", err)
}

// decodeBody undoes Content-Encoding gzip, bounded by relay.MaxBody.
func decodeBody(r *http.Request, wire []byte) ([]byte, error) {
	switch r.Header.Get("Content-Encoding") {
	case "", "identity":
		return wire, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(wire))
		if err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
		out, err := io.ReadAll(io.LimitReader(zr, relay.MaxBody+1))
		if err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
		if len(out) > relay.MaxBody {
			return nil, errTooLarge
		}
		return out, nil
	default:
		return nil, fmt.Errorf("content encoding %q not supported (gzip is)", r.Header.Get("Content-Encoding"))
	}
}

// device returns the stored device with that id, or nil.
func (s *Server) device(id string) (*deviceRec, error) {
	var d deviceRec
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bDevices), []byte(id), &d)
		return err
	})
	if err != nil || !ok {
		return nil, err
	}
	return &d, nil
}

var errBadToken = errors.New("enrolment token unknown, used or expired")

// --- enroll ---

func (s *Server) handleEnroll(c *call) (any, *devError) {
	req := c.enroll
	raw, err := parseToken(req.Token)
	if err != nil {
		return nil, devErr(http.StatusForbidden, relay.CodeToken, "%v", errBadToken)
	}
	id := extract.KeyID(ed25519.PublicKey(req.SignKey))
	sum := sha256Sum(raw[:])
	reply := relay.EnrollReply{
		DeviceID:       id,
		CentralSignKey: s.signPub,
		CentralBoxKey:  s.box.Public[:],
		Sequences:      map[string]int{},
	}
	err = s.update(func(tx *bolt.Tx) error {
		tb := tx.Bucket(bTokens)
		var tok tokenRec
		ok, err := getJSON(tb, sum, &tok)
		if err != nil {
			return err
		}
		if !ok || c.now.After(tok.ExpiresAt) {
			return errBadToken
		}
		if err := tb.Delete(sum); err != nil {
			return err
		}
		d := deviceRec{ID: id, SignKey: req.SignKey, BoxKey: req.BoxKey, CPC: tok.CPC, Kiosk: tok.Kiosk,
			Software: truncate(req.Software, 100), EnrolledAt: c.now}
		now := c.now
		d.LastContact = &now
		if c.dev != nil { // re-enrolment of a known key: re-issue
			d.Pending = c.dev.Pending
		}
		if err := putJSON(tx.Bucket(bDevices), []byte(id), &d); err != nil {
			return err
		}
		reply.CPC, reply.Kiosk = d.CPC, d.Kiosk
		reply.Certificate, err = extract.IssueCertificate(extract.Certificate{
			DeviceID: id, CPC: d.CPC, Kiosk: d.Kiosk, PublicKey: ed25519.PublicKey(req.SignKey),
			NotBefore: c.now.Add(-time.Hour), NotAfter: c.now.Add(CertificateValidity),
		}, s.signKey)
		if err != nil {
			return err
		}
		prefix := fmt.Sprintf("%s%d-", d.CPC, d.Kiosk)
		cur := tx.Bucket(bSeqHigh).Cursor()
		for k, v := cur.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, v = cur.Next() {
			if len(v) == 8 {
				reply.Sequences[string(k[len(prefix):])] = int(beU64(v))
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, errBadToken):
		return nil, devErr(http.StatusForbidden, relay.CodeToken, "%v", errBadToken)
	case err != nil:
		s.log.Error("central: enrol", "device", id, "err", err)
		return nil, devErr(http.StatusServiceUnavailable, relay.CodeUnavailable, "the central cannot commit now, retry later")
	}
	s.touch(id, c.now, nil)
	s.log.Info("central: device enrolled", "device", id, "cpc", reply.CPC, "kiosk", reply.Kiosk, "again", c.dev != nil)
	reply.Time = s.now()
	return reply, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// --- batch ---

// prepared is a batch record after the checks that need no database.
type prepared struct {
	ack    relay.Ack // Result set when the record is already decided (rejected)
	typ    string
	number kiosk.Number
	rep    *relay.ReportRecord
	hash   string
	cp     *relay.Checkpoint
	cppt   *cpptPrepared
}

func (s *Server) handleBatch(c *call) (any, *devError) {
	var req struct {
		Records []json.RawMessage `json:"records"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		return nil, devErr(http.StatusBadRequest, relay.CodeBadRequest, "batch: %v", err)
	}
	if len(req.Records) > relay.MaxBatchRecords {
		return nil, devErr(http.StatusRequestEntityTooLarge, relay.CodeTooLarge, "batch of %d records, at most %d", len(req.Records), relay.MaxBatchRecords)
	}
	preps := make([]prepared, len(req.Records))
	opener := relay.NewOpener(s.box.Private)
	for i, raw := range req.Records {
		preps[i] = s.prepare(c.dev, raw, opener)
	}
	acks := make([]relay.Ack, 0, len(preps))
	err := s.update(func(tx *bolt.Tx) error {
		acks = acks[:0]
		for i := range preps {
			a, err := s.store(tx, c, &preps[i])
			if err != nil {
				return err
			}
			acks = append(acks, a)
		}
		return nil
	})
	if err != nil {
		s.log.Error("central: commit batch", "device", c.dev.ID, "records", len(preps), "err", err)
		return nil, devErr(http.StatusServiceUnavailable, relay.CodeUnavailable, "the central cannot commit now, retry later")
	}
	var n [3]int
	for _, a := range acks {
		switch a.Result {
		case relay.AckAccepted:
			n[0]++
		case relay.AckDuplicate:
			n[1]++
		default:
			n[2]++
		}
	}
	s.log.Info("central: batch", "device", c.dev.ID, "accepted", n[0], "duplicate", n[1], "rejected", n[2])
	return relay.BatchReply{Acks: acks, Time: s.now()}, nil
}

func reject(p prepared, format string, args ...any) prepared {
	p.ack.Result = relay.AckRejected
	p.ack.Reason = fmt.Sprintf(format, args...)
	return p
}

func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// prepare decodes and checks one record: everything but what depends on
// the database.
func (s *Server) prepare(dev *deviceRec, raw json.RawMessage, opener *relay.Opener) prepared {
	var rec relay.Record
	if err := json.Unmarshal(raw, &rec); err != nil {
		var idOnly struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &idOnly)
		return reject(prepared{ack: relay.Ack{ID: truncate(idOnly.ID, 64)}}, "malformed record: %v", err)
	}
	p := prepared{ack: relay.Ack{ID: truncate(rec.ID, 64)}, typ: rec.Type}
	switch rec.Type {
	case relay.TypeReport:
		if !validUUID(rec.ID) {
			return reject(p, "id %q is not a lower-case UUID", p.ack.ID)
		}
		r := rec.Report
		if r == nil {
			return reject(p, "report record without a report")
		}
		n, err := kiosk.ParseNumber(r.Number)
		if err != nil {
			return reject(p, "number: %v", err)
		}
		if n.Training {
			return reject(p, "number %s is of training mode: training records are never relayed", n)
		}
		if n.CPC != dev.CPC || n.Kiosk != dev.Kiosk {
			return reject(p, "number %s is not of this kiosk (%s%d)", n, dev.CPC, dev.Kiosk)
		}
		if !r.Category.Valid() {
			return reject(p, "unknown category %q", truncate(string(r.Category), 40))
		}
		if !containsString(kiosk.Languages, r.Lang) {
			return reject(p, "unknown language %q", truncate(r.Lang, 10))
		}
		personal, err := opener.Open(r.Sealed)
		if err != nil {
			return reject(p, "sealed personal data does not open with the central's box key")
		}
		sum := relay.ContentHash(*r, personal)
		p.number, p.rep, p.hash = n, r, fmt.Sprintf("%x", sum)
		return p
	case relay.TypeCheckpoint:
		if rec.ID == "" || len(rec.ID) > 64 {
			return reject(p, "checkpoint id must be 1-64 bytes")
		}
		if rec.Checkpoint == nil || rec.Checkpoint.Hash == "" || len(rec.Checkpoint.Hash) > 128 {
			return reject(p, "checkpoint record without a checkpoint hash")
		}
		p.cp = rec.Checkpoint
		return p
	case relay.TypeCPPTIssue, relay.TypeCPPTMeeting:
		return s.prepareCPPT(dev, &rec, p, opener)
	default:
		return reject(p, "unknown record type")
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// store decides a prepared record inside the batch transaction.
func (s *Server) store(tx *bolt.Tx, c *call, p *prepared) (relay.Ack, error) {
	if p.ack.Result != "" {
		return p.ack, nil
	}
	ack := p.ack
	switch p.typ {
	case relay.TypeReport:
		reports, numbers := tx.Bucket(bReports), tx.Bucket(bNumbers)
		var old reportRec
		found, err := getJSON(reports, []byte(ack.ID), &old)
		if err != nil {
			return ack, err
		}
		num := p.number.String()
		if found {
			if old.ContentHash == p.hash {
				ack.Result = relay.AckDuplicate
				return ack, nil
			}
			ack.Result, ack.Reason = relay.AckRejected, "conflict: this id was stored with different content"
			return ack, s.flag(tx, c, Conflict{RecordID: ack.ID, Type: p.typ, Number: num, Reason: ack.Reason, HeldBy: old.ID})
		}
		if holder := numbers.Get([]byte(num)); holder != nil {
			ack.Result, ack.Reason = relay.AckRejected, "conflict: number "+num+" is already held by another report"
			return ack, s.flag(tx, c, Conflict{RecordID: ack.ID, Type: p.typ, Number: num, Reason: ack.Reason, HeldBy: string(holder)})
		}
		pub := *p.rep
		pub.Sealed = nil
		rec := reportRec{
			ID: ack.ID, Number: num, CPC: p.number.CPC, Kiosk: p.number.Kiosk, DeviceID: c.dev.ID,
			ReceivedAt: c.now, Status: kiosk.StatusRelayed,
			History:     []kiosk.Event{{Status: kiosk.StatusRelayed, At: c.now}},
			ContentHash: p.hash, Sealed: p.rep.Sealed, Public: pub,
		}
		if err := putJSON(reports, []byte(ack.ID), &rec); err != nil {
			return ack, err
		}
		if err := numbers.Put([]byte(num), []byte(ack.ID)); err != nil {
			return ack, err
		}
		sk := []byte(fmt.Sprintf("%s%d-%02d", p.number.CPC, p.number.Kiosk, p.number.Year))
		sh := tx.Bucket(bSeqHigh)
		if v := sh.Get(sk); len(v) != 8 || beU64(v) < uint64(p.number.Seq) {
			if err := sh.Put(sk, u64(uint64(p.number.Seq))); err != nil {
				return ack, err
			}
		}
		ack.Result = relay.AckAccepted
		return ack, nil
	case relay.TypeCheckpoint:
		b := tx.Bucket(bCheckpoints)
		key := []byte(c.dev.ID + "\x00" + ack.ID)
		var old checkpointRec
		found, err := getJSON(b, key, &old)
		if err != nil {
			return ack, err
		}
		if found {
			if old.Seq == p.cp.Seq && old.Hash == p.cp.Hash && old.At.Equal(p.cp.At) {
				ack.Result = relay.AckDuplicate
				return ack, nil
			}
			ack.Result, ack.Reason = relay.AckRejected, "conflict: this id was stored with different content"
			return ack, s.flag(tx, c, Conflict{RecordID: ack.ID, Type: p.typ, Reason: ack.Reason, HeldBy: ack.ID})
		}
		rec := checkpointRec{DeviceID: c.dev.ID, ID: ack.ID, Seq: p.cp.Seq, Hash: p.cp.Hash, At: p.cp.At, ReceivedAt: c.now}
		if err := putJSON(b, key, &rec); err != nil {
			return ack, err
		}
		ack.Result = relay.AckAccepted
		return ack, nil
	case relay.TypeCPPTIssue, relay.TypeCPPTMeeting:
		return s.storeCPPT(tx, c, p)
	}
	return ack, fmt.Errorf("central: store: unexpected record type %q", p.typ)
}

// flag keeps a conflict for the operator.
func (s *Server) flag(tx *bolt.Tx, c *call, cf Conflict) error {
	b := tx.Bucket(bConflicts)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	cf.Seq, cf.At, cf.DeviceID = seq, c.now, c.dev.ID
	s.log.Warn("central: conflicting record flagged", "device", cf.DeviceID, "record", cf.RecordID, "type", cf.Type)
	return putJSON(b, u64(seq), &cf)
}

// --- updates ---

func feedKey(cpc string, k int) []byte { return []byte(fmt.Sprintf("%s%d", cpc, k)) }

func (s *Server) handleUpdates(c *call) (any, *devError) {
	var req relay.UpdatesRequest
	if err := json.Unmarshal(c.body, &req); err != nil {
		return nil, devErr(http.StatusBadRequest, relay.CodeBadRequest, "updates request: %v", err)
	}
	if req.Health != nil {
		s.contactMu.Lock()
		if ct := s.contacts[c.dev.ID]; ct != nil {
			ct.health = req.Health
		}
		s.contactMu.Unlock()
	}
	limit := req.Limit
	if limit <= 0 || limit > relay.MaxUpdates {
		limit = relay.MaxUpdates
	}
	reply := relay.UpdatesReply{Updates: []relay.Update{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		feed := tx.Bucket(bUpdates).Bucket(feedKey(c.dev.CPC, c.dev.Kiosk))
		if feed == nil || req.After == ^uint64(0) {
			return nil
		}
		cur := feed.Cursor()
		for k, v := cur.Seek(u64(req.After + 1)); k != nil; k, v = cur.Next() {
			if len(reply.Updates) == limit {
				reply.More = true
				break
			}
			var u relay.Update
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			reply.Updates = append(reply.Updates, u)
		}
		return nil
	})
	if err != nil {
		s.log.Error("central: read updates", "device", c.dev.ID, "err", err)
		return nil, devErr(http.StatusServiceUnavailable, relay.CodeUnavailable, "cannot read updates now")
	}
	if h := req.Health; h != nil {
		reply.Release = s.offer(h.Arch, h.Version)
	}
	reply.RecordTypes = relay.RecordTypes
	reply.Time = s.now()
	return reply, nil
}

// --- personal ---

func (s *Server) handlePersonal(c *call) (any, *devError) {
	var req relay.PersonalRequest
	if err := json.Unmarshal(c.body, &req); err != nil {
		return nil, devErr(http.StatusBadRequest, relay.CodeBadRequest, "personal request: %v", err)
	}
	var rec reportRec
	var found bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		found, err = getJSON(tx.Bucket(bReports), []byte(req.ID), &rec)
		return err
	})
	if err != nil {
		return nil, devErr(http.StatusServiceUnavailable, relay.CodeUnavailable, "cannot read now")
	}
	if !found || rec.CPC != c.dev.CPC || rec.Kiosk != c.dev.Kiosk {
		return nil, devErr(http.StatusNotFound, relay.CodeNotFound, "no report %s of this kiosk", truncate(req.ID, 64))
	}
	p, err := relay.OpenPersonal(rec.Sealed, s.box.Private)
	if err != nil {
		s.log.Error("central: stored report does not open", "record", rec.ID, "err", err)
		return nil, devErr(http.StatusServiceUnavailable, relay.CodeUnavailable, "stored data does not open")
	}
	to, err := relay.Key32(c.dev.BoxKey)
	if err != nil {
		return nil, devErr(http.StatusServiceUnavailable, relay.CodeUnavailable, "device box key: %v", err)
	}
	sealed, err := relay.SealPersonal(p, to)
	if err != nil {
		return nil, devErr(http.StatusServiceUnavailable, relay.CodeUnavailable, "seal: %v", err)
	}
	return relay.PersonalReply{Sealed: sealed, Time: s.now()}, nil
}

// --- nonce cache ---

const (
	nonceFresh = iota
	nonceSeen
	nonceFull
)

// nonceCache remembers the nonces of accepted requests for 2*Window, which
// outlives any time at which the same request could pass the window check.
type nonceCache struct {
	mu   sync.Mutex
	seen map[string]time.Time // key → expiry
	max  int
}

func newNonceCache(max int) *nonceCache {
	return &nonceCache{seen: make(map[string]time.Time), max: max}
}

func (c *nonceCache) add(key string, now time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if exp, ok := c.seen[key]; ok && now.Before(exp) {
		return nonceSeen
	}
	if len(c.seen) >= c.max {
		for k, exp := range c.seen {
			if !now.Before(exp) {
				delete(c.seen, k)
			}
		}
		if len(c.seen) >= c.max {
			return nonceFull
		}
	}
	c.seen[key] = now.Add(2 * relay.Window)
	return nonceFresh
}
