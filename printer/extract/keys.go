package extract

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Key files, all PEM:
//
//	DATA/keys/device.key   "PRIVATE KEY" block, PKCS #8 ed25519 (openssl pkey reads it), mode 0600
//	DATA/keys/device.pub   "PUBLIC KEY" block, PKIX ed25519, mode 0644
//	DATA/keys/device.cert  "CPC DEVICE CERTIFICATE" block: IssueCertificate bytes, mode 0644
//	DATA/keys/central.pub  one or more "PUBLIC KEY" blocks: the central's keys (anchors)
//
// Every file is written to a temporary name, fsynced, renamed into place, and
// the directory fsynced, so a power cut leaves the old file or the new one.
const (
	DeviceKeyFile  = "device.key"
	DevicePubFile  = "device.pub"
	DeviceCertFile = "device.cert"
	CentralPubFile = "central.pub"

	pemCertType = "CPC DEVICE CERTIFICATE"
)

// Anchors are the public keys a verifier trusts: central keys that certify
// devices, and device keys trusted directly.
type Anchors []ed25519.PublicKey

func (a Anchors) contains(k ed25519.PublicKey) bool {
	for _, x := range a {
		if x.Equal(k) {
			return true
		}
	}
	return false
}

// LoadOrCreateDeviceKey returns the device's signing key and id (KeyID of the
// public key) from keysDir (normally DATA/keys), creating the directory (0700)
// and a new key on first use. device.pub is (re)written when missing.
func LoadOrCreateDeviceKey(keysDir string) (ed25519.PrivateKey, string, error) {
	path := filepath.Join(keysDir, DeviceKeyFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		key, err := parsePrivateKey(b)
		if err != nil {
			return nil, "", fmt.Errorf("extract: load device key %s: %w", path, err)
		}
		pub := key.Public().(ed25519.PublicKey)
		if _, err := os.Stat(filepath.Join(keysDir, DevicePubFile)); errors.Is(err, fs.ErrNotExist) {
			if err := writePublic(keysDir, pub); err != nil {
				return nil, "", err
			}
		}
		return key, KeyID(pub), nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, "", fmt.Errorf("extract: load device key: %w", err)
	}
	if err := os.MkdirAll(keysDir, 0o700); err != nil {
		return nil, "", fmt.Errorf("extract: create device key: %w", err)
	}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", fmt.Errorf("extract: create device key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, "", fmt.Errorf("extract: create device key: %w", err)
	}
	if err := WriteFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, "", fmt.Errorf("extract: create device key: %w", err)
	}
	if err := writePublic(keysDir, pub); err != nil {
		return nil, "", err
	}
	return key, KeyID(pub), nil
}

func writePublic(keysDir string, pub ed25519.PublicKey) error {
	if err := WriteFileAtomic(filepath.Join(keysDir, DevicePubFile), EncodePublicKey(pub), 0o644); err != nil {
		return fmt.Errorf("extract: write device public key: %w", err)
	}
	return nil
}

// EncodePublicKey returns pub as a PEM "PUBLIC KEY" block (PKIX), the format
// of device.pub and central.pub.
func EncodePublicKey(pub ed25519.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err) // cannot happen for an ed25519.PublicKey
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func parsePrivateKey(b []byte) (ed25519.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, errors.New("no PEM PRIVATE KEY block")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is %T, not ed25519", k)
	}
	return ek, nil
}

// SaveCertificate stores the certificate the central issued at enrolment.
func SaveCertificate(keysDir string, cert []byte) error {
	if _, err := ParseCertificate(cert); err != nil {
		return fmt.Errorf("extract: save certificate: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: pemCertType, Bytes: cert})
	if err := WriteFileAtomic(filepath.Join(keysDir, DeviceCertFile), data, 0o644); err != nil {
		return fmt.Errorf("extract: save certificate: %w", err)
	}
	return nil
}

// LoadCertificate returns the stored device certificate, or nil and no error
// when the kiosk is not enrolled yet.
func LoadCertificate(keysDir string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(keysDir, DeviceCertFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("extract: load certificate: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != pemCertType {
		return nil, fmt.Errorf("extract: load certificate: no %s block", pemCertType)
	}
	if _, err := ParseCertificate(blk.Bytes); err != nil {
		return nil, fmt.Errorf("extract: load certificate: %w", err)
	}
	return blk.Bytes, nil
}

// LoadAnchors returns the anchors found in a kiosk's or central's data dir:
// DATA/keys/central.pub (the central's keys) and DATA/keys/device.pub (the
// kiosk's own key). Either may be missing; both missing is an error.
func LoadAnchors(dataDir string) (Anchors, error) {
	var all Anchors
	for _, name := range []string{CentralPubFile, DevicePubFile} {
		a, err := LoadAnchorFile(filepath.Join(dataDir, "keys", name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		all = append(all, a...)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("extract: load anchors: %w: neither keys/%s nor keys/%s in %s",
			ErrNoAnchors, CentralPubFile, DevicePubFile, dataDir)
	}
	return all, nil
}

// LoadAnchorFile reads public keys from a file: one or more PEM "PUBLIC KEY"
// blocks (PKIX ed25519), or a single line with the 32-byte key in standard
// base64.
func LoadAnchorFile(path string) (Anchors, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("extract: load anchor file: %w", err)
	}
	a, err := ParseAnchors(b)
	if err != nil {
		return nil, fmt.Errorf("extract: load anchor file %s: %w", path, err)
	}
	return a, nil
}

// ParseAnchors parses the contents of an anchor file (see LoadAnchorFile).
func ParseAnchors(b []byte) (Anchors, error) {
	if !bytes.Contains(b, []byte("-----BEGIN")) {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return nil, errors.New("neither PEM nor a base64 ed25519 key")
		}
		return Anchors{ed25519.PublicKey(raw)}, nil
	}
	var out Anchors
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("unexpected PEM block %q", blk.Type)
		}
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return nil, err
		}
		ek, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("public key is %T, not ed25519", k)
		}
		out = append(out, ek)
	}
	if len(out) == 0 {
		return nil, errors.New("no PUBLIC KEY block")
	}
	return out, nil
}

// WriteFileAtomic writes data to path via a temporary file in the same
// directory: write, fsync, chmod, rename, fsync the directory.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
