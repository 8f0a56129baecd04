package ws

import (
	"sync"
	"time"

	"github.com/rtserver/rt/modules/protocol"
)

// tokenClock closes a connection with 4001 when its token expires, unless an
// auth.refresh has moved the deadline first. It allows the same leeway as
// the handshake (JWT_LEEWAY), so a token accepted within the leeway is not
// closed the moment it is.
type tokenClock struct {
	leeway time.Duration
	mu     sync.Mutex
	timer  *time.Timer
}

// set replaces the deadline; a zero exp (a token without exp) removes it.
func (t *tokenClock) set(exp time.Time, c *Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
	if exp.IsZero() {
		return
	}
	t.timer = time.AfterFunc(time.Until(exp.Add(t.leeway)), func() {
		c.Close(protocol.CloseTokenExpired, "token expired")
	})
}

func (t *tokenClock) stop() { t.set(time.Time{}, nil) }
