package central

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"cpckiosk/kiosk/relay"
	"cpckiosk/printer/extract"
)

// SchemaVersion is the database layout this code reads and writes.
const SchemaVersion = 1

// Files in the data directory.
const (
	DBFile      = "central.db"
	KeysDir     = "keys"
	SignKeyFile = "central.key"
)

// Errors of Open.
var (
	// ErrLocked: another process (a running centrald) holds the database.
	ErrLocked = errors.New("database is in use by another process")
	// ErrSchema: the database was written by another version of centrald.
	ErrSchema = errors.New("database schema not supported")
	// ErrCorrupt: the file is not a readable central database.
	ErrCorrupt = errors.New("database file is corrupt")
)

// ErrInvalid is wrapped by errors about bad input to the operator methods
// (unknown status, bad CPC, a note that is too long...).
var ErrInvalid = errors.New("invalid request")

// Options tune Open. The zero value is the production setting, except that
// the operator API refuses everyone until OperatorToken is set.
type Options struct {
	// Now is the central's clock (default time.Now).
	Now func() time.Time
	// Log receives events; nil discards them. No personal data, token or
	// key is ever logged.
	Log *slog.Logger
	// OperatorToken is the bearer token of the operator API and pages.
	OperatorToken string
	// TokenTTL is how long an enrolment token stays valid (default 24 h).
	TokenTTL time.Duration
	// UpdateTrust are the update root keys (firmware/update LoadTrust):
	// when set, a published bundle must verify against them. When empty,
	// the central checks only that a bundle is well formed and its files
	// match its manifest; the boards verify the signature in any case.
	UpdateTrust []ed25519.PublicKey
	// MaxRelease bounds a published bundle (default relay.MaxRelease).
	MaxRelease int64
}

// Server is the reference central: a bbolt database, the central's keys and
// the HTTP handler serving devices, operators and the public.
type Server struct {
	dir      string
	db       *bolt.DB
	now      func() time.Time
	log      *slog.Logger
	opDigest [32]byte // SHA-256 of the operator token
	opSet    bool
	tokenTTL time.Duration
	start    time.Time // requests signed before this are refused (the nonce cache is new)

	signKey ed25519.PrivateKey
	signPub ed25519.PublicKey
	box     relay.BoxKey

	nonces      *nonceCache
	verifyLimit *limiter
	loginLimit  *limiter
	sessions    *sessions

	contactMu sync.Mutex
	contacts  map[string]*contact

	relMu       sync.RWMutex
	releases    map[string]*Release // by releaseKey(arch, version)
	updateTrust []ed25519.PublicKey
	maxRelease  int64

	handler   http.Handler
	closeOnce sync.Once
	closeErr  error

	// failCommit, set by tests, makes every write transaction fail.
	failCommit func() error
}

// contact is a device's last contact, kept in memory and persisted with the
// next write transaction.
type contact struct {
	at        time.Time
	pending   *int
	persisted time.Time
	health    *relay.DeviceHealth // the last the kiosk sent, since this process started
}

// Open opens (creating on first start) the central's database and keys in
// dir. A second process on the same dir gets an error wrapping ErrLocked.
func Open(dir string, opt Options) (*Server, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.TokenTTL <= 0 {
		opt.TokenTTL = 24 * time.Hour
	}
	if opt.MaxRelease <= 0 {
		opt.MaxRelease = relay.MaxRelease
	}
	if err := os.MkdirAll(filepath.Join(dir, KeysDir), 0o700); err != nil {
		return nil, fmt.Errorf("central: open %s: %w", dir, err)
	}
	db, err := openDB(dir)
	if err != nil {
		return nil, err
	}
	s := &Server{
		dir:         dir,
		db:          db,
		now:         opt.Now,
		log:         opt.Log,
		tokenTTL:    opt.TokenTTL,
		nonces:      newNonceCache(1 << 17),
		verifyLimit: newLimiter(60, time.Minute, 1<<14),
		loginLimit:  newLimiter(10, time.Minute, 1<<12),
		sessions:    newSessions(),
		contacts:    make(map[string]*contact),
		releases:    make(map[string]*Release),
		updateTrust: opt.UpdateTrust,
		maxRelease:  opt.MaxRelease,
	}
	if opt.OperatorToken != "" {
		s.opDigest = sha256.Sum256([]byte(opt.OperatorToken))
		s.opSet = true
	}
	if err := s.loadKeys(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.loadReleases(); err != nil {
		db.Close()
		return nil, err
	}
	s.start = s.now()
	s.handler = s.routes()
	return s, nil
}

// openDB opens DIR/central.db, creating it first under a temporary name so
// that a power cut during the first initialisation leaves no half-made file.
func openDB(dir string) (*bolt.DB, error) {
	path := filepath.Join(dir, DBFile)
	_, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := initDB(dir, path); err != nil {
			return nil, fmt.Errorf("central: create %s: %w", path, err)
		}
	case err != nil:
		return nil, fmt.Errorf("central: open %s: %w", path, err)
	}
	db, err := openBolt(path)
	if err != nil {
		return nil, err
	}
	if err := checkSchema(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("central: open %s: %w", path, err)
	}
	if err := addBuckets(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("central: open %s: add buckets: %w", path, err)
	}
	// Leftovers of an initialisation cut short; we hold the lock now.
	if old, _ := filepath.Glob(filepath.Join(dir, "."+DBFile+".init-*")); len(old) > 0 {
		for _, f := range old {
			os.Remove(f)
		}
	}
	return db, nil
}

