package ws

import (
	"log/slog"
	"testing"
)

// A recovery's replay never counts toward SEND_QUEUE: a client that missed
// more than the queue holds is not closed for it, and the live frames queued
// behind the replay still have the whole queue, no more.
func TestReplayDoesNotCountTowardTheQueue(t *testing.T) {
	c := newConn(nil, "r", "u", Limits{SendQueue: 2}, newStats(), slog.New(slog.DiscardHandler))
	c.box.running = true // no writer starts: the queue stays as filled
	if queued, _ := c.queue([]byte("presence.join")); !queued {
		t.Fatal("a frame refused by an empty queue")
	}
	for i := 0; i < 5; i++ {
		if !c.Replay([]byte("replayed")) {
			t.Fatalf("replayed frame %d refused", i)
		}
	}
	if c.isClosing() {
		t.Fatal("a replay longer than SEND_QUEUE closed the client")
	}
	if queued, _ := c.queue([]byte("live 1")); !queued {
		t.Fatal("a live frame behind the replay refused with room left")
	}
	if _, full := c.queue([]byte("live 2")); !full { // Send closes with 4002 on full
		t.Fatal("the queue took more live frames than SEND_QUEUE")
	}
}

// The writer takes the whole queue, replay and all, so the next live frames
// count from zero again.
func TestReplayAllowanceEndsWithTheBatch(t *testing.T) {
	c := newConn(nil, "r", "u", Limits{SendQueue: 2}, newStats(), slog.New(slog.DiscardHandler))
	c.box.running = true
	for i := 0; i < 4; i++ {
		c.Replay([]byte("replayed"))
	}
	batch, _, _ := c.nextBatch()
	if len(batch) != 4 || c.box.replayed != 0 {
		t.Fatalf("batch of %d, %d still counted as replayed", len(batch), c.box.replayed)
	}
	c.box.running = true
	a, _ := c.queue([]byte("a"))
	b, _ := c.queue([]byte("b"))
	if _, full := c.queue([]byte("c")); !a || !b || !full {
		t.Fatal("after the batch the queue does not hold exactly SEND_QUEUE live frames")
	}
}

// SEND_QUEUE_BYTES bounds live frames and replays alike, counting what the
// writer holds too, and the node's count follows every frame in and out.
func TestQueueBoundedInBytes(t *testing.T) {
	c := newConn(nil, "r", "u", Limits{SendQueue: 100, SendQueueBytes: 10}, newStats(), slog.New(slog.DiscardHandler))
	c.node = newNodeQueue(1 << 20)
	c.box.running = true // no writer starts: the test plays the writer
	if queued, _ := c.queue([]byte("123456")); !queued {
		t.Fatal("6 bytes refused by an empty queue of 10")
	}
	if _, full := c.queue([]byte("12345")); !full {
		t.Fatal("a live frame past SEND_QUEUE_BYTES taken")
	}
	if _, full := c.queueReplay([]byte("12345")); !full {
		t.Fatal("a replayed frame past SEND_QUEUE_BYTES taken")
	}
	batch, _, _ := c.nextBatch() // being written: still counts
	if _, full := c.queue([]byte("12345")); !full || c.waiting() != 6 || c.node.total.Load() != 6 {
		t.Fatalf("while written: full %v, waiting %d, node %d", full, c.waiting(), c.node.total.Load())
	}
	c.recycle(batch)
	if queued, _ := c.queueReplay([]byte("1234567890")); !queued || c.node.total.Load() != 10 {
		t.Fatalf("after the write: queued %v, node %d", queued, c.node.total.Load())
	}
	c.settle() // a connection that ends gives its bytes back
	if c.waiting() != 0 || c.node.total.Load() != 0 {
		t.Fatalf("after the end: waiting %d, node %d", c.waiting(), c.node.total.Load())
	}
}
