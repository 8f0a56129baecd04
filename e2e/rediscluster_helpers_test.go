package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtserver/rt/config"
	"github.com/rtserver/rt/modules/bus/redisbus"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// clusterNodes starts two rt nodes on one real Redis Cluster of 3 masters
// with a replica each.
func clusterNodes(t *testing.T, cfg config.Config) (*redistest.Cluster, *node, *node) {
	t.Helper()
	c := redistest.StartCluster(t)
	cfg.RedisURL = c.URL()
	return c, startNode(t, cfg), startNode(t, cfg)
}

// clusterRooms finds, for each master in port order, a room whose hash tag
// lands in a slot that master serves.
func clusterRooms(t *testing.T, c *redistest.Cluster, prefix string) []string {
	t.Helper()
	masters := c.Masters()
	byID := map[string]string{}
	for i := 0; len(byID) < len(masters); i++ {
		if i == 1000 {
			t.Fatalf("no room for every master after 1000 tries: %v", byID)
		}
		room := prefix + strconv.Itoa(i)
		if m := c.MasterOf(t, redisbus.ShardChannel(room)); byID[m.ID] == "" {
			byID[m.ID] = room
		}
	}
	rooms := make([]string, len(masters))
	for i, m := range masters {
		rooms[i] = byID[m.ID]
	}
	return rooms
}

// roomChannels is PUBSUB SHARDCHANNELS rt:room:* on master m alone, sorted.
func roomChannels(t *testing.T, c *redistest.Cluster, m redistest.Node) []string {
	t.Helper()
	n := c.NodeClient(t, m)
	chs, err := n.Do(t.Context(), n.B().PubsubShardchannels().Pattern(redisbus.ChannelPrefix+"*").Build()).AsStrSlice()
	if err != nil {
		t.Fatalf("PUBSUB SHARDCHANNELS on %s: %v", m.Addr(), err)
	}
	slices.Sort(chs)
	return chs
}

// presenceUsers asks c for presence.list and returns the users, joined.
func presenceUsers(c *client) string {
	c.t.Helper()
	c.send(map[string]string{"type": "presence.list"})
	f := c.expect("presence.state", "presence.join", "presence.leave", "presence.diff")
	return strings.Join(toStrings(f["users"]), ",")
}

// expectLastChat proves nothing is pending on c and returns the id of the
// last chat message its room's history holds, as history.get reports it.
func (c *client) expectLastChat(t *testing.T) string {
	t.Helper()
	histQuiet(c)
	page, _ := histPage(c, "", 1)
	if len(page) != 1 {
		t.Fatalf("history.get: %d messages, want 1", len(page))
	}
	return page[0].str("id")
}

// collector reads a client's frames off the test goroutine and keeps its
// chat deliveries, in order.
type collector struct {
	name string
	stop chan struct{}
	done chan struct{}

	mu     sync.Mutex
	ids    []string
	texts  map[string]bool
	errors int
	closed error // why the socket closed, if it did
	bad    error // a frame that was not JSON
}

func collect(name string, c *client) *collector {
	col := &collector{name: name, stop: make(chan struct{}), done: make(chan struct{}), texts: map[string]bool{}}
	go func() {
		defer close(col.done)
		for {
			select {
			case <-col.stop:
				return
			case data, ok := <-c.frames:
				col.mu.Lock()
				if !ok {
					col.closed = fmt.Errorf("closed: %v", c.err)
					col.mu.Unlock()
					return
				}
				var f frame
				if err := json.Unmarshal(data, &f); err != nil {
					col.bad = fmt.Errorf("frame %q: %v", data, err)
				}
				switch f.str("type") {
				case "chat.delivery":
					col.ids = append(col.ids, f.str("id"))
					col.texts[f.str("text")] = true
				case "system.error":
					col.errors++
				}
				col.mu.Unlock()
			}
		}
	}()
	return col
}

// halt stops the collector and hands the client's frames back to the test.
func (col *collector) halt() {
	close(col.stop)
	<-col.done
}

func (col *collector) count() int {
	col.mu.Lock()
	defer col.mu.Unlock()
	return len(col.ids)
}

func (col *collector) has(text string) bool {
	col.mu.Lock()
	defer col.mu.Unlock()
	return col.texts[text]
}

func (col *collector) gone() bool {
	col.mu.Lock()
	defer col.mu.Unlock()
	return col.closed != nil
}

// waitFor waits, bounded, until cond holds; false if it never did.
func waitFor(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}
