package e2e

import (
	"testing"

	rtc "github.com/rtserver/rt/client"
)

// A client with NoPresence keeps no presence: no OnPresence, no users,
// while its messages come and go as for any other client.
func TestGoLibNoPresence(t *testing.T) {
	mrEach(t, mrConfig(), func(t *testing.T, env mrEnv) {
		bot := connected(t, env.a.addr, "bot", func(c *rtc.Config) { c.NoPresence = true })
		rbot := bot.join(t, "lobby")
		alice := connected(t, env.b.addr, "alice")
		ra := alice.join(t, "lobby")
		libEventually(t, "alice sees the bot and herself", func() bool { return len(ra.Users()) == 2 })

		ack := publish(t, rbot, "hello", nil)
		publish(t, ra, "hi bot", nil)
		libEventually(t, "both messages at the bot", func() bool { return len(bot.rec.ids("lobby")) == 2 })
		if ids := bot.rec.ids("lobby"); ids[0] != ack.ID {
			t.Fatalf("the bot's deliveries %v, want its own %s first", ids, ack.ID)
		}
		bot.rec.mu.Lock()
		n := bot.rec.presences["lobby"]
		bot.rec.mu.Unlock()
		if n != 0 || len(rbot.Users()) != 0 {
			t.Fatalf("the bot got %d presence events and has users %v, want none", n, rbot.Users())
		}
	})
}
