package client

// handle acts on one server frame; c.mu is held. Unknown types are
// ignored, so a newer server's additions do not break an older client.
func (c *Client) handle(s *session, f *inFrame) {
	switch f.Type {
	case "system.ping":
		c.stats.pongs.Add(1)
		s.sendPong()
	case "chat.delivery":
		c.onDelivery(f)
	case "chat.ack":
		c.onAck(f)
	case "room.joined":
		c.onJoined(s, f)
	case "room.left":
		c.onLeft(f)
	case "presence.state", "presence.join", "presence.leave", "presence.diff":
		c.onPresence(f)
	case "history.recovered":
		c.stats.replayed.Add(uint64(max(f.Count, 0)))
		c.emitRecovered(Recovered{Room: f.Room, Count: f.Count, Complete: f.Complete})
	case "history.page":
		c.onPage(f)
	case "room.signal":
		c.emitSignal(Signal{Room: f.Room, User: f.User, Data: f.Data, TS: f.TS})
	case "user.message":
		c.emitUserMessage(UserMessage{User: f.User, Text: f.Text, Data: f.Data, ID: f.ID, TS: f.TS})
	case "auth.refreshed":
		c.onRefreshed(s, f)
	case "system.error":
		c.onServerError(f)
	}
}
