package client

import (
	"errors"
	"fmt"
	"time"
)

// scheduleRefresh arms the refresh of tok on s before its exp (see
// refreshDelay); a token without exp is never refreshed. c.mu is held.
func (c *Client) scheduleRefresh(s *session, tok string) {
	c.stopTimer(c.refreshTimer)
	c.refreshTimer = nil
	exp, ok := tokenExp(tok)
	if !ok {
		return
	}
	c.refreshTimer = c.after(refreshDelay(time.Now(), exp), func() { c.refresh(s, exp) })
}

// refresh gets a new token and sends it as auth.refresh. GetToken runs
// without the lock and with the socket's context, so a Close or a drop
// cuts it short. ErrUnauthorized is reported and not retried (4001 comes
// at exp); another error is retried while there is time before exp.
func (c *Client) refresh(s *session, exp time.Time) {
	tok, err := c.cfg.GetToken(s.ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess != s {
		return
	}
	switch {
	case errors.Is(err, ErrUnauthorized):
		// No new token: the socket serves until exp, the server closes it
		// with 4001, and the reconnect's GetToken stops the client, as the
		// JavaScript client does.
		c.report(fmt.Errorf("rt: GetToken for a refresh: %w", err))
	case err != nil:
		c.report(fmt.Errorf("rt: GetToken for a refresh: %w", err))
		if d, ok := refreshRetry(time.Now(), exp); ok {
			c.refreshTimer = c.after(d, func() { c.refresh(s, exp) })
		}
	case !newer(tok, exp):
		// The same token, or one that expires no later, is no refresh:
		// sent, it would be rescheduled before the same exp again and
		// again. The server closes with 4001 at exp; the reconnect asks
		// GetToken once more.
	default:
		ref := c.newRef()
		c.calls[ref] = &call{kind: kindRefresh, ref: ref, token: tok}
		s.send(outFrame{Type: "auth.refresh", Token: tok, Ref: ref}.encode())
	}
}

// onRefreshed: the server took the token; the next refresh is armed from
// its exp.
func (c *Client) onRefreshed(s *session, f *inFrame) {
	k := c.calls[f.Ref]
	if k == nil || k.kind != kindRefresh {
		return
	}
	delete(c.calls, f.Ref)
	c.stats.refreshes.Add(1)
	c.scheduleRefresh(s, k.token)
}

// newer reports whether tok expires after exp, or never.
func newer(tok string, exp time.Time) bool {
	next, ok := tokenExp(tok)
	return !ok || next.After(exp)
}
