package relay

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// CentralError is a refusal from the central (a non-2xx reply it signed).
type CentralError struct {
	Status  int
	Code    string
	Message string
}

func (e *CentralError) Error() string {
	return fmt.Sprintf("central refused (%d %s): %s", e.Status, e.Code, e.Message)
}

// Permanent reports whether retrying cannot help: the device is unknown,
// revoked or its token is bad.
func (e *CentralError) Permanent() bool {
	return e.Code == CodeUnknown || e.Code == CodeRevoked || e.Code == CodeToken
}

// ErrReply: the reply is not what the central sent (no or bad signature,
// cut short, not JSON). The request may or may not have taken effect.
var ErrReply = errors.New("relay: reply not verifiable")

// Client signs requests to the central and checks its replies. Its time is
// the local clock plus the offset learned from the central's replies, so
// requests are accepted whichever clock is wrong.
type Client struct {
	URL      string // base URL of the central, e.g. http://10.0.0.1:8090
	HTTP     *http.Client
	Key      ed25519.PrivateKey
	DeviceID string
	// Central verifies replies. Nil only during enrolment, when the reply
	// carries the key.
	Central ed25519.PublicKey
	// Now is the local time (default time.Now).
	Now func() time.Time
	// OnTime, if set, receives the central's time from every verified reply.
	OnTime func(time.Time)
	// Pending, if set, is sent as HeaderPending.
	Pending func() int

	offset atomic.Int64 // central minus local, nanoseconds
	sent   atomic.Int64 // request bytes on the wire (bodies)
	recv   atomic.Int64 // reply bytes on the wire (bodies)
}

// WireBytes returns the body bytes sent and received so far.
func (c *Client) WireBytes() (sent, received int64) { return c.sent.Load(), c.recv.Load() }

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// CentralTime is the central's time as far as the client knows it.
func (c *Client) CentralTime() time.Time {
	return c.now().Add(time.Duration(c.offset.Load()))
}

// Call posts in as JSON to path (gzip for batches), and decodes the
// central's verified reply into out. A refusal is a *CentralError. A reply
// saying the request's time was stale teaches the client the central's time
// and the request is sent once more.
func (c *Client) Call(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("relay %s: %w", path, err)
	}
	zipped := path == PathBatch
	if zipped {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		zw.Write(body)
		zw.Close()
		body = buf.Bytes()
	}
	for attempt := 0; ; attempt++ {
		err := c.do(ctx, path, body, zipped, out)
		var ce *CentralError
		if attempt == 0 && errors.As(err, &ce) && ce.Code == CodeStale {
			continue
		}
		return err
	}
}

func (c *Client) do(ctx context.Context, path string, body []byte, zipped bool, out any) error {
	resp, nonce, err := c.post(ctx, c.HTTP, path, body, zipped)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return c.reply(path, nonce, resp, out)
}

// post signs and sends one request.
func (c *Client) post(ctx context.Context, hc *http.Client, path string, body []byte, zipped bool) (*http.Response, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.URL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return nil, "", fmt.Errorf("relay %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if zipped {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if c.Pending != nil {
		req.Header.Set(HeaderPending, strconv.Itoa(c.Pending()))
	}
	nonce, err := SignRequest(req, body, c.DeviceID, c.Key, c.CentralTime())
	if err != nil {
		return nil, "", fmt.Errorf("relay %s: %w", path, err)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	c.sent.Add(int64(len(body)))
	resp, err := hc.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("relay %s: %w", path, err)
	}
	return resp, nonce, nil
}

