// Package faultproxy is an HTTP proxy that breaks the link between a kiosk
// and the central the way a bad uplink does: it drops requests, delays them,
// lets the central commit and then cuts the reply, or sends half a reply.
// Tests and benchmarks put it between real kioskd and centrald processes.
package faultproxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Faults say what happens to each request; the probabilities are
// independent draws, checked in the order Drop, Reset, Truncate.
type Faults struct {
	Down     bool          // every connection is cut at once (link down)
	Drop     float64       // the request never reaches the central
	Reset    float64       // the central gets it and commits; its reply is lost
	Truncate float64       // the reply is cut in the middle
	Delay    time.Duration // added before forwarding each request
}

// Counts are what the proxy did.
type Counts struct {
	Forwarded, Dropped, Reset, Truncated, Down int64
	BytesUp, BytesDown                         int64 // bodies forwarded to and from the central
}

// Proxy forwards to Target with Faults.
type Proxy struct {
	target string
	client *http.Client

	mu     sync.Mutex
	faults Faults
	rng    *rand.Rand

	forwarded, dropped, reset, truncated, down, up, downBytes atomic.Int64
}

// New returns a proxy to the central at target (base URL). seed makes the
// faults reproducible.
func New(target string, seed uint64) *Proxy {
	return &Proxy{
		target: strings.TrimRight(target, "/"),
		client: &http.Client{Timeout: 60 * time.Second},
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
}

// Set changes the faults for the following requests.
func (p *Proxy) Set(f Faults) {
	p.mu.Lock()
	p.faults = f
	p.mu.Unlock()
}

// Counts returns what the proxy did so far.
func (p *Proxy) Counts() Counts {
	return Counts{Forwarded: p.forwarded.Load(), Dropped: p.dropped.Load(), Reset: p.reset.Load(),
		Truncated: p.truncated.Load(), Down: p.down.Load(), BytesUp: p.up.Load(), BytesDown: p.downBytes.Load()}
}

type fate int

const (
	forward fate = iota
	drop
	reset
	truncate
	down
)

func (p *Proxy) draw() (fate, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.faults
	switch {
	case f.Down:
		return down, 0
	case p.rng.Float64() < f.Drop:
		return drop, f.Delay
	case p.rng.Float64() < f.Reset:
		return reset, f.Delay
	case p.rng.Float64() < f.Truncate:
		return truncate, f.Delay
	}
	return forward, f.Delay
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	what, delay := p.draw()
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		cut(w)
		return
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	switch what {
	case down:
		p.down.Add(1)
		cut(w)
		return
	case drop:
		p.dropped.Add(1)
		cut(w)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		cut(w)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := p.client.Do(req)
	if err != nil {
		cut(w)
		return
	}
	reply, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		cut(w)
		return
	}
	p.up.Add(int64(len(body)))
	switch what {
	case reset: // the central committed; the kiosk never hears of it
		p.reset.Add(1)
		cut(w)
		return
	case truncate:
		p.truncated.Add(1)
		half(w, resp, reply)
		return
	}
	p.forwarded.Add(1)
	p.downBytes.Add(int64(len(reply)))
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(reply)
}

// cut closes the client's connection without a reply.
func cut(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // a reset, as a dropped link looks
		}
		conn.Close()
		return
	}
	panic(http.ErrAbortHandler)
}

// half sends the status, the headers with the full length, and half the
// body, then closes.
func half(w http.ResponseWriter, resp *http.Response, reply []byte) {
	conn, bw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	writeHead(bw, resp, len(reply))
	bw.Write(reply[:len(reply)/2])
	bw.Flush()
}

func writeHead(bw *bufio.ReadWriter, resp *http.Response, n int) {
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", resp.StatusCode, http.StatusText(resp.StatusCode))
	for k, vs := range resp.Header {
		if k == "Content-Length" || k == "Transfer-Encoding" || k == "Connection" {
			continue
		}
		for _, v := range vs {
			fmt.Fprintf(bw, "%s: %s\r\n", k, v)
		}
	}
	fmt.Fprintf(bw, "Content-Length: %d\r\nConnection: close\r\n\r\n", n)
}
