// Package relay is the kiosk's link to the central E-Crime Registration
// System: the versioned wire protocol shared with the reference central
// (docs/relay.md), enrolment, and the worker that delivers the outbox exactly
// once and pulls status updates back.
package relay

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/crypto/nacl/box"

	"cpckiosk/kiosk"
)

// Version names the protocol; it is part of every signed message.
const Version = "cpc-relay/1"

// Paths of the device side of the central, all POST with a JSON body.
const (
	PathEnroll   = "/relay/v1/enroll"
	PathBatch    = "/relay/v1/batch"
	PathUpdates  = "/relay/v1/updates"
	PathPersonal = "/relay/v1/personal"
	// PathRelease answers with raw bundle bytes (ReleaseRequest), not JSON.
	PathRelease = "/relay/v1/release"
)

// Headers of a signed request and of the central's signed reply.
const (
	HeaderDevice         = "X-Cpc-Device"          // device id (KeyID of its ed25519 key)
	HeaderTime           = "X-Cpc-Time"            // RFC 3339 with nanoseconds, the sender's time
	HeaderNonce          = "X-Cpc-Nonce"           // 16 random bytes, base64url without padding
	HeaderSignature      = "X-Cpc-Signature"       // base64 ed25519 signature of RequestMessage
	HeaderReplySignature = "X-Cpc-Reply-Signature" // base64 ed25519 signature of ReplyMessage
)

// Limits of the protocol.
const (
	// Window is how far a request's time may be from the central's.
	Window = 5 * time.Minute
	// MaxBatchRecords and MaxBatchBytes bound one batch (before gzip).
	MaxBatchRecords = 1000
	MaxBatchBytes   = 1 << 20
	// MaxBody bounds any request body on the wire (gzip or not) and any
	// decompressed body.
	MaxBody = 4 << 20
	// MaxUpdates bounds one updates reply.
	MaxUpdates = 500
	// MaxRelease bounds an update bundle the central holds and offers.
	MaxRelease = 200 << 20
)

// Record types that travel in a batch. The CPPT types are the kiosk
// store's CPPT outbox types (kiosk.OutboxCPPTIssue, kiosk.OutboxCPPTMeeting).
const (
	TypeReport      = "report"
	TypeCheckpoint  = "audit_checkpoint"
	TypeCPPTIssue   = "cppt_issue"   // CPPTIssueRecord
	TypeCPPTMeeting = "cppt_meeting" // CPPTMeetingRecord
)

// RecordTypes are the record types this protocol's central stores
// (UpdatesReply.RecordTypes).
var RecordTypes = []string{TypeReport, TypeCheckpoint, TypeCPPTIssue, TypeCPPTMeeting}

// Ack results.
const (
	AckAccepted  = "accepted"  // stored now
	AckDuplicate = "duplicate" // already stored with the same content: done
	AckRejected  = "rejected"  // will never be stored; Reason says why; do not resend
)

// Error codes of an ErrorReply.
const (
	CodeBadRequest   = "bad_request"    // 400: malformed body or headers
	CodeBadSignature = "bad_signature"  // 401: the signature does not verify
	CodeUnknown      = "unknown_device" // 401: no device with that id
	CodeStale        = "stale"          // 401: time outside Window; the reply's time tells the right one
	CodeRevoked      = "revoked"        // 403: the device was revoked by an operator
	CodeToken        = "bad_token"      // 403: enrolment token unknown, used or expired
	CodeReplay       = "replay"         // 409: nonce already seen
	CodeNotFound     = "not_found"      // 404: no such record
	CodeTooLarge     = "too_large"      // 413
	CodeUnavailable  = "unavailable"    // 503: the central cannot commit now; retry later
)

// EnrollRequest registers a device with a one-time token. It is signed with
// the device key it registers (proof of possession); HeaderDevice is
// KeyID(SignKey).
type EnrollRequest struct {
	Token    string `json:"token"`
	SignKey  []byte `json:"sign_key"` // ed25519 public key, 32 bytes
	BoxKey   []byte `json:"box_key"`  // X25519 public key, 32 bytes, for data the central sends back
	Software string `json:"software,omitempty"`
}

