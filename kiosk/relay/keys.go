package relay

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"cpckiosk/printer/extract"
)

// BoxKeyFile is the X25519 key a kiosk receives sealed data with, and the
// central's key personal data is sealed to: PEM "PRIVATE KEY", PKCS #8
// X25519 (openssl pkey reads it), mode 0600, in DATA/keys.
const BoxKeyFile = "box.key"

// BoxKey is an X25519 key pair in the form nacl/box takes.
type BoxKey struct {
	Public, Private *[32]byte
}

// LoadOrCreateBoxKey reads the box key at path, creating it (0600, written
// atomically) on first use.
func LoadOrCreateBoxKey(path string) (BoxKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			return BoxKey{}, fmt.Errorf("relay: create box key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return BoxKey{}, fmt.Errorf("relay: create box key: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return BoxKey{}, fmt.Errorf("relay: create box key: %w", err)
		}
		if err := extract.WriteFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return BoxKey{}, fmt.Errorf("relay: create box key: %w", err)
		}
		return boxKey(k), nil
	}
	if err != nil {
		return BoxKey{}, fmt.Errorf("relay: load box key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return BoxKey{}, fmt.Errorf("relay: load box key %s: no PEM PRIVATE KEY block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return BoxKey{}, fmt.Errorf("relay: load box key %s: %w", path, err)
	}
	ek, ok := k.(*ecdh.PrivateKey)
	if !ok || ek.Curve() != ecdh.X25519() {
		return BoxKey{}, fmt.Errorf("relay: load box key %s: not an X25519 key", path)
	}
	return boxKey(ek), nil
}

func boxKey(k *ecdh.PrivateKey) BoxKey {
	var pub, priv [32]byte
	copy(priv[:], k.Bytes())
	copy(pub[:], k.PublicKey().Bytes())
	return BoxKey{Public: &pub, Private: &priv}
}

// Key32 converts a 32-byte slice from the wire to the array nacl/box takes.
func Key32(b []byte) (*[32]byte, error) {
	if len(b) != 32 {
		return nil, fmt.Errorf("relay: key is %d bytes, want 32", len(b))
	}
	var k [32]byte
	copy(k[:], b)
	return &k, nil
}
