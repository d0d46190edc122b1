package ui

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"sync"
	"time"
)

// Session limits. The kiosk serves one person at a time; the store is bounded
// so that a misbehaving client cannot grow it, and a session that outlives
// the browser's idle wipe (the page closed, the power cut) dies on the server.
const (
	maxSessions     = 64
	sessionIdle     = 5 * time.Minute
	sessionLifetime = 30 * time.Minute
)

// session is one person's visit: the language, the CSRF token and what they
// typed. It lives only in memory on the server; the browser holds nothing but
// the random session id in an HttpOnly cookie.
type session struct {
	mu      sync.Mutex // held by the page handler for the whole request
	id      string
	csrf    string
	lang    string
	created time.Time
	seen    time.Time

	notice string              // catalog key of a one-time notice (e.g. session ended)
	draft  draft               // the report wizard
	errs   map[string]fieldMsg // field → message of the last failed step, shown once
	result *resultView         // the report just filed
	status *statusView         // the report just looked up
	lookup lookupForm          // what was typed on the status or extract form
	xprev  *extractPreview     // the record an extract is about to be printed of
	xres   *extractView        // the extract just printed
}

// fieldMsg is an error to show next to a field: a catalog key and its
// arguments.
type fieldMsg struct {
	Key  string
	Args []any
}

// sessionStore keeps sessions in memory, bounded in number, expiring after
// sessionIdle without a request or sessionLifetime in all.
type sessionStore struct {
	mu   sync.Mutex
	m    map[string]*session
	now  func() time.Time
	max  int
	idle time.Duration
	life time.Duration
}

func newSessionStore(now func() time.Time) *sessionStore {
	if now == nil {
		now = time.Now
	}
	return &sessionStore{m: map[string]*session{}, now: now, max: maxSessions, idle: sessionIdle, life: sessionLifetime}
}

func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("ui: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (s *sessionStore) expired(ss *session, now time.Time) bool {
	return now.Sub(ss.seen) > s.idle || now.Sub(ss.created) > s.life
}

// get returns the live session with this id, touching it, or nil.
func (s *sessionStore) get(id string) *session {
	if id == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.m[id]
	if ss == nil {
		return nil
	}
	now := s.now()
	if s.expired(ss, now) {
		delete(s.m, id)
		return nil
	}
	ss.seen = now
	return ss
}

// create makes a new empty session, evicting expired ones and, when the store
// is full, the one unused for longest.
func (s *sessionStore) create(lang string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for id, ss := range s.m {
		if s.expired(ss, now) {
			delete(s.m, id)
		}
	}
	for len(s.m) >= s.max {
		var oldest *session
		for _, ss := range s.m {
			if oldest == nil || ss.seen.Before(oldest.seen) {
				oldest = ss
			}
		}
		delete(s.m, oldest.id)
	}
	ss := &session{id: randomToken(), csrf: randomToken(), lang: lang, created: now, seen: now}
	s.m[ss.id] = ss
	return ss
}

// drop forgets a session and everything in it.
func (s *sessionStore) drop(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

func (s *sessionStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// wipe forgets everything the person entered or was shown. The caller holds
// ss.mu.
func (ss *session) wipe() {
	ss.csrf, ss.notice = "", ""
	ss.draft, ss.errs, ss.result, ss.status, ss.lookup, ss.xres = draft{}, nil, nil, nil, lookupForm{}, nil
}

func csrfOK(ss *session, token string) bool {
	return ss != nil && token != "" && subtle.ConstantTimeCompare([]byte(ss.csrf), []byte(token)) == 1
}
