package update

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"cpckiosk/printer/extract"
)

// Key and certificate files, all PEM, written atomically (temp, fsync,
// rename, fsync dir) like the device keys in printer/extract:
//
//	root.key      "PRIVATE KEY", PKCS #8 ed25519, 0600: stays offline
//	root.pub      "PUBLIC KEY", PKIX ed25519, 0644: on every board as the trust file
//	release.key   "PRIVATE KEY", PKCS #8 ed25519, 0600: signs bundles
//	release.pub   "PUBLIC KEY", PKIX ed25519, 0644
//	release.cert  "CPC UPDATE RELEASE CERTIFICATE": the root's signature over
//	              the release key, its name and validity (FORMAT.md), 0644
const (
	RootKeyFile     = "root.key"
	RootPubFile     = "root.pub"
	ReleaseKeyFile  = "release.key"
	ReleasePubFile  = "release.pub"
	ReleaseCertFile = "release.cert"

	// DefaultTrustFile is where a board keeps the root public key(s).
	DefaultTrustFile = "/etc/cpc-kiosk/update-root.pub"

	pemCertType = "CPC UPDATE RELEASE CERTIFICATE"
	certVersion = 1
	// certDomain and manifestDomain separate what the root signs from what
	// a release key signs, and both from every other ed25519 use.
	certDomain     = "cpc-kiosk update release certificate v1\x00"
	manifestDomain = "cpc-kiosk update manifest v1\x00"
)

// Cert is a release certificate: the root key vouches that PublicKey may sign
// bundles between NotBefore and NotAfter. Times have one-second precision.
type Cert struct {
	Name      string
	PublicKey ed25519.PublicKey
	NotBefore time.Time
	NotAfter  time.Time
}

// IssueCert signs c with the root key and returns the PEM certificate.
func IssueCert(c Cert, root ed25519.PrivateKey) ([]byte, error) {
	switch {
	case len(root) != ed25519.PrivateKeySize:
		return nil, errors.New("update: issue certificate: bad root key")
	case len(c.PublicKey) != ed25519.PublicKeySize:
		return nil, errors.New("update: issue certificate: bad release public key")
	case c.Name == "" || len(c.Name) > 255:
		return nil, errors.New("update: issue certificate: name must be 1-255 bytes")
	case !c.NotAfter.After(c.NotBefore):
		return nil, errors.New("update: issue certificate: not-after must be after not-before")
	}
	body := certBody(c)
	sig := ed25519.Sign(root, append([]byte(certDomain), body...))
	return pem.EncodeToMemory(&pem.Block{Type: pemCertType, Bytes: append(body, sig...)}), nil
}

func certBody(c Cert) []byte {
	var b bytes.Buffer
	b.WriteByte(certVersion)
	b.WriteByte(byte(len(c.Name)))
	b.WriteString(c.Name)
	b.Write(c.PublicKey)
	binary.Write(&b, binary.BigEndian, c.NotBefore.Unix())
	binary.Write(&b, binary.BigEndian, c.NotAfter.Unix())
	return b.Bytes()
}

// ParseCert decodes a PEM release certificate without checking who signed it.
func ParseCert(b []byte) (Cert, error) {
	c, _, _, err := parseCert(b)
	if err != nil {
		return c, fmt.Errorf("update: %w", err)
	}
	return c, nil
}

func parseCert(b []byte) (c Cert, body, sig []byte, err error) {
	blk, rest := pem.Decode(b)
	if blk == nil || blk.Type != pemCertType || len(bytes.TrimSpace(rest)) != 0 {
		return c, nil, nil, fmt.Errorf("release certificate: want one PEM %q block: %w", pemCertType, ErrMalformed)
	}
	d := blk.Bytes
	if len(d) < 2 || d[0] != certVersion {
		return c, nil, nil, fmt.Errorf("release certificate: unknown version: %w", ErrMalformed)
	}
	n := int(d[1])
	if len(d) != 2+n+ed25519.PublicKeySize+16+ed25519.SignatureSize || n == 0 {
		return c, nil, nil, fmt.Errorf("release certificate: %d bytes: %w", len(d), ErrMalformed)
	}
	p := 2
	c.Name = string(d[p : p+n])
	p += n
	c.PublicKey = ed25519.PublicKey(bytes.Clone(d[p : p+ed25519.PublicKeySize]))
	p += ed25519.PublicKeySize
	c.NotBefore = time.Unix(int64(binary.BigEndian.Uint64(d[p:])), 0).UTC()
	c.NotAfter = time.Unix(int64(binary.BigEndian.Uint64(d[p+8:])), 0).UTC()
	p += 16
	return c, d[:p], d[p:], nil
}

// VerifyCert checks that one of roots signed the certificate and that now is
// within its validity.
func VerifyCert(b []byte, roots []ed25519.PublicKey, now time.Time) (Cert, error) {
	c, err := verifyCert(b, roots, now)
	if err != nil {
		return c, fmt.Errorf("update: %w", err)
	}
	return c, nil
}