// EnrollReply is what a device keeps from its enrolment.
type EnrollReply struct {
	DeviceID       string `json:"device_id"`
	CPC            string `json:"cpc"`
	Kiosk          int    `json:"kiosk"`
	Certificate    []byte `json:"certificate"`      // extract.IssueCertificate bytes
	CentralSignKey []byte `json:"central_sign_key"` // ed25519, verifies replies and certificates
	CentralBoxKey  []byte `json:"central_box_key"`  // X25519, personal data is sealed to it
	// Sequences maps a two-digit year ("26") to the highest sequence number
	// the central holds from this CPC and kiosk number in that year; the
	// kiosk never issues a number at or below it.
	Sequences map[string]int `json:"sequences"`
	Time      time.Time      `json:"time"`
}

// Record is one item of a batch. ID is the idempotency key: the central
// stores a record once; a resend with the same content is a duplicate, with
// different content it is rejected and flagged. A CPPT record's ID names
// one version of it (CPPTRecordID): a later change travels under a new ID.
type Record struct {
	Type        string             `json:"type"`
	ID          string             `json:"id"`
	Report      *ReportRecord      `json:"report,omitempty"`
	Checkpoint  *Checkpoint        `json:"checkpoint,omitempty"`
	CPPTIssue   *CPPTIssueRecord   `json:"cppt_issue,omitempty"`
	CPPTMeeting *CPPTMeetingRecord `json:"cppt_meeting,omitempty"`
}

