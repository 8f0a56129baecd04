//go:build !linux

package ws

import (
	"errors"
	"log/slog"
)

// poller is Linux's (poller_linux.go); elsewhere every socket is read by a
// goroutine of its own.
type poller struct{}

func newPoller(*slog.Logger) (*poller, error) {
	return nil, errors.New("no socket poller on this system")
}

func (p *poller) close()             {}
func (p *poller) take(*Conn) *poller { return nil }
func (p *poller) remove(*Conn)       {}
