package main

import (
	"cmp"
	"context"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/rtserver/rt/cmd/internal/rtnode"
)

// newDialer dials only loopback, with dial (from one source address). Its
// read buffer is small where there are many connections and few frames
// (connect, storm, idle), larger where every client reads a stream
// (fan-out): one read(2) then takes many frames.
func newDialer(readBuffer int, dial func(context.Context, string, string) (net.Conn, error)) *websocket.Dialer {
	return &websocket.Dialer{
		NetDialContext:   dial,
		HandshakeTimeout: dialMax,
		ReadBufferSize:   cmp.Or(readBuffer, 2048),
		WriteBufferSize:  512,
	}
}

// dialAll connects every client, dialers at a time, each with up to
// attempts tries (a refused TCP dial under a burst is retried; an HTTP
// refusal is not), then groups the connected ones by room. It returns how
// many failed; f.fails says why.
func (f *fleet) dialAll(ctx context.Context, dialers, attempts int) int {
	inPool(ctx, f.clients, dialers, func(c *client) { f.dial(ctx, c, attempts) })
	f.groupRooms()
	return f.cfg.conns - f.connected() // failed, or never tried because ctx ended
}

// dialSpread starts client i's dial at start + i·spread/conns, each on its
// own goroutine: a storm of joins at a steady rate, however slow any one
// handshake is. It returns how many failed.
func (f *fleet) dialSpread(ctx context.Context, spread time.Duration) int {
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range f.clients {
		at := start.Add(spread * time.Duration(i) / time.Duration(len(f.clients)))
		wg.Go(func() {
			if sleep(ctx, time.Until(at)) == nil {
				f.dial(ctx, c, 1)
			}
		})
	}
	wg.Wait()
	f.groupRooms()
	return f.cfg.conns - f.connected()
}

// dial connects c and starts its reader; false (with the cause counted in
// f.fails) if it could not.
func (f *fleet) dial(ctx context.Context, c *client, attempts int) bool {
	url := rtnode.WSURL(c.port, c.room.name, c.tok, "")
	header := http.Header{"Origin": {origin}}
	for attempt := 1; ; attempt++ {
		t0 := time.Now()
		ws, resp, err := f.dialers[c.src].DialContext(ctx, url, header)
		if err == nil {
			c.upAt = time.Now().UnixNano()
			c.dialNs = c.upAt - t0.UnixNano()
			c.ws = ws
			break
		}
		if resp != nil {
			resp.Body.Close()
			f.fail("HTTP " + strconv.Itoa(resp.StatusCode)) // a refusal, not a transient error
			return false
		}
		if attempt >= attempts || ctx.Err() != nil {
			f.fail(rtnode.DialFailure(err))
			return false
		}
		_ = sleep(ctx, time.Duration(attempt)*100*time.Millisecond)
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(readMax))
	if f.cfg.listFirst {
		// Before the reader starts: every frame it reads comes after the request.
		c.listsAsked.Add(1)
		_ = c.write(presenceList)
	}
	f.readers.Add(1)
	go f.read(c)
	return true
}

func (f *fleet) fail(cause string) {
	f.mu.Lock()
	f.fails[cause]++
	f.mu.Unlock()
}

func (f *fleet) groupRooms() {
	for _, r := range f.rooms {
		r.members = r.members[:0]
	}
	for _, c := range f.clients {
		if c.ws != nil {
			c.room.members = append(c.room.members, c)
		}
	}
	for _, r := range f.rooms {
		r.size.Store(int32(len(r.members)))
	}
}

func (f *fleet) connected() int {
	n := 0
	for _, c := range f.clients {
		if c.ws != nil {
			n++
		}
	}
	return n
}
