package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/protocol"
	"github.com/rtserver/rt/modules/redis/redistest"
)

func TestHistoryBadSince(t *testing.T) {
	n := startNode(t, testConfig())
	good := protocol.FormatID(0x193abcdef01, 0xa)
	tok := token(t, "u1")
	tests := []struct {
		name  string
		query string
		hdr   func(h http.Header)
	}{
		{"not hex", "since=x", nil},
		{"uppercase hex", "since=" + strings.ToUpper(good), nil},
		{"27 chars", "since=" + good[:27], nil},
		{"29 chars", "since=" + good + "0", nil},
		{"hex with a dash", "since=" + good[:12] + "-" + good[13:], nil},
		{"two since parameters", "since=" + good + "&since=" + good, nil},
		{"a good and an empty since", "since=" + good + "&since=", nil},
		{"checked before the origin", "since=x", func(h http.Header) { h.Set("Origin", "http://evil.example") }},
		{"checked before the token", "since=x", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.query
			if tt.name != "checked before the token" {
				q = "token=" + tok + "&" + q
			}
			req, _ := http.NewRequest(http.MethodGet, "http://"+n.addr+"/ws/test?"+q, nil)
			req.Header = upgradeHeaders()
			if tt.hdr != nil {
				tt.hdr(req.Header)
			}
			resp, err := oneWrite.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400 (body %s)", resp.StatusCode, body)
			}
			var got struct{ Error string }
			if err := json.Unmarshal(body, &got); err != nil || got.Error != "bad_since" {
				t.Fatalf("body %s, want {\"error\":\"bad_since\"}", body)
			}
		})
	}
	t.Run("bad room is checked first", func(t *testing.T) {
		_, resp, err := dialRaw(n.wsURL("a%20b")+"?token="+tok+"&since=x", http.Header{"Origin": {origin}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("dial: %v, %v; want 400", err, resp)
		}
		body, _ := io.ReadAll(resp.Body)
		if !contains(body, "bad_room") {
			t.Fatalf("body %s, want bad_room", body)
		}
	})
	t.Run("empty since is no since", func(t *testing.T) {
		c := histDial(t, n, "test", "u2", "")
		c.ready() // a history.recovered before the pong would fail here
		histQuiet(c)
	})
	t.Run("well formed since is accepted", func(t *testing.T) {
		c := histDial(t, n, "test", "u3", good)
		_, rec := histRecovery(c)
		checkRecovered(t, rec, "test", 0, false)
	})
}

func TestHistoryRecoveryComplete(t *testing.T) {
	for _, mode := range histModes {
		t.Run(mode.name, func(t *testing.T) {
			_, na, nb := histNodes(t, mode, testConfig())
			alice := dial(t, na, "rec", "alice")
			alice.ready()
			sent := sendCounted(alice, "m", 5)
			got := ids(sent)
			checkIncreasing(t, "alice's deliveries", got, "")

			bob := histDial(t, nb, "rec", "bob", got[1])
			replay, rec := histRecovery(bob)
			if !sameList(ids(replay), got[2:]) {
				t.Fatalf("replay %v, want %v", ids(replay), got[2:])
			}
			if !sameList(texts(replay), []string{"m2", "m3", "m4"}) {
				t.Fatalf("replay texts %v", texts(replay))
			}
			checkRecovered(t, rec, "rec", 3, true)

			alice.chat("live")
			live := histChat(bob)
			if live.str("text") != "live" || live.str("id") <= got[4] {
				t.Fatalf("live after the replay: %v (last replayed %s)", live, got[4])
			}
			if f := histChat(alice); f.str("id") != live.str("id") {
				t.Fatalf("alice got %v, bob %v", f, live)
			}
			histQuiet(bob) // nothing given twice
		})
	}
}

