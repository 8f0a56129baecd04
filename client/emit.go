package client

import "strconv"

// The emitters queue one handler call each on the dispatcher, when the app
// set that handler. They are called with c.mu held, which keeps events in
// the order the client saw them.

func (c *Client) emitMessage(m Message) {
	if h := c.cfg.Handlers.OnMessage; h != nil {
		c.disp.push(func() { h(m) })
	}
}

func (c *Client) emitSignal(s Signal) {
	if h := c.cfg.Handlers.OnSignal; h != nil {
		c.disp.push(func() { h(s) })
	}
}

func (c *Client) emitPresence(p Presence) {
	if h := c.cfg.Handlers.OnPresence; h != nil {
		c.disp.push(func() { h(p) })
	}
}

func (c *Client) emitRecovered(r Recovered) {
	if h := c.cfg.Handlers.OnRecovered; h != nil {
		c.disp.push(func() { h(r) })
	}
}

func (c *Client) emitJoined(room string) {
	if h := c.cfg.Handlers.OnJoined; h != nil {
		c.disp.push(func() { h(room) })
	}
}

func (c *Client) emitLeft(room, reason string) {
	if h := c.cfg.Handlers.OnLeft; h != nil {
		c.disp.push(func() { h(room, reason) })
	}
}

func (c *Client) emitUserMessage(m UserMessage) {
	if h := c.cfg.Handlers.OnUserMessage; h != nil {
		c.disp.push(func() { h(m) })
	}
}

func (c *Client) emitError(err error) {
	if h := c.cfg.Handlers.OnError; h != nil {
		c.disp.push(func() { h(err) })
	}
}

// handlerPanicked reports a handler's panic; it runs on the dispatcher.
func (c *Client) handlerPanicked(err error) {
	if h := c.cfg.Handlers.OnError; h != nil {
		h(err)
	}
}

func formatRef(n uint64) string { return strconv.FormatUint(n, 10) }
