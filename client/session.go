package client

import (
	"context"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
	"golang.org/x/time/rate"
)

// session is one open socket. Its writer goroutine is the only one that
// writes data frames, in the order they were queued, each paced by the
// client's token bucket, so that a burst (a rejoin of many rooms, a
// flushed publish queue) never trips the server's rate limit and no
// caller ever blocks on the network.
type session struct {
	conn      *websocket.Conn
	ctx       context.Context // ends when the socket does
	cancel    context.CancelFunc
	reconnect bool // not the client's first socket
	gotFrame  bool // read loop only

	mu    sync.Mutex
	out   [][]byte
	pongs int // owed answers to system.ping; they skip the bucket and the queue
	wake  chan struct{}
	wdone chan struct{}
}

func newSession(conn *websocket.Conn) *session {
	ctx, cancel := context.WithCancel(context.Background())
	return &session{conn: conn, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1), wdone: make(chan struct{})}
}

// send queues a data frame; it never blocks.
func (s *session) send(b []byte) {
	s.mu.Lock()
	s.out = append(s.out, b)
	s.mu.Unlock()
	s.poke()
}

// sendPong queues an answer to system.ping ahead of everything else: a
// pong stuck behind paced frames could let the server's idle timer fire.
func (s *session) sendPong() {
	s.mu.Lock()
	s.pongs++
	s.mu.Unlock()
	s.poke()
}

func (s *session) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// next takes the next frame to write; paced says whether it goes through
// the bucket.
func (s *session) next() (b []byte, paced, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pongs > 0 {
		s.pongs--
		return pongFrame, false, true
	}
	if len(s.out) == 0 {
		return nil, false, false
	}
	b = s.out[0]
	s.out[0] = nil
	s.out = s.out[1:]
	return b, true, true
}

// writeLoop writes until the session ends or a write fails; a failed
// write closes the connection, which ends the read loop too.
func (s *session) writeLoop(lim *rate.Limiter) {
	defer close(s.wdone)
	for {
		b, paced, ok := s.next()
		if !ok {
			select {
			case <-s.wake:
				continue
			case <-s.ctx.Done():
				return
			}
		}
		if paced && lim.Wait(s.ctx) != nil {
			return
		}
		_ = s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
		if err := s.conn.WriteMessage(websocket.TextMessage, b); err != nil {
			s.conn.Close()
			return
		}
	}
}

// closeNormal starts the closing handshake with 1000; the read loop ends
// when the server echoes it. WriteControl may run beside the writer.
func (s *session) closeNormal() {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeWait))
}

// end stops the writer and closes the connection, then waits for the
// writer to be gone.
func (s *session) end() {
	s.cancel()
	s.conn.Close()
	<-s.wdone
}