func TestHistoryRecoveryIncomplete(t *testing.T) {
	for _, mode := range histModes {
		t.Run(mode.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.HistorySize = 5
			_, na, nb := histNodes(t, mode, cfg)
			alice := dial(t, na, "trim", "alice")
			alice.ready()
			got := ids(sendCounted(alice, "m", 12))

			t.Run("trimmed", func(t *testing.T) {
				bob := histDial(t, nb, "trim", "bob", got[0])
				replay, rec := histRecovery(bob)
				// Redis trims with MAXLEN ~, whole nodes of its stream at a
				// time, so it may still hold more than the newest 5, since
				// itself included: the replay is what it holds, complete
				// when that is everything after since.
				n := len(replay)
				if n < 5 || (!mode.redis && n != 5) || !sameList(ids(replay), got[len(got)-n:]) {
					t.Fatalf("replay %v, want the newest 5 (or more in redis mode) of %v", ids(replay), got)
				}
				checkRecovered(t, rec, "trim", n, n == len(got)-1)
				histQuiet(bob)
			})

			t.Run("since from the future", func(t *testing.T) {
				future := protocol.FormatID(1<<47, 0)
				carol := histDial(t, nb, "trim", "carol", future)
				replay, rec := histRecovery(carol)
				if len(replay) != 0 {
					t.Fatalf("replayed %v for a since from the future", ids(replay))
				}
				checkRecovered(t, rec, "trim", 0, false)
				// A bogus since must not hold back live delivery.
				for i := range 3 {
					text := "after the future " + strconv.Itoa(i)
					alice.chat(text)
					if f := histChat(alice); f.str("text") != text {
						t.Fatalf("alice got %v", f)
					}
					if f := histChat(carol); f.str("text") != text || f.str("id") <= got[11] {
						t.Fatalf("carol got %v, want %q after %s", f, text, got[11])
					}
				}
				histQuiet(carol)
			})

			t.Run("since from another room", func(t *testing.T) {
				cfg := testConfig() // history big enough to hold every message here
				_, na, nb := histNodes(t, mode, cfg)
				mine := dial(t, na, "mine", "alice")
				mine.ready()
				other := dial(t, na, "other", "eve")
				other.ready()
				// Rooms number their messages apart, so two rooms may give
				// the same id in one millisecond: a pause between rooms
				// makes the ids of the two interleave.
				tick := func() { time.Sleep(3 * time.Millisecond) }
				o1 := ids(sendCounted(other, "secret-a", 1))[0]
				tick()
				r := ids(sendCounted(mine, "mine-a", 2))
				tick()
				o2 := ids(sendCounted(other, "secret-b", 1))[0]
				tick()
				r = append(r, ids(sendCounted(mine, "mine-b", 1))...)
				if !(o1 < r[0] && r[1] < o2 && o2 < r[2]) {
					t.Fatalf("ids out of publish order: other %s %s, mine %v", o1, o2, r)
				}
				for _, tc := range []struct {
					since string
					want  []string
				}{{o1, r}, {o2, r[2:]}} {
					bob := histDial(t, nb, "mine", "bob", tc.since)
					replay, rec := histRecovery(bob)
					for _, f := range replay {
						if f.str("room") != "mine" || strings.HasPrefix(f.str("text"), "secret") {
							t.Fatalf("another room's message leaked: %v", f)
						}
					}
					if !sameList(ids(replay), tc.want) {
						t.Fatalf("since %s: replay %v, want %v", tc.since, ids(replay), tc.want)
					}
					checkRecovered(t, rec, "mine", len(tc.want), false)
					histQuiet(bob)
				}
			})
		})
	}
}

