package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// MaxAnswerBytes is the most of an answer rt reads; a longer one is a
// failed call. Hook answers are a few bytes of JSON, plus a rewritten
// message at most.
const MaxAnswerBytes = 256 << 10

// Why a call failed, besides the backend's own status (*StatusError).
var (
	ErrTimeout     = errors.New("hooks: no answer within HOOK_TIMEOUT")
	ErrTooLarge    = errors.New("hooks: answer larger than " + strconv.Itoa(MaxAnswerBytes>>10) + " KiB")
	ErrUnreachable = errors.New("hooks: backend unreachable")
)

// StatusError is an answer that is not 2xx; a redirect is one too, as
// redirects are never followed (a hook must not be sent to an address the
// operator did not configure).
type StatusError struct{ Status int }

func (e *StatusError) Error() string { return "hooks: backend answered " + strconv.Itoa(e.Status) }

// Caller makes rt's signed requests to the application's backend: JSON
// POSTs over keep-alive connections, at most HOOK_CONCURRENCY at once,
// each bounded by HOOK_TIMEOUT from the moment it waits for a slot to the
// last byte of the answer (so a slow drip is cut off like a silence).
type Caller struct {
	secret  []byte
	timeout time.Duration
	client  *http.Client
	slots   chan struct{}
	stats   *Stats
	now     func() time.Time
}

// NewCaller returns a caller that signs with secret; stats, when not nil,
// get each call's latency.
func NewCaller(secret string, timeout time.Duration, concurrency int, stats *Stats) *Caller {
	concurrency = max(concurrency, 1)
	transport := &http.Transport{
		Proxy:                 nil, // the backend is the application's own, never through a proxy from the environment
		DialContext:           (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          concurrency,
		MaxIdleConnsPerHost:   concurrency,
		MaxConnsPerHost:       concurrency,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ForceAttemptHTTP2:     true,
	}
	return &Caller{
		secret: []byte(secret), timeout: timeout, stats: stats, now: time.Now,
		slots: make(chan struct{}, concurrency),
		client: &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
	}
}

// Call POSTs body to url as hook and returns the answer's body when the
// status is 2xx. Errors are ErrTimeout, ErrTooLarge, ErrUnreachable (no
// connection, or one cut before the answer) or a *StatusError.
func (c *Caller) Call(ctx context.Context, hook, url string, body []byte) ([]byte, error) {
	start := time.Now()
	defer func() { c.stats.observe(hook, time.Since(start)) }()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	select {
	case c.slots <- struct{}{}:
		defer func() { <-c.slots }()
	case <-ctx.Done():
		return nil, c.failure(ctx, ctx.Err())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("hooks: %s request: %w", hook, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "rt")
	req.Header.Set(HookHeader, hook)
	req.Header.Set(SignatureHeader, Sign(c.secret, c.now().Unix(), body))
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, c.failure(ctx, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes+1))
	switch {
	case err != nil:
		return nil, c.failure(ctx, err)
	case len(answer) > MaxAnswerBytes:
		return nil, ErrTooLarge
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, &StatusError{Status: resp.StatusCode}
	}
	return answer, nil
}

// failure names a failed call: the deadline, or the backend out of reach.
// A caller that gave up (its own context cancelled) gets its error back.
// The transport's own timeouts (dial, TLS, response headers) are set to
// HOOK_TIMEOUT too, and may fire a moment before the context's: they are
// the same deadline.
func (c *Caller) failure(ctx context.Context, err error) error {
	var netErr net.Error
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return ErrTimeout
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.As(err, &netErr) && netErr.Timeout():
		return ErrTimeout
	}
	return fmt.Errorf("%w: %w", ErrUnreachable, err)
}

// Close drops the idle keep-alive connections.
func (c *Caller) Close() { c.client.CloseIdleConnections() }

// Outcome is the metric label of a failed call.
func Outcome(err error) string {
	var status *StatusError
	switch {
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.As(err, &status):
		return "status"
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrBadAnswer):
		return "bad_answer"
	}
	return "error"
}
