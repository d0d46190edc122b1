package kiosk

import (
	"sync"
	"time"
)

// Limiter counts failures per key in a sliding window: after Max failures
// within Window the key is limited until the oldest failure ages out. It
// holds at most MaxKeys keys; past that, keys whose failures have aged out are
// dropped first and then the oldest.
type Limiter struct {
	Max     int
	Window  time.Duration
	MaxKeys int

	mu   sync.Mutex
	hits map[string][]time.Time
}

// NewLimiter returns a limiter of max failures per window.
func NewLimiter(max int, window time.Duration) *Limiter {
	return &Limiter{Max: max, Window: window, MaxKeys: 100000, hits: make(map[string][]time.Time)}
}

// Limited reports whether key has used up its failures at time now.
func (l *Limiter) Limited(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key, now)) >= l.Max
}

// Fail records a failure for key at time now.
func (l *Limiter) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.hits[key]; !ok && len(l.hits) >= l.MaxKeys {
		l.evict(now)
	}
	h := l.recent(key, now)
	if len(h) >= l.Max { // keep the newest Max: enough to decide
		h = h[1:]
	}
	l.hits[key] = append(h, now)
}

// Reset forgets key's failures (after a success).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, key)
}

func (l *Limiter) recent(key string, now time.Time) []time.Time {
	h := l.hits[key]
	i := 0
	for i < len(h) && now.Sub(h[i]) >= l.Window {
		i++
	}
	if i == len(h) {
		delete(l.hits, key)
		return nil
	}
	h = h[i:]
	l.hits[key] = h
	return h
}

func (l *Limiter) evict(now time.Time) {
	var oldestKey string
	var oldest time.Time
	for k := range l.hits {
		h := l.recent(k, now)
		if h != nil && (oldestKey == "" || h[len(h)-1].Before(oldest)) {
			oldestKey, oldest = k, h[len(h)-1]
		}
	}
	if len(l.hits) >= l.MaxKeys && oldestKey != "" {
		delete(l.hits, oldestKey)
	}
}