// ReportRecord is a report as it travels: the public fields in clear, the
// personal ones sealed to the central's box key.
type ReportRecord struct {
	Number      string         `json:"number"`
	Category    kiosk.Category `json:"category"`
	Lang        string         `json:"lang"`
	Anonymous   bool           `json:"anonymous"`
	Place       string         `json:"place,omitempty"`
	OccurredAt  string         `json:"occurred_at,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
	ClockSynced bool           `json:"clock_synced"`
	Sealed      []byte         `json:"sealed"` // SealPersonal(Personal)
}

// Personal is the personal part of a report, only ever on the wire sealed.
type Personal struct {
	Reporter    kiosk.Reporter `json:"reporter"`
	Description string         `json:"description"`
}

// Checkpoint is the head of a kiosk's audit chain at a moment: the central
// keeps them so that a rewritten kiosk history shows.
type Checkpoint struct {
	Seq  uint64    `json:"seq"`
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
}

// BatchRequest carries up to MaxBatchRecords records, oldest first, gzip.
type BatchRequest struct {
	Records []Record `json:"records"`
}

// Ack is the central's answer for one record.
type Ack struct {
	ID     string `json:"id"`
	Result string `json:"result"`
	Reason string `json:"reason,omitempty"`
}

// BatchReply answers every record of a batch, in order.
type BatchReply struct {
	Acks []Ack     `json:"acks"`
	Time time.Time `json:"time"`
}

// UpdatesRequest asks for the status changes of this kiosk's reports after a
// cursor (0 for all). It carries the kiosk's health to the central.
type UpdatesRequest struct {
	After  uint64        `json:"after"`
	Limit  int           `json:"limit,omitempty"`
	Health *DeviceHealth `json:"health,omitempty"`
}

// DeviceHealth is the board's state as the central's operators see it.
// With Arch and a dotted Version it also says which release the central may
// offer (UpdatesReply.Release).
type DeviceHealth struct {
	Version       string    `json:"version"`
	Arch          string    `json:"arch,omitempty"` // update.DeviceArch: arm64, armv7, amd64
	Printer       string    `json:"printer"`
	Pending       int       `json:"pending"`
	DiskFree      uint64    `json:"disk_free_bytes"`
	DiskTotal     uint64    `json:"disk_total_bytes"`
	MemAvailable  uint64    `json:"mem_available_bytes"`
	CPUTempC      *float64  `json:"cpu_temp_c,omitempty"`
	UptimeSeconds int64     `json:"uptime_seconds"`
	ClockSynced   bool      `json:"clock_synced"`
	At            time.Time `json:"at"`
	// Update is the board's last update and the download of an offered
	// release.
	Update *UpdateHealth `json:"update,omitempty"`
}

// UpdateHealth is what the central sees of a board's updates: the updater's
// state file (firmware/update state.json) and the kiosk's download.
type UpdateHealth struct {
	Phase         string `json:"phase,omitempty"`          // state.json phase: "" (never updated), probation, confirmed, rolled_back, failed, repaired
	Version       string `json:"version,omitempty"`        // the active slot's version
	FailedVersion string `json:"failed_version,omitempty"` // the last version that failed here
	Reason        string `json:"reason,omitempty"`         // why it failed
	// Fetch says what the kiosk does about the offered release:
	// downloading, handed to the updater, refused and why.
	Fetch string `json:"fetch,omitempty"`
	// LastApply is the last line the unattended updater wrote
	// (DATA/updates/result): the bundle, its exit code and last message.
	LastApply string `json:"last_apply,omitempty"`
}

// Update is one status change made at the central.
type Update struct {
	Cursor     uint64         `json:"cursor"`
	ID         string         `json:"id"` // record UUID
	Number     string         `json:"number"`
	Status     kiosk.Status   `json:"status"`
	Decision   kiosk.Decision `json:"decision,omitempty"`
	Note       string         `json:"note,omitempty"`
	CaseNumber string         `json:"case_number,omitempty"`
	At         time.Time      `json:"at"`
}

// UpdatesReply carries updates in cursor order; More says another pull
// would return more. Release, when set, offers the newest release the
// central holds for the device's architecture that is newer than the
// version in the request's health (and whose min_version it meets).
type UpdatesReply struct {
	Updates []Update      `json:"updates"`
	More    bool          `json:"more"`
	Release *ReleaseOffer `json:"release,omitempty"`
	// RecordTypes lists the record types the central stores. A central
	// that predates the field sends none: the kiosk then holds its CPPT
	// records back (such a central would reject them for good).
	RecordTypes []string  `json:"record_types,omitempty"`
	Time        time.Time `json:"time"`
}

// ReleaseOffer names a signed update bundle the device may download with
// ReleaseRequest. It arrives in a signed reply, so Size and SHA256
// authenticate the bundle bytes, which are not signed themselves.
type ReleaseOffer struct {
	Version string `json:"version"`
	Arch    string `json:"arch"`
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"` // lower-case hex of the whole bundle file
}

// ReleaseRequest asks for the bytes [Offset, Offset+Length) of an offered
// bundle (to the end when Length is 0). The reply is 200 with
// Content-Type application/octet-stream, Content-Length, and the headers
// HeaderReleaseSize, HeaderReleaseOffset and HeaderReleaseSHA256; a refusal
// is a signed ErrorReply as everywhere (404 not_found when the central no
// longer holds that release, 400 when the offset is past its end).
type ReleaseRequest struct {
	Version string `json:"version"`
	Arch    string `json:"arch"`
	Offset  int64  `json:"offset"`
	Length  int64  `json:"length,omitempty"`
}

// Headers of a release download reply.
const (
	HeaderReleaseSize   = "X-Cpc-Release-Size"   // the whole bundle's size
	HeaderReleaseOffset = "X-Cpc-Release-Offset" // where these bytes start
	HeaderReleaseSHA256 = "X-Cpc-Release-Sha256" // the whole bundle's SHA-256
)

// PersonalRequest asks the central for the personal fields of a report the
// kiosk has already purged (for an extract).
type PersonalRequest struct {
	ID string `json:"id"`
}

// PersonalReply holds the personal fields sealed to the device's box key.
type PersonalReply struct {
	Sealed []byte    `json:"sealed"`
	Time   time.Time `json:"time"`
}

