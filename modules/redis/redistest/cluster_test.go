package redistest_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/redis/redistest"
)

// tagPerMaster finds, for each master, a hash tag whose slot it serves:
// the key "{tag}" and every key carrying that tag live on that master.
func tagPerMaster(t *testing.T, c *redistest.Cluster) map[string]string {
	t.Helper()
	tags := map[string]string{} // master ID -> tag
	for i := 0; len(tags) < len(c.Masters()); i++ {
		if i == 1000 {
			t.Fatalf("no tag for every master after 1000 tries: %v", tags)
		}
		tag := "room" + strconv.Itoa(i)
		if m := c.MasterOf(t, "{"+tag+"}"); tags[m.ID] == "" {
			tags[m.ID] = tag
		}
	}
	return tags
}

func TestCluster(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t)
	masters, replicas := c.Masters(), c.Replicas()
	if len(masters) != 3 || len(replicas) != 3 {
		t.Fatalf("%d masters and %d replicas, want 3 and 3", len(masters), len(replicas))
	}
	served := map[string]bool{}
	for _, r := range replicas {
		if !slices.ContainsFunc(masters, func(m redistest.Node) bool { return m.ID == r.Master }) || served[r.Master] {
			t.Errorf("replica %s replicates %q: not a master, or one that already has a replica", r.Addr(), r.Master)
		}
		served[r.Master] = true
	}
	client := c.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	tags := tagPerMaster(t, c)
	direct := map[string]rueidis.Client{} // master ID -> a client of that node alone
	for _, m := range masters {
		direct[m.ID] = c.NodeClient(t, m)
	}

	t.Run("keys land on every master", func(t *testing.T) {
		for _, m := range masters {
			key := "{" + tags[m.ID] + "}k"
			if err := client.Do(ctx, client.B().Set().Key(key).Value(m.ID).Build()).Error(); err != nil {
				t.Fatalf("SET %s: %v", key, err)
			}
			// Asked directly, with no redirect to follow, the master has it.
			if v, err := direct[m.ID].Do(ctx, direct[m.ID].B().Get().Key(key).Build()).ToString(); err != nil || v != m.ID {
				t.Errorf("GET %s on %s: %q, %v; want %q", key, m.Addr(), v, err, m.ID)
			}
		}
	})

	t.Run("sharded Pub/Sub on the shard that owns the channel", func(t *testing.T) {
		for _, m := range masters {
			channel := "{" + tags[m.ID] + "}ch"
			got := make(chan string, 1)
			subCtx, stop := context.WithCancel(ctx)
			// Receive leaves the channel subscribed when its context ends;
			// the hook unsubscribes on the connection it used.
			subCtx = rueidis.WithOnReceiveReturnHook(subCtx, func(err error, conn rueidis.CommandClient) error {
				if err := conn.Do(ctx, conn.B().Sunsubscribe().Channel(channel).Build()).Error(); err != nil {
					t.Errorf("SUNSUBSCRIBE %s: %v", channel, err)
				}
				return err
			})
			done := make(chan error, 1)
			go func() {
				done <- client.Receive(subCtx, client.B().Ssubscribe().Channel(channel).Build(), func(msg rueidis.PubSubMessage) {
					got <- msg.Message
				})
			}()
			waitShardChannels(t, direct[m.ID], m, channel)
			for _, other := range masters {
				if other.ID != m.ID {
					if chs := shardChannels(t, direct[other.ID], other); len(chs) != 0 {
						t.Errorf("master %s has shard channels %v; only %s should", other.Addr(), chs, m.Addr())
					}
				}
			}
			if err := client.Do(ctx, client.B().Spublish().Channel(channel).Message("hi").Build()).Error(); err != nil {
				t.Fatalf("SPUBLISH %s: %v", channel, err)
			}
			select {
			case msg := <-got:
				if msg != "hi" {
					t.Errorf("received %q, want hi", msg)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("nothing received on %s", channel)
			}
			stop()
			if err := <-done; err != context.Canceled {
				t.Errorf("Receive ended with %v, want context.Canceled", err)
			}
			waitShardChannels(t, direct[m.ID], m, "")
		}
	})

	t.Run("a migrated slot moves its keys and ends its shard subscriptions", func(t *testing.T) {
		from, to := masters[0], masters[1]
		tag := tags[from.ID]
		slot := c.KeySlot(t, "{"+tag+"}")
		keys := []string{"{" + tag + "}a", "{" + tag + "}b", "{" + tag + "}c"}
		for _, k := range keys {
			if err := client.Do(ctx, client.B().Set().Key(k).Value(k).Build()).Error(); err != nil {
				t.Fatal(err)
			}
		}
		channel := "{" + tag + "}ch"
		done := make(chan error, 1)
		go func() {
			done <- client.Receive(ctx, client.B().Ssubscribe().Channel(channel).Build(), func(rueidis.PubSubMessage) {})
		}()
		waitShardChannels(t, direct[from.ID], from, channel)

		c.MigrateSlot(t, slot, from, to)

		if m := c.MasterOfSlot(t, slot); m.ID != to.ID {
			t.Errorf("slot %d served by %s, want %s", slot, m.Addr(), to.Addr())
		}
		src, dst := direct[from.ID], direct[to.ID]
		for _, k := range keys {
			if v, err := dst.Do(ctx, dst.B().Get().Key(k).Build()).ToString(); err != nil || v != k {
				t.Errorf("GET %s on %s: %q, %v", k, to.Addr(), v, err)
			}
			if err := src.Do(ctx, src.B().Get().Key(k).Build()).Error(); err == nil {
				t.Errorf("GET %s on %s: no MOVED", k, from.Addr())
			} else if addr, ok := err.(*rueidis.RedisError).IsMoved(); !ok || addr != to.Addr() {
				t.Errorf("GET %s on %s: %v, want MOVED to %s", k, from.Addr(), err, to.Addr())
			}
			// The cluster client follows the MOVED.
			if v, err := client.Do(ctx, client.B().Get().Key(k).Build()).ToString(); err != nil || v != k {
				t.Errorf("GET %s: %q, %v", k, v, err)
			}
		}
		// Redis unsubscribes the slot's shard channels (SUNSUBSCRIBE push),
		// which ends rueidis's Receive without an error: subscribing again
		// is up to the caller.
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Receive ended with %v, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Receive on %s still running after its slot moved", channel)
		}
		if chs := shardChannels(t, direct[from.ID], from); len(chs) != 0 {
			t.Errorf("old master %s still has shard channels %v", from.Addr(), chs)
		}
	})
}

