// Package cups sends PDF extracts to an A4 printer through CUPS.
//
// It runs the CUPS client `lp -d QUEUE` with the document on standard input,
// so it needs the cups-client package (and a reachable cupsd) on the board
// and nothing else: no cgo, no IPP library.
package cups

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// DefaultTimeout bounds one submission when the context has no deadline.
const DefaultTimeout = 30 * time.Second

// ErrBadQueue is returned for a queue name lp would not take as one.
var ErrBadQueue = errors.New("cups: invalid queue name")

// Client submits jobs with lp. The zero value uses "lp" from PATH and
// DefaultTimeout.
type Client struct {
	LP      string        // path of lp; "" means "lp"
	Timeout time.Duration // 0 means DefaultTimeout
	Title   string        // job title (-t); "" means none
}

var (
	queueRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,126}$`)
	jobRe   = regexp.MustCompile(`request id is (\S+)`)
)

// Send submits pdf to queue with the default client and returns the CUPS
// job id (e.g. "cpc-test-12").
func Send(ctx context.Context, queue string, pdf []byte) (jobID string, err error) {
	return Client{}.Send(ctx, queue, pdf)
}

// Send runs `lp -d QUEUE [-t TITLE]` with pdf on standard input. A failure
// carries lp's standard error; a timeout kills lp.
func (c Client) Send(ctx context.Context, queue string, pdf []byte) (string, error) {
	if !queueRe.MatchString(queue) {
		return "", fmt.Errorf("%w: %q", ErrBadQueue, queue)
	}
	if len(pdf) == 0 {
		return "", errors.New("cups: send: empty document")
	}
	lp := c.LP
	if lp == "" {
		lp = "lp"
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	args := []string{"-d", queue}
	if c.Title != "" {
		args = append(args, "-t", c.Title)
	}
	cmd := exec.CommandContext(ctx, lp, args...)
	cmd.Stdin = bytes.NewReader(pdf)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second // do not hang on pipes held by lp's children
	err := cmd.Run()
	if ctx.Err() != nil {
		return "", fmt.Errorf("cups: send to %s: %w (stderr: %s)", queue, ctx.Err(), strings.TrimSpace(stderr.String()))
	}
	if err != nil {
		return "", fmt.Errorf("cups: send to %s: lp: %w: %s", queue, err, strings.TrimSpace(stderr.String()))
	}
	m := jobRe.FindStringSubmatch(stdout.String())
	if m == nil {
		return "", fmt.Errorf("cups: send to %s: no job id in lp output %q", queue, strings.TrimSpace(stdout.String()))
	}
	return m[1], nil
}