// reply reads a JSON reply, checks the central's signature over it and
// decodes it into out; a refusal is a *CentralError.
func (c *Client) reply(path, nonce string, resp *http.Response, out any) error {
	reply, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	c.recv.Add(int64(len(reply)))
	if err != nil {
		return fmt.Errorf("relay %s: read reply: %v: %w", path, err, ErrReply)
	}
	if len(reply) > MaxBody {
		return fmt.Errorf("relay %s: reply over %d bytes: %w", path, MaxBody, ErrReply)
	}
	var stamp struct {
		Time       time.Time `json:"time"`
		CentralKey []byte    `json:"central_sign_key"`
	}
	if err := json.Unmarshal(reply, &stamp); err != nil {
		return fmt.Errorf("relay %s: status %d, reply is not JSON: %w", path, resp.StatusCode, ErrReply)
	}
	key := c.Central
	if key == nil && path == PathEnroll && resp.StatusCode == http.StatusOK {
		key = stamp.CentralKey // trust on first use: the token authenticates the exchange
	}
	if key == nil {
		if resp.StatusCode == http.StatusOK {
			return fmt.Errorf("relay %s: no central key to verify the reply: %w", path, ErrReply)
		}
		if !stamp.Time.IsZero() {
			// An enrolment refusal cannot be verified yet. Its time only sets
			// the time of the retry; the clock is not told.
			c.offset.Store(int64(stamp.Time.Sub(c.now())))
		}
	} else {
		sig, err := base64.StdEncoding.DecodeString(resp.Header.Get(HeaderReplySignature))
		if err != nil || len(key) != ed25519.PublicKeySize || !ed25519.Verify(key, ReplyMessage(nonce, resp.StatusCode, reply), sig) {
			return fmt.Errorf("relay %s: status %d, reply signature missing or wrong: %w", path, resp.StatusCode, ErrReply)
		}
		if !stamp.Time.IsZero() {
			c.offset.Store(int64(stamp.Time.Sub(c.now())))
			if c.OnTime != nil {
				c.OnTime(stamp.Time)
			}
		}
	}
	if resp.StatusCode != http.StatusOK {
		var er ErrorReply
		json.Unmarshal(reply, &er)
		return &CentralError{Status: resp.StatusCode, Code: er.Error.Code, Message: er.Error.Message}
	}
	if out == nil {
		return fmt.Errorf("relay %s: a JSON reply where bytes were expected: %w", path, ErrReply)
	}
	if err := json.Unmarshal(reply, out); err != nil {
		return fmt.Errorf("relay %s: decode reply: %v: %w", path, err, ErrReply)
	}
	return nil
}

// ReleaseChunk describes the bytes a release download returned.
type ReleaseChunk struct {
	Offset int64  // where they start in the bundle
	Size   int64  // the whole bundle's size
	SHA256 string // the whole bundle's SHA-256, as the central says
}

// FetchRelease asks for the bytes of an offered release from req.Offset
// (req.Length of them, or to the end) and copies them to w as they arrive.
// It returns how many bytes it wrote, also when the connection broke in
// the middle, so the caller can resume after them. The bytes are not
// signed: the caller checks the whole bundle against the signed offer.
// The HTTP client's Timeout does not apply (a chunk over a slow link takes
// long); ctx bounds the call. A refusal is a *CentralError.
func (c *Client) FetchRelease(ctx context.Context, req ReleaseRequest, w io.Writer) (int64, ReleaseChunk, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return 0, ReleaseChunk{}, fmt.Errorf("relay %s: %w", PathRelease, err)
	}
	hc := &http.Client{}
	if c.HTTP != nil {
		hc.Transport = c.HTTP.Transport
	}
	for attempt := 0; ; attempt++ {
		n, info, err := c.fetch(ctx, hc, body, req, w)
		var ce *CentralError
		if attempt == 0 && errors.As(err, &ce) && ce.Code == CodeStale {
			continue
		}
		return n, info, err
	}
}

func (c *Client) fetch(ctx context.Context, hc *http.Client, body []byte, req ReleaseRequest, w io.Writer) (int64, ReleaseChunk, error) {
	resp, nonce, err := c.post(ctx, hc, PathRelease, body, false)
	if err != nil {
		return 0, ReleaseChunk{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/octet-stream" {
		return 0, ReleaseChunk{}, c.reply(PathRelease, nonce, resp, nil)
	}
	var info ReleaseChunk
	info.SHA256 = resp.Header.Get(HeaderReleaseSHA256)
	info.Size, err = strconv.ParseInt(resp.Header.Get(HeaderReleaseSize), 10, 64)
	if err == nil {
		info.Offset, err = strconv.ParseInt(resp.Header.Get(HeaderReleaseOffset), 10, 64)
	}
	if err != nil || info.Offset != req.Offset || resp.ContentLength < 0 || info.Offset+resp.ContentLength > info.Size ||
		(req.Length > 0 && resp.ContentLength > req.Length) {
		return 0, info, fmt.Errorf("relay %s: reply headers do not describe bytes from %d: %w", PathRelease, req.Offset, ErrReply)
	}
	n, err := io.Copy(w, resp.Body)
	c.recv.Add(n)
	if err == nil && n != resp.ContentLength {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return n, info, fmt.Errorf("relay %s: %d of %d bytes: %w", PathRelease, n, resp.ContentLength, err)
	}
	return n, info, nil
}