func openBolt(path string) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			db, err = nil, fmt.Errorf("central: open %s: %v: %w", path, p, ErrCorrupt)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: 200 * time.Millisecond})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("central: centrald is already running on %s: %w", filepath.Dir(path), ErrLocked)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
		errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrInvalidMapping):
		return nil, fmt.Errorf("central: open %s: %v: %w", path, err, ErrCorrupt)
	case err != nil:
		return nil, fmt.Errorf("central: open %s: %w", path, err)
	}
	return db, nil
}

// initDB makes a complete new database under a unique temporary name and
// links it into place; if another process won the race, its file is kept.
func initDB(dir, path string) error {
	f, err := os.CreateTemp(dir, "."+DBFile+".init-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	defer os.Remove(tmp)
	db, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put(kSchema, []byte(strconv.Itoa(SchemaVersion)))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func checkSchema(db *bolt.DB) error {
	return db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if m == nil {
			return fmt.Errorf("no meta bucket: %w", ErrCorrupt)
		}
		v := string(m.Get(kSchema))
		if v != strconv.Itoa(SchemaVersion) {
			return fmt.Errorf("schema %q, this centrald reads %d: %w", v, SchemaVersion, ErrSchema)
		}
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil && !slices.ContainsFunc(addedBuckets, func(b []byte) bool { return bytes.Equal(b, name) }) {
				return fmt.Errorf("bucket %s missing: %w", name, ErrCorrupt)
			}
		}
		return nil
	})
}

// addBuckets creates the buckets added to schema 1 after a database was
// made (one write transaction, only when one is missing).
func addBuckets(db *bolt.DB) error {
	var missing [][]byte
	db.View(func(tx *bolt.Tx) error {
		for _, name := range addedBuckets {
			if tx.Bucket(name) == nil {
				missing = append(missing, name)
			}
		}
		return nil
	})
	if len(missing) == 0 {
		return nil
	}
	return db.Update(func(tx *bolt.Tx) error {
		for _, name := range missing {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
}

// loadKeys reads or creates the signing and box keys and (re)writes
// central.pub when it does not hold exactly the signing key.
func (s *Server) loadKeys() error {
	keys := filepath.Join(s.dir, KeysDir)
	key, err := loadOrCreateSignKey(filepath.Join(keys, SignKeyFile))
	if err != nil {
		return err
	}
	s.signKey = key
	s.signPub = key.Public().(ed25519.PublicKey)
	pubPath := filepath.Join(keys, extract.CentralPubFile)
	want := extract.EncodePublicKey(s.signPub)
	if have, err := os.ReadFile(pubPath); err != nil || string(have) != string(want) {
		if err := extract.WriteFileAtomic(pubPath, want, 0o644); err != nil {
			return fmt.Errorf("central: write %s: %w", pubPath, err)
		}
	}
	s.box, err = relay.LoadOrCreateBoxKey(filepath.Join(keys, relay.BoxKeyFile))
	if err != nil {
		return fmt.Errorf("central: %w", err)
	}
	return nil
}

func loadOrCreateSignKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("central: create signing key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, fmt.Errorf("central: create signing key: %w", err)
		}
		if err := extract.WriteFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return nil, fmt.Errorf("central: create signing key: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("central: load signing key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("central: load signing key %s: no PEM PRIVATE KEY block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("central: load signing key %s: %w", path, err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("central: load signing key %s: key is %T, not ed25519", path, k)
	}
	return ek, nil
}

// Handler serves the device API, the operator API and pages, and the
// public verification.
func (s *Server) Handler() http.Handler { return s.handler }

// PublicKey is the central's ed25519 key: it signs device certificates and
// replies, and is the trust anchor for extracts.
func (s *Server) PublicKey() ed25519.PublicKey { return s.signPub }

// BoxPublicKey is the X25519 key kiosks seal personal data to.
func (s *Server) BoxPublicKey() *[32]byte { return s.box.Public }

// Close persists the devices' last contact and closes the database. It is
// safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if s.hasDirtyContacts() {
			if err := s.update(func(*bolt.Tx) error { return nil }); err != nil {
				s.log.Warn("central: persist last contact at close", "err", err)
			}
		}
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("central: close: %w", err)
		}
	})
	return s.closeErr
}
