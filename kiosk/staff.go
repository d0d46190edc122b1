package kiosk

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Role is what a staff member may do.
type Role string

// Roles.
const (
	RoleAdmin   Role = "admin"   // users, audit trail, training mode
	RoleOfficer Role = "officer" // the CPC's records, extracts for checked identities
	RoleCPPT    Role = "cppt"    // the partnership team's issue log and meetings
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleOfficer, RoleCPPT}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Login limits: 5 wrong secrets lock an account for 15 minutes.
const (
	LoginFailures = 5
	LoginLock     = 15 * time.Minute
)

// User is a staff account. Secret is never stored, only its slow hash.
type User struct {
	Username    string    `json:"username"`
	FullName    string    `json:"full_name"`
	Role        Role      `json:"role"`
	SecretHash  string    `json:"secret_hash"`
	Disabled    bool      `json:"disabled,omitempty"`
	Failures    int       `json:"failures,omitempty"`
	LockedUntil time.Time `json:"locked_until,omitzero"`
	CreatedAt   time.Time `json:"created_at"`
}

// Errors of staff accounts.
var (
	// ErrLoginFailed: unknown user, wrong secret or disabled account — one
	// error, so a caller learns nothing about which.
	ErrLoginFailed = errors.New("wrong username or password")
	// ErrLocked: too many wrong secrets; try again later.
	ErrLocked = errors.New("account locked after too many wrong attempts")
	// ErrExists: the username is taken.
	ErrExists = errors.New("already exists")
)

var usernameRe = regexp.MustCompile(`^[a-z][a-z0-9._-]{2,31}$`)

// ValidUsername reports whether s can be a username: 3-32 lower-case Latin
// letters, digits, dots, dashes and underscores, starting with a letter.
func ValidUsername(s string) bool { return usernameRe.MatchString(s) }

// CheckSecret says what is wrong with a new password or PIN: at least 6
// characters (a PIN of 6 digits is the shortest allowed), at most 128, no
// control characters.
func CheckSecret(s string) error {
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		return errors.New("the password is not valid UTF-8")
	case n < 6:
		return errors.New("the password or PIN needs at least 6 characters")
	case n > 128:
		return errors.New("the password is longer than 128 characters")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return errors.New("the password contains a control character")
		}
	}
	return nil
}

// Staff secrets get a costlier hash than access codes: argon2id with
// 19 MiB and 2 passes (OWASP's minimum), as a short PIN is guessable offline.
const (
	staffHashTime   = 2
	staffHashMemory = 19 * 1024
)

