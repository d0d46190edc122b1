package relay

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"cpckiosk/printer/extract"
)

// EnrollmentFile, in the data dir, says which central this kiosk belongs to.
// It is written last, after the keys, the certificate and the sequence
// marks, so its presence means enrolment completed.
const EnrollmentFile = "relay.json"

// Enrollment is what a kiosk keeps from enrolling.
type Enrollment struct {
	Central        string         `json:"central"` // URL
	DeviceID       string         `json:"device_id"`
	CPC            string         `json:"cpc"`
	Kiosk          int            `json:"kiosk"`
	CentralSignKey []byte         `json:"central_sign_key"`
	CentralBoxKey  []byte         `json:"central_box_key"`
	Sequences      map[string]int `json:"sequences"`
	EnrolledAt     time.Time      `json:"enrolled_at"`
}

// ErrNotEnrolled: the data dir holds no enrolment.
var ErrNotEnrolled = errors.New("relay: this kiosk is not enrolled (run kioskctl enroll)")

// LoadEnrollment reads DATA/relay.json, or returns ErrNotEnrolled.
func LoadEnrollment(dataDir string) (*Enrollment, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, EnrollmentFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotEnrolled
	}
	if err != nil {
		return nil, fmt.Errorf("relay: load enrolment: %w", err)
	}
	var e Enrollment
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("relay: load enrolment %s: %w", EnrollmentFile, err)
	}
	if len(e.CentralSignKey) != ed25519.PublicKeySize || len(e.CentralBoxKey) != 32 || e.Central == "" {
		return nil, fmt.Errorf("relay: load enrolment %s: incomplete", EnrollmentFile)
	}
	return &e, nil
}

// Years returns Sequences keyed by year number.
func (e *Enrollment) Years() (map[int]int, error) {
	out := make(map[int]int, len(e.Sequences))
	for y, n := range e.Sequences {
		yy, err := strconv.Atoi(y)
		if err != nil || len(y) != 2 {
			return nil, fmt.Errorf("relay: enrolment: year %q is not two digits", y)
		}
		out[yy] = n
	}
	return out, nil
}

// Keys are a kiosk's own keys.
type Keys struct {
	Sign     ed25519.PrivateKey
	DeviceID string
	Box      BoxKey
}

// LoadKeys returns the kiosk's signing and box keys from DATA/keys,
// creating them on first use.
func LoadKeys(dataDir string) (Keys, error) {
	dir := filepath.Join(dataDir, "keys")
	sign, id, err := extract.LoadOrCreateDeviceKey(dir)
	if err != nil {
		return Keys{}, err
	}
	bx, err := LoadOrCreateBoxKey(filepath.Join(dir, BoxKeyFile))
	if err != nil {
		return Keys{}, err
	}
	return Keys{Sign: sign, DeviceID: id, Box: bx}, nil
}

// Enroll registers the kiosk whose data dir is dataDir with the central at
// url using a one-time token. raise is called with the kiosk number and the
// central's sequence high-water marks (year → highest sequence) before anything is saved; it
// must make them durable in the kiosk's store. Then the certificate, the
// central's public key and finally the enrolment file are written.
func Enroll(ctx context.Context, dataDir, url, token string, hc *http.Client, raise func(kioskNo int, years map[int]int) error) (*Enrollment, error) {
	keys, err := LoadKeys(dataDir)
	if err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	c := &Client{URL: url, HTTP: hc, Key: keys.Sign, DeviceID: keys.DeviceID}
	var rep EnrollReply
	req := EnrollRequest{Token: token, SignKey: keys.Sign.Public().(ed25519.PublicKey), BoxKey: keys.Box.Public[:], Software: "kioskd"}
	if err := c.Call(ctx, PathEnroll, req, &rep); err != nil {
		return nil, fmt.Errorf("enroll with %s: %w", url, err)
	}
	switch {
	case rep.DeviceID != keys.DeviceID:
		return nil, fmt.Errorf("enroll: the central named this device %q, its key says %q", rep.DeviceID, keys.DeviceID)
	case len(rep.CentralSignKey) != ed25519.PublicKeySize || len(rep.CentralBoxKey) != 32:
		return nil, fmt.Errorf("enroll: the central's reply lacks its keys")
	}
	central := ed25519.PublicKey(rep.CentralSignKey)
	cert, err := extract.VerifyCertificate(rep.Certificate, extract.Anchors{central})
	if err != nil {
		return nil, fmt.Errorf("enroll: certificate: %w", err)
	}
	if !cert.PublicKey.Equal(keys.Sign.Public()) || cert.CPC != rep.CPC || cert.Kiosk != rep.Kiosk {
		return nil, fmt.Errorf("enroll: the certificate is for another device")
	}
	e := &Enrollment{Central: url, DeviceID: rep.DeviceID, CPC: rep.CPC, Kiosk: rep.Kiosk,
		CentralSignKey: rep.CentralSignKey, CentralBoxKey: rep.CentralBoxKey, Sequences: rep.Sequences,
		EnrolledAt: rep.Time}
	years, err := e.Years()
	if err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	if err := raise(rep.Kiosk, years); err != nil {
		return nil, fmt.Errorf("enroll: record the central's sequence numbers: %w", err)
	}
	dir := filepath.Join(dataDir, "keys")
	if err := extract.SaveCertificate(dir, rep.Certificate); err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	if err := extract.WriteFileAtomic(filepath.Join(dir, extract.CentralPubFile), extract.EncodePublicKey(central), 0o644); err != nil {
		return nil, fmt.Errorf("enroll: save the central's key: %w", err)
	}
	b, _ := json.MarshalIndent(e, "", "  ")
	if err := extract.WriteFileAtomic(filepath.Join(dataDir, EnrollmentFile), append(b, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	return e, nil
}