func TestHistoryFlushedRedis(t *testing.T) {
	srv := redistest.Start(t)
	cfg := testConfig()
	cfg.RedisURL = srv.URL()
	n := startNode(t, cfg)
	alice := dial(t, n, "flushed", "alice")
	alice.ready()
	old := ids(sendCounted(alice, "old", 3))

	obs := observer(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := obs.Do(ctx, obs.B().Flushall().Build()).Error(); err != nil {
		t.Fatal(err)
	}

	bob := histDial(t, n, "flushed", "bob", old[2])
	replay, rec := histRecovery(bob)
	if len(replay) != 0 {
		t.Fatalf("replayed %v from a flushed history", ids(replay))
	}
	checkRecovered(t, rec, "flushed", 0, false)

	for i := range 3 {
		text := "new" + strconv.Itoa(i)
		alice.chat(text)
		a, b := histChat(alice), histChat(bob)
		if a.str("text") != text || b.str("text") != text || a.str("id") != b.str("id") {
			t.Fatalf("after the flush: alice %v, bob %v", a, b)
		}
		if a.str("id") <= old[2] {
			t.Fatalf("id %s after the flush is not greater than %s before it", a.str("id"), old[2])
		}
	}
	page, more := histPage(bob, "", 50)
	if more || !sameList(texts(page), []string{"new0", "new1", "new2"}) {
		t.Fatalf("history after the flush: %v more %v", texts(page), more)
	}
}

// TestHistoryReplayRacesLive reconnects with since over and over while a
// sender publishes without pause: each connection gets every message after
// its since once, in order, with nothing missing.
func TestHistoryReplayRacesLive(t *testing.T) {
	for _, mode := range histModes {
		t.Run(mode.name, func(t *testing.T) {
			// History deep enough that the sender, never pausing, cannot
			// push what a reconnect needs out of it while the replay is read
			// in pages (a loaded machine slows the reader more than the
			// sender): this test is about order, not trimming.
			cfg := testConfig()
			cfg.HistorySize = 100000
			_, na, nb := histNodes(t, mode, cfg)
			sender := dial(t, na, "race", "sender")
			sender.ready()
			stop := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						done <- nil
						return
					default:
					}
					if _, err := sendAndWait(sender, "c"+strconv.Itoa(i)); err != nil {
						done <- err
						return
					}
				}
			}()
			stopped := false
			defer func() {
				if !stopped {
					close(stop)
					<-done
				}
			}()

			counter := func(f frame) int {
				n, err := strconv.Atoi(strings.TrimPrefix(f.str("text"), "c"))
				if err != nil || f.str("user") != "sender" {
					t.Fatalf("unexpected delivery %v", f)
				}
				return n
			}
			first := dial(t, nb, "race", "reader")
			last := histChat(first)
			first.ws.Close()
			lastID, lastN := last.str("id"), counter(last)
			for round := range 20 {
				n := na
				if round%2 == 1 {
					n = nb
				}
				c := histDial(t, n, "race", "reader", lastID)
				replay, rec := histRecovery(c)
				checkRecovered(t, rec, "race", len(replay), true)
				for _, f := range append(replay, histChats(c, 3)...) {
					if got := counter(f); got != lastN+1 || f.str("id") <= lastID {
						t.Fatalf("round %d: %q (%s) after c%d (%s)", round, f.str("text"), f.str("id"), lastN, lastID)
					}
					lastID, lastN = f.str("id"), lastN+1
				}
				c.ws.Close()
			}
			close(stop)
			stopped = true
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A replay longer than SEND_QUEUE does not close the client with 4002: it
// does not count toward the queue, so a client that missed a lot recovers
// instead of being closed on every reconnect.
func TestHistoryReplayLongerThanTheQueue(t *testing.T) {
	cfg := testConfig()
	cfg.SendQueue, cfg.HistorySize = 4, 40
	n := startNode(t, cfg)
	alice := dial(t, n, "long", "alice")
	alice.ready()
	got := ids(sendCounted(alice, "m", 30))
	bob := histDial(t, n, "long", "bob", got[0])
	replay, rec := histRecovery(bob)
	if !sameList(ids(replay), got[1:]) {
		t.Fatalf("replay %v, want %v", ids(replay), got[1:])
	}
	checkRecovered(t, rec, "long", 29, true)
	alice.chat("live")
	if f := histChat(bob); f.str("text") != "live" {
		t.Fatalf("after the replay: %v", f)
	}
}