// ErrorReply is the body of every non-2xx reply of the device API.
type ErrorReply struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Time time.Time `json:"time"`
}

// RequestMessage is what a device signs: the protocol version, method, path,
// the time and nonce headers and the SHA-256 of the body bytes as sent.
func RequestMessage(method, path, at, nonce string, body []byte) []byte {
	sum := sha256.Sum256(body)
	return []byte(Version + " request\n" + method + "\n" + path + "\n" + at + "\n" + nonce + "\n" + hex.EncodeToString(sum[:]))
}

// ReplyMessage is what the central signs: the request's nonce (so a reply
// cannot be replayed to another request), the HTTP status and the SHA-256 of
// the body bytes as sent.
func ReplyMessage(nonce string, status int, body []byte) []byte {
	sum := sha256.Sum256(body)
	return []byte(Version + " reply\n" + nonce + "\n" + strconv.Itoa(status) + "\n" + hex.EncodeToString(sum[:]))
}

// NewNonce returns 16 random bytes, base64url.
func NewNonce() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("relay: nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// SignRequest sets the signature headers of req, whose body is body.
func SignRequest(req *http.Request, body []byte, deviceID string, key ed25519.PrivateKey, at time.Time) (nonce string, err error) {
	nonce, err = NewNonce()
	if err != nil {
		return "", err
	}
	ts := at.UTC().Format(time.RFC3339Nano)
	sig := ed25519.Sign(key, RequestMessage(req.Method, req.URL.Path, ts, nonce, body))
	req.Header.Set(HeaderDevice, deviceID)
	req.Header.Set(HeaderTime, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	return nonce, nil
}

// Signed is the signature part of a request as the central reads it.
type Signed struct {
	Device string
	Time   time.Time
	Nonce  string
	Sig    []byte
	rawAt  string
}

// ErrHeaders: a signature header is missing or malformed.
var ErrHeaders = errors.New("relay: missing or malformed signature headers")

// ParseSigned reads the signature headers of a request.
func ParseSigned(h http.Header) (Signed, error) {
	s := Signed{Device: h.Get(HeaderDevice), Nonce: h.Get(HeaderNonce), rawAt: h.Get(HeaderTime)}
	t, err := time.Parse(time.RFC3339Nano, s.rawAt)
	if err != nil || s.Device == "" || len(s.Device) > 64 {
		return s, ErrHeaders
	}
	n, err := base64.RawURLEncoding.DecodeString(s.Nonce)
	if err != nil || len(n) != 16 {
		return s, ErrHeaders
	}
	s.Sig, err = base64.StdEncoding.DecodeString(h.Get(HeaderSignature))
	if err != nil || len(s.Sig) != ed25519.SignatureSize {
		return s, ErrHeaders
	}
	s.Time = t
	return s, nil
}

// Verify checks the signature against pub for this method, path and body.
func (s Signed) Verify(pub ed25519.PublicKey, method, path string, body []byte) bool {
	return len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, RequestMessage(method, path, s.rawAt, s.Nonce, body), s.Sig)
}

// sealVersion starts every sealed value: version, ephemeral public key,
// nonce, NaCl box.
const sealVersion = 1

// sealHeader is the length of what precedes the box.
const sealHeader = 1 + 32 + 24

// Sealer encrypts personal data to one recipient's X25519 key with NaCl box
// (X25519, XSalsa20-Poly1305) from a fresh ephemeral key pair whose private
// half is dropped: only the recipient can open it, and nobody, the kiosk
// included, can open it later. One Sealer serves one batch, so the costly
// key agreement is done once per batch, not per record; every value gets its
// own random nonce and carries the ephemeral public key, so each opens on its
// own. Not safe for concurrent use.
type Sealer struct {
	epk    [32]byte
	shared [32]byte
}

// NewSealer makes a sealer for recipient.
func NewSealer(recipient *[32]byte) (*Sealer, error) {
	pub, priv, err := box.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("relay: sealer: %w", err)
	}
	s := &Sealer{epk: *pub}
	box.Precompute(&s.shared, recipient, priv)
	clear(priv[:])
	return s, nil
}