func TestClusterFailover(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t)
	client := c.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	const key = "{failover}k"
	old := c.MasterOf(t, key)
	if err := client.Do(ctx, client.B().Set().Key(key).Value("before").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	// Replication is asynchronous: wait until the replica has the write.
	node := c.NodeClient(t, old)
	if n, err := node.Do(ctx, node.B().Wait().Numreplicas(1).Timeout(2000).Build()).AsInt64(); err != nil || n != 1 {
		t.Fatalf("WAIT 1: %d, %v", n, err)
	}

	start := time.Now()
	c.Kill(old)
	promoted := c.WaitFailover(t, old)
	t.Logf("replica %s replaced master %s after %v", promoted.Addr(), old.Addr(), time.Since(start).Round(time.Millisecond))

	if m := c.MasterOf(t, key); m.ID != promoted.ID {
		t.Errorf("%s served by %s, want the promoted %s", key, m.Addr(), promoted.Addr())
	}
	if ms := c.Masters(); len(ms) != 3 || slices.ContainsFunc(ms, func(m redistest.Node) bool { return m.ID == old.ID }) {
		t.Errorf("masters after failover: %v; want 3 without %s", ms, old.ID)
	}

	// The client still routes the slot to the dead master: an error makes
	// it read the topology again, after a random delay of up to 1s, so the
	// command succeeds on a later try.
	tries, retrying := 0, time.Now()
	for {
		tries++
		err := client.Do(ctx, client.B().Set().Key(key).Value("after").Build()).Error()
		if err == nil {
			break
		}
		if tries == 1 {
			t.Logf("SET after failover: %v", err)
		}
		if ctx.Err() != nil {
			t.Fatalf("SET %s after failover: %v (%d tries)", key, err, tries)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("SET after failover succeeded on try %d, %v after the first", tries, time.Since(retrying).Round(time.Millisecond))
	node = c.NodeClient(t, promoted)
	if v, err := node.Do(ctx, node.B().Get().Key(key).Build()).ToString(); err != nil || v != "after" {
		t.Errorf("GET %s on the promoted master: %q, %v", key, v, err)
	}
}

func shardChannels(t *testing.T, node rueidis.Client, m redistest.Node) []string {
	t.Helper()
	chs, err := node.Do(context.Background(), node.B().PubsubShardchannels().Build()).AsStrSlice()
	if err != nil {
		t.Fatalf("PUBSUB SHARDCHANNELS on %s: %v", m.Addr(), err)
	}
	return chs
}

// waitShardChannels waits until master m lists exactly channel in PUBSUB
// SHARDCHANNELS, or none for "".
func waitShardChannels(t *testing.T, node rueidis.Client, m redistest.Node, channel string) {
	t.Helper()
	var want []string
	if channel != "" {
		want = []string{channel}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		chs := shardChannels(t, node, m)
		if slices.Equal(chs, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PUBSUB SHARDCHANNELS on %s: %v, want %v", m.Addr(), chs, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