// HashStaffSecret returns the salted argon2id hash of a staff secret, in the
// format CheckAccessCode reads.
func HashStaffSecret(secret string) (string, error) {
	salt := make([]byte, hashSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash secret: %w", err)
	}
	sum := argon2.IDKey([]byte(secret), salt, staffHashTime, staffHashMemory, hashThreads, hashKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("argon2id$%d$%d$%d$%s$%s", staffHashTime, staffHashMemory, hashThreads,
		enc.EncodeToString(salt), enc.EncodeToString(sum)), nil
}

var dummyStaffHash = func() string {
	h, err := HashStaffSecret("not a password")
	if err != nil {
		panic(err)
	}
	return h
}()

// UserStore keeps staff accounts.
type UserStore interface {
	// User returns the account, or ErrNotFound.
	User(ctx context.Context, username string) (*User, error)
	// Users lists every account by username.
	Users(ctx context.Context) ([]User, error)
	// PutUser writes u with an audit entry in one transaction; with create
	// it fails with ErrExists when the name is taken.
	PutUser(ctx context.Context, u *User, create bool, audit AuditEntry) error
}

// Accounts manages staff accounts and logins.
type Accounts struct {
	store UserStore
	clock *TrustedClock
	log   *slog.Logger
}

// NewAccounts returns the account service. log may be nil.
func NewAccounts(s UserStore, c *TrustedClock, log *slog.Logger) *Accounts {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Accounts{store: s, clock: c, log: log}
}

func (a *Accounts) audit(actor, action, user, detail string) AuditEntry {
	now, synced := a.clock.Now()
	return AuditEntry{At: now, Synced: synced, Actor: actor, Action: action, Record: "user:" + user, Detail: detail}
}

// Add creates an account. actor is who does it ("kioskctl" or an admin).
func (a *Accounts) Add(ctx context.Context, actor, username, fullName string, role Role, secret string) error {
	var v ValidationError
	if !ValidUsername(username) {
		v.add("username", "invalid", "3-32 lower-case Latin letters, digits, '.', '-' or '_', starting with a letter")
	}
	if !role.Valid() {
		v.add("role", "invalid", "role must be admin, officer or cppt")
	}
	fullName = cleanText(&v, "full_name", fullName, MaxNameLen, false)
	if err := CheckSecret(secret); err != nil {
		v.add("password", "invalid", "%s", err.Error())
	}
	if err := v.orNil(); err != nil {
		return err
	}
	hash, err := HashStaffSecret(secret)
	if err != nil {
		return err
	}
	now, _ := a.clock.Now()
	u := &User{Username: username, FullName: fullName, Role: role, SecretHash: hash, CreatedAt: now}
	if err := a.store.PutUser(ctx, u, true, a.audit(actor, "user.add", username, string(role))); err != nil {
		return fmt.Errorf("add user %s: %w", username, err)
	}
	return nil
}

// Reset sets a new secret, enables the account and clears its lock.
func (a *Accounts) Reset(ctx context.Context, actor, username, secret string) error {
	if err := CheckSecret(secret); err != nil {
		return &ValidationError{Fields: []FieldError{{Field: "password", Code: "invalid", Message: err.Error()}}}
	}
	u, err := a.store.User(ctx, username)
	if err != nil {
		return fmt.Errorf("reset %s: %w", username, err)
	}
	if u.SecretHash, err = HashStaffSecret(secret); err != nil {
		return err
	}
	u.Disabled, u.Failures, u.LockedUntil = false, 0, time.Time{}
	if err := a.store.PutUser(ctx, u, false, a.audit(actor, "user.reset", username, "")); err != nil {
		return fmt.Errorf("reset %s: %w", username, err)
	}
	return nil
}

// Disable stops an account from logging in.
func (a *Accounts) Disable(ctx context.Context, actor, username string) error {
	u, err := a.store.User(ctx, username)
	if err != nil {
		return fmt.Errorf("disable %s: %w", username, err)
	}
	u.Disabled = true
	if err := a.store.PutUser(ctx, u, false, a.audit(actor, "user.disable", username, "")); err != nil {
		return fmt.Errorf("disable %s: %w", username, err)
	}
	return nil
}

// List returns every account (hashes included: callers must not show them).
func (a *Accounts) List(ctx context.Context) ([]User, error) { return a.store.Users(ctx) }

// Login checks a username and secret. Unknown users, wrong secrets and
// disabled accounts all give ErrLoginFailed after the same work; the fifth
// wrong secret in a row locks the account for LoginLock (ErrLocked, even for
// the right secret). Every outcome is audited.
func (a *Accounts) Login(ctx context.Context, username, secret string) (*User, error) {
	now, _ := a.clock.Now()
	u, err := a.store.User(ctx, username)
	if errors.Is(err, ErrNotFound) {
		CheckAccessCode(dummyStaffHash, secret)
		return nil, ErrLoginFailed
	}
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	if now.Before(u.LockedUntil) {
		CheckAccessCode(dummyStaffHash, secret)
		if err := a.store.PutUser(ctx, u, false, a.audit(username, "staff.login_failed", username, "locked")); err != nil {
			return nil, fmt.Errorf("login: %w", err)
		}
		return nil, fmt.Errorf("login %s until %s: %w", username, u.LockedUntil.In(Zone).Format("15:04"), ErrLocked)
	}
	ok := CheckAccessCode(u.SecretHash, secret)
	if ok && !u.Disabled {
		if u.Failures > 0 || !u.LockedUntil.IsZero() {
			u.Failures, u.LockedUntil = 0, time.Time{}
		}
		if err := a.store.PutUser(ctx, u, false, a.audit(username, "staff.login", username, string(u.Role))); err != nil {
			return nil, fmt.Errorf("login: %w", err)
		}
		return u, nil
	}
	detail := "wrong secret"
	if ok {
		detail = "disabled account"
	} else {
		u.Failures++
		if u.Failures >= LoginFailures {
			u.LockedUntil, u.Failures = now.Add(LoginLock), 0
			detail = "wrong secret; locked"
			a.log.Warn("staff account locked", "user", username)
		}
	}
	if err := a.store.PutUser(ctx, u, false, a.audit(username, "staff.login_failed", username, detail)); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	if !u.LockedUntil.IsZero() && now.Before(u.LockedUntil) {
		return nil, fmt.Errorf("login %s: %w", username, ErrLocked)
	}
	return nil, ErrLoginFailed
}

// Active reports whether username may still act with role: the account
// exists, is enabled and has that role. A session checks it on every
// request, so disabling an account (here or with kioskctl) ends its sessions
// at once.
func (a *Accounts) Active(ctx context.Context, username string, role Role) (bool, error) {
	u, err := a.store.User(ctx, username)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check account %s: %w", username, err)
	}
	return !u.Disabled && u.Role == role, nil
}