func verifyCert(b []byte, roots []ed25519.PublicKey, now time.Time) (Cert, error) {
	c, body, sig, err := parseCert(b)
	if err != nil {
		return c, err
	}
	msg := append([]byte(certDomain), body...)
	trusted := false
	for _, r := range roots {
		if len(r) == ed25519.PublicKeySize && ed25519.Verify(r, msg, sig) {
			trusted = true
			break
		}
	}
	if !trusted {
		return c, fmt.Errorf("release certificate %q: %w", c.Name, ErrUntrusted)
	}
	if now.Before(c.NotBefore) {
		return c, fmt.Errorf("release certificate %q valid from %s, now is %s (is the clock right?): %w",
			c.Name, c.NotBefore.Format(time.RFC3339), now.UTC().Format(time.RFC3339), ErrNotYetValid)
	}
	if now.After(c.NotAfter) {
		return c, fmt.Errorf("release certificate %q valid until %s, now is %s: %w",
			c.Name, c.NotAfter.Format(time.RFC3339), now.UTC().Format(time.RFC3339), ErrExpired)
	}
	return c, nil
}

// SignManifest returns the release key's signature over the exact manifest
// bytes (with the manifest domain prefix), the content of manifest.sig.
func SignManifest(key ed25519.PrivateKey, manifest []byte) []byte {
	return ed25519.Sign(key, append([]byte(manifestDomain), manifest...))
}

func verifyManifestSig(pub ed25519.PublicKey, manifest, sig []byte) bool {
	return len(sig) == ed25519.SignatureSize && ed25519.Verify(pub, append([]byte(manifestDomain), manifest...), sig)
}

// EncodePrivateKey returns key as a PEM "PRIVATE KEY" block (PKCS #8).
func EncodePrivateKey(key ed25519.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic(err) // cannot happen for an ed25519.PrivateKey
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// LoadPrivateKey reads a PEM PKCS #8 ed25519 private key.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("update: load private key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("update: load private key %s: no PEM PRIVATE KEY block: %w", path, ErrMalformed)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("update: load private key %s: %w", path, err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("update: load private key %s: key is %T, not ed25519: %w", path, k, ErrMalformed)
	}
	return ek, nil
}

// LoadTrust reads the root public keys a board trusts: one or more PEM
// "PUBLIC KEY" blocks (several while a root key is being replaced).
func LoadTrust(path string) ([]ed25519.PublicKey, error) {
	a, err := extract.LoadAnchorFile(path)
	if err != nil {
		return nil, fmt.Errorf("update: load trust: %w", err)
	}
	return []ed25519.PublicKey(a), nil
}

// GenerateRootKey writes a new root key pair, DIR/root.key and DIR/root.pub.
// It never overwrites an existing key.
func GenerateRootKey(dir string) (ed25519.PublicKey, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("update: generate root key: %w", err)
	}
	keyPath := filepath.Join(dir, RootKeyFile)
	if _, err := os.Lstat(keyPath); !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("update: generate root key: %s already exists: %w", keyPath, fs.ErrExist)
	}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("update: generate root key: %w", err)
	}
	if err := extract.WriteFileAtomic(keyPath, EncodePrivateKey(key), 0o600); err != nil {
		return nil, fmt.Errorf("update: generate root key: %w", err)
	}
	if err := extract.WriteFileAtomic(filepath.Join(dir, RootPubFile), extract.EncodePublicKey(pub), 0o644); err != nil {
		return nil, fmt.Errorf("update: generate root key: %w", err)
	}
	return pub, nil
}

// GenerateReleaseKey makes DIR/release.key and DIR/release.pub (unless a
// release key is already there, which is then kept: renewing a certificate)
// and writes DIR/release.cert signed by root. created says whether a new key
// was made.
func GenerateReleaseKey(dir string, root ed25519.PrivateKey, name string, notBefore, notAfter time.Time) (c Cert, created bool, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return c, false, fmt.Errorf("update: generate release key: %w", err)
	}
	keyPath := filepath.Join(dir, ReleaseKeyFile)
	key, err := LoadPrivateKey(keyPath)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		_, key, err = ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return c, false, fmt.Errorf("update: generate release key: %w", err)
		}
		if err := extract.WriteFileAtomic(keyPath, EncodePrivateKey(key), 0o600); err != nil {
			return c, false, fmt.Errorf("update: generate release key: %w", err)
		}
		created = true
	default:
		return c, false, fmt.Errorf("update: generate release key: %w", err)
	}
	pub := key.Public().(ed25519.PublicKey)
	if err := extract.WriteFileAtomic(filepath.Join(dir, ReleasePubFile), extract.EncodePublicKey(pub), 0o644); err != nil {
		return c, created, fmt.Errorf("update: generate release key: %w", err)
	}
	c = Cert{Name: name, PublicKey: pub, NotBefore: notBefore.Truncate(time.Second).UTC(), NotAfter: notAfter.Truncate(time.Second).UTC()}
	cert, err := IssueCert(c, root)
	if err != nil {
		return c, created, err
	}
	if err := extract.WriteFileAtomic(filepath.Join(dir, ReleaseCertFile), cert, 0o644); err != nil {
		return c, created, fmt.Errorf("update: generate release key: %w", err)
	}
	return c, created, nil
}
