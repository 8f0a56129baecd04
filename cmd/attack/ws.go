package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/rtserver/rt/cmd/internal/rtnode"
)

const (
	dialMax  = 5 * time.Second // bound on one handshake
	writeMax = 2 * time.Second // bound on one client write
	drainMax = 5 * time.Second // how long a never-reading socket is read at the end
)

// newDialer dials only loopback, with small buffers: the attackers read
// little or nothing.
func newDialer() *websocket.Dialer {
	return &websocket.Dialer{
		NetDialContext:   rtnode.DialLoopback,
		HandshakeTimeout: dialMax,
		ReadBufferSize:   4096,
		WriteBufferSize:  4096,
	}
}

// dial makes one handshake. On a refusal or a failure ws is nil and cause
// names it: "429 too_many_connections" (the status and the body's error
// code), or what went wrong without addresses ("timeout"…), so that they
// group.
func dial(ctx context.Context, d *websocket.Dialer, u string) (ws *websocket.Conn, cause string) {
	ws, resp, err := d.DialContext(ctx, u, http.Header{"Origin": {rtnode.Origin}})
	if err == nil {
		return ws, ""
	}
	if resp != nil {
		defer resp.Body.Close()
		return nil, refusal(resp.StatusCode, resp.Body)
	}
	return nil, dialFailure(err)
}

// refusal is "status error_code" of a refused handshake.
func refusal(status int, body io.Reader) string {
	var b struct {
		Error string `json:"error"`
	}
	raw, _ := io.ReadAll(io.LimitReader(body, 1024))
	if json.Unmarshal(raw, &b) != nil || b.Error == "" {
		return strconv.Itoa(status)
	}
	return strconv.Itoa(status) + " " + b.Error
}

// dialFailure is rtnode.DialFailure, with a connection closed before the
// handshake's answer named as such.
func dialFailure(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "closed before the answer"
	}
	return rtnode.DialFailure(err)
}

// closeCause is how a connection ended, as seen by its reader: the close
// code and reason the server sent, or what happened instead.
func closeCause(err error) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		if ce.Code == websocket.CloseAbnormalClosure {
			return "1006 (no close frame)"
		}
		if ce.Text == "" {
			return strconv.Itoa(ce.Code)
		}
		return fmt.Sprintf("%d %s", ce.Code, ce.Text)
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "still open"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "closed without a close frame"
	}
	return "error: " + err.Error()
}

// tally counts what a socket read: frames by type, system.error by code.
type tally struct {
	Types  map[string]int `json:"types"`
	Errors map[string]int `json:"errors"`
	Bytes  int64          `json:"bytes"`
}

func newTally() *tally { return &tally{Types: map[string]int{}, Errors: map[string]int{}} }

func (t *tally) add(o *tally) {
	for k, v := range o.Types {
		t.Types[k] += v
	}
	for k, v := range o.Errors {
		t.Errors[k] += v
	}
	t.Bytes += o.Bytes
}

// readOne reads the next message and counts it; buf is reused.
func (t *tally) readOne(ws *websocket.Conn, buf []byte) ([]byte, error) {
	_, r, err := ws.NextReader()
	if err != nil {
		return buf, err
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return buf, err
		}
	}
	t.Bytes += int64(len(buf))
	// A system.error is counted by its code only.
	if typ, code := frameType(buf); typ == "system.error" {
		t.Errors[code]++
	} else {
		t.Types[typ]++
	}
	return buf, nil
}

// drain reads what the server sent a socket that never read, for at most
// bound: what it had queued, then how it ends (or "still open").
func drain(ws *websocket.Conn, bound time.Duration) (*tally, string) {
	t := newTally()
	_ = ws.SetReadDeadline(time.Now().Add(bound))
	var buf []byte
	for {
		var err error
		if buf, err = t.readOne(ws, buf); err != nil {
			return t, closeCause(err)
		}
	}
}
