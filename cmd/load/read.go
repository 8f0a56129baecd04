package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/fasthttp/websocket"
)

// read is the client's reader; it ends when the socket closes (by us at
// the end, or by the server) or at readMax.
func (f *fleet) read(c *client) {
	defer f.readers.Done()
	var buf []byte
	for {
		data, err := readMessage(c.ws, buf)
		buf = data[:0]
		if err != nil {
			if !f.closing.Load() {
				c.ended = endCause(err)
				f.mu.Lock()
				f.ends[c.ended]++
				f.mu.Unlock()
				f.dropped.Add(1)
				c.room.dropped.Add(1)
				c.room.signal()
			}
			return
		}
		now := time.Now().UnixNano() // before parsing: parsing is the client's cost, not latency
		f.frames.Add(1)
		f.lastFrame.Store(now)
		f.handle(c, data, now)
		if f.cfg.readDelay > 0 {
			time.Sleep(f.cfg.readDelay) // a slow client: the server's queue for it fills
		}
	}
}

// readMessage reads the next data message into buf's storage, growing it
// as needed: unlike ReadMessage, it allocates nothing per message once buf
// has grown to the usual size.
func readMessage(ws *websocket.Conn, buf []byte) ([]byte, error) {
	_, r, err := ws.NextReader()
	if err != nil {
		return buf[:0], err
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= maxMessage {
				return buf, fmt.Errorf("a server frame over %d bytes", maxMessage)
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// endCause is how the server ended a connection: its close code, or the
// absence of a close frame.
func endCause(err error) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		if ce.Code == websocket.CloseAbnormalClosure {
			return "1006 (no close frame)"
		}
		return strconv.Itoa(ce.Code)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "read timeout"
	}
	return "error: " + err.Error()
}

func (f *fleet) handle(c *client, data []byte, now int64) {
	switch k := kindOf(data); k {
	case kindDelivery:
		seq, sent, ok := deliveryText(data)
		if !ok {
			return
		}
		c.lat = append(c.lat, now-sent)
		c.last = now
		f.delivered.Add(1)
		if r := c.room; seq < len(r.counts) && r.counts[seq].Add(1) == r.alive() {
			r.complete.Add(1)
			r.signal()
		}
	case kindJoin, kindLeave, kindDiff:
		ch, ok := parseChange(k, data)
		if !ok {
			return
		}
		f.presFrames.Add(1)
		f.presUsers.Add(int64(len(ch.joins) + len(ch.leaves)))
		if c.ownAt == 0 {
			for _, u := range ch.joins {
				if u == c.user {
					c.ownAt = now
					f.joined.Add(1)
					break
				}
			}
		}
		if f.cfg.listFirst {
			c.pres.apply(ch)
		}
	case kindState:
		users, ok := parseState(data)
		if !ok || !f.cfg.listFirst {
			return
		}
		c.states++
		if c.states == 1 {
			f.states.Add(1)
		}
		if c.listsAsked.Load() > 1 && !c.final && c.states >= int(c.listsAsked.Load()) {
			// The answer to the final presence.list: compare before replacing.
			c.final, c.finalOK, c.finalIn = true, c.pres.equals(users), users
			if !c.finalOK {
				c.extra, c.missing = c.pres.difference(users)
			}
			c.pres.replace(users)
			f.finals.Add(1)
			return
		}
		c.pres.replace(users) // the answer to the first list, or the server catching the client up
	case kindPing:
		f.pings.Add(1)
		_ = c.write(pong) // keeps a long run clear of IDLE_TIMEOUT
	case kindError:
		code, ok := stringField(data, "code")
		if !ok {
			code = "unreadable"
		}
		f.mu.Lock()
		f.errs[code]++
		f.mu.Unlock()
		if c.sender.Load() { // senders send nothing but chat messages: one was refused
			c.room.refused.Add(1)
			c.room.signal()
		}
	}
}

func (c *client) write(msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeMax))
	return c.ws.WriteMessage(websocket.TextMessage, msg)
}

// askFinal sends every connected client still open a last presence.list
// and returns how many were asked.
func (f *fleet) askFinal() int {
	n := 0
	for _, c := range f.clients {
		if c.ws != nil {
			c.listsAsked.Add(1)
			if c.write(presenceList) == nil {
				n++
			}
		}
	}
	return n
}

// waitJoined waits until every connected client has seen its own user join
// (presence.join, or presence.diff listing it): the server announces a join
// after subscribing the member to the room, so from then on the member
// receives every message of the room.
func (f *fleet) waitJoined(ctx context.Context, bound time.Duration) error {
	want := int64(f.connected())
	if !waitUntil(ctx, time.Now().Add(bound), func() bool { return f.joined.Load() >= want }) {
		return fmt.Errorf("only %d of %d clients saw their own join within %s", f.joined.Load(), want, bound)
	}
	return nil
}

// touch counts now as the time of the last frame, so that a wait for quiet
// starts from now.
func (f *fleet) touch() { f.lastFrame.Store(time.Now().UnixNano()) }

// waitQuiet waits until no client has read a frame for quiet, or bound
// passes; it reports whether it was quiet.
func (f *fleet) waitQuiet(ctx context.Context, quiet, bound time.Duration) bool {
	return waitUntil(ctx, time.Now().Add(bound), func() bool {
		return time.Since(time.Unix(0, f.lastFrame.Load())) >= quiet
	})
}