// Seal encrypts p.
func (s *Sealer) Seal(p Personal) ([]byte, error) { return s.SealValue(p) }

// SealValue encrypts the JSON of v (a report's Personal, a CPPT record's
// personal part) in the same format as Seal.
func (s *Sealer) SealValue(v any) ([]byte, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("relay: seal personal data: %w", err)
	}
	var nonce [24]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("relay: seal personal data: %w", err)
	}
	out := make([]byte, 0, sealHeader+len(plain)+box.Overhead)
	out = append(out, sealVersion)
	out = append(out, s.epk[:]...)
	out = append(out, nonce[:]...)
	return box.SealAfterPrecomputation(out, plain, &nonce, &s.shared), nil
}

// SealPersonal seals one value with its own ephemeral key (see Sealer).
func SealPersonal(p Personal, recipient *[32]byte) ([]byte, error) {
	s, err := NewSealer(recipient)
	if err != nil {
		return nil, err
	}
	return s.Seal(p)
}

// SealValue seals the JSON of one value with its own ephemeral key (see
// Sealer.SealValue).
func SealValue(v any, recipient *[32]byte) ([]byte, error) {
	s, err := NewSealer(recipient)
	if err != nil {
		return nil, err
	}
	return s.SealValue(v)
}

// ErrSealed: a sealed value does not open with this key pair.
var ErrSealed = errors.New("relay: sealed data does not open with this key")

// Opener decrypts sealed values for one key pair, remembering the key
// agreement per ephemeral key (one per batch). Not safe for concurrent use;
// make one per batch.
type Opener struct {
	priv  *[32]byte
	cache map[[32]byte]*[32]byte
}

// NewOpener returns an opener for the private key priv.
func NewOpener(priv *[32]byte) *Opener {
	return &Opener{priv: priv, cache: map[[32]byte]*[32]byte{}}
}

// Open decrypts what a Sealer made for this key.
func (o *Opener) Open(sealed []byte) (Personal, error) {
	var p Personal
	err := o.OpenValue(sealed, &p)
	return p, err
}

// OpenValue decrypts what SealValue made for this key into v.
func (o *Opener) OpenValue(sealed []byte, v any) error {
	if len(sealed) < sealHeader+box.Overhead || sealed[0] != sealVersion {
		return ErrSealed
	}
	var epk [32]byte
	var nonce [24]byte
	copy(epk[:], sealed[1:33])
	copy(nonce[:], sealed[33:sealHeader])
	shared, ok := o.cache[epk]
	if !ok {
		shared = new([32]byte)
		box.Precompute(shared, &epk, o.priv)
		if len(o.cache) < 1024 {
			o.cache[epk] = shared
		}
	}
	plain, ok := box.OpenAfterPrecomputation(nil, sealed[sealHeader:], &nonce, shared)
	if !ok {
		return ErrSealed
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return fmt.Errorf("relay: sealed personal data: %w", err)
	}
	return nil
}

// OpenPersonal decrypts one value sealed to the key whose private half is priv.
func OpenPersonal(sealed []byte, priv *[32]byte) (Personal, error) {
	return NewOpener(priv).Open(sealed)
}

// ContentHash is the identity of a report's content for idempotency: the
// SHA-256 of its public fields and its personal fields in clear (the sealed
// bytes differ on every send, the content does not).
func ContentHash(r ReportRecord, p Personal) [32]byte {
	r.Sealed = nil
	b, err := json.Marshal(struct {
		R ReportRecord `json:"r"`
		P Personal     `json:"p"`
	}{r, p})
	if err != nil {
		panic("relay: content hash: " + err.Error()) // plain structs: cannot fail
	}
	return sha256.Sum256(b)
}
