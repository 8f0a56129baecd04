package main

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"time"

	rtclient "github.com/rtserver/rt/client"
)

// What the multiroom clients' handlers record: states, deliveries, errors
// and the library's dropped repeats, under the fleet's lock.

// count adds one to m[key].
func (f *mrFleet) count(m map[string]int, key string) {
	f.mu.Lock()
	m[key]++
	f.mu.Unlock()
}

// errText is an error's code when it is one of the library's or the
// server's, else its words.
func errText(err error) string {
	var e *rtclient.Error
	switch {
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return err.Error()
}

func (f *mrFleet) onState(c *mrClient, s rtclient.State) {
	switch {
	case s.State == rtclient.Connected:
		c.up = true
	case c.up:
		c.up = false
		if !f.closing.Load() {
			c.ended = strconv.Itoa(s.Code)
			if s.Code == 1006 {
				c.ended = "1006 (no close frame)"
			}
			f.count(f.ends, c.ended)
		}
	case s.Code >= 100 && s.Code <= 599:
		// A handshake refused: open counts the socket by its last cause.
		c.mu.Lock()
		c.connectErr = "HTTP " + strconv.Itoa(s.Code)
		c.mu.Unlock()
	}
}

func (f *mrFleet) onMessage(c *mrClient, m rtclient.Message) {
	now := time.Now().UnixNano()
	r, ok := roomIndex([]byte(m.Room), f.prefix)
	k := f.l.slot(c.idx, r)
	seq, sent, ok2 := parseText(m.Text)
	if !ok || !ok2 || k < 0 {
		f.stray.Add(1) // not a delivery of this run to this socket
		return
	}
	c.counts[k].add(seq)
	c.lat = append(c.lat, now-sent)
	c.last = now
	f.delivered.Add(1)
}

// onError counts a server error that answered no request of the library:
// while the socket is joining (a server that does not know room.join
// answers without the ref), it ends the joining.
func (f *mrFleet) onError(c *mrClient, err error) {
	code := errText(err)
	f.count(f.errs, code)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.joining && c.refusal == "" {
		c.refusal = code
		f.count(f.refusals, code)
		c.stopJoin()
	}
}

// duplicates is what the library dropped as repeats, all clients.
func (f *mrFleet) duplicates() int64 {
	var n int64
	for _, c := range f.clients {
		n += int64(c.c.Stats().Duplicates)
	}
	return n
}

func (f *mrFleet) snapshot(m map[string]int) map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(m)
}
