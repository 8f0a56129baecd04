package history

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"rt/modules/bus"
	"rt/modules/protocol"
	"rt/modules/redis"
	"rt/modules/redis/redistest"
)

// waitLimit bounds every wait for a published message; it guards against
// hangs only.
const waitLimit = 15 * time.Second

// node is one Log under test with the bus it publishes on, as one rt
// process has them.
type node struct {
	log Log
	bus bus.Bus
	// setNow replaces the clock the Log reads the TTL against.
	setNow func(func() time.Time)
}

// newNode returns an empty history with settings s on a fresh node.
type newNode func(t *testing.T, s Settings) *node

func newMemoryNode(_ *testing.T, s Settings) *node {
	b := bus.NewMemory()
	m := NewMemory(b, s)
	return &node{log: m, bus: b, setNow: func(now func() time.Time) { m.now = now }}
}

// redisNode is a node of redis mode: its own rueidis client, a started
// Redis bus on it and the Redis history on it.
type redisNode struct {
	*node
	client rueidis.Client
	stats  *redis.Stats
	hist   *Redis
}

func newClient(tb testing.TB, addr string) rueidis.Client {
	tb.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true})
	if err != nil {
		tb.Fatalf("rueidis.NewClient: %v", err)
	}
	tb.Cleanup(c.Close)
	return c
}

// newRedisNode starts a node against srv whose bus is receiving: it waits
// for a message through a warm-up room, so no test depends on how the bus's
// Start races with its first Subscribe.
func newRedisNode(tb testing.TB, srv *redistest.Server, s Settings) *redisNode {
	tb.Helper()
	c := newClient(tb, srv.Addr())
	stats := redis.NewStats()
	b := bus.NewRedis(func() rueidis.Client { return c }, stats, slog.New(slog.DiscardHandler))
	if err := b.Start(tb.Context()); err != nil {
		tb.Fatalf("bus start: %v", err)
	}
	tb.Cleanup(b.Stop)
	h := NewRedis(func() rueidis.Client { return c }, s, stats)
	warmUp(tb, b)
	return &redisNode{
		node:   &node{log: h, bus: b, setNow: func(now func() time.Time) { h.now = now }},
		client: c, stats: stats, hist: h,
	}
}

func warmUp(tb testing.TB, b bus.Bus) {
	tb.Helper()
	got := make(chan struct{}, 1)
	cancel := b.Subscribe(tb.Context(), "warm-up", func(bus.Message) {
		select {
		case got <- struct{}{}:
		default:
		}
	})
	defer cancel()
	deadline := time.Now().Add(waitLimit)
	for {
		_ = b.Publish(tb.Context(), bus.Message{Room: "warm-up", Frame: []byte("warm")})
		select {
		case <-got:
			return
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatal("the Redis bus never delivered the warm-up message")
		}
	}
}

// flushAll empties the Redis c is connected to.
func flushAll(tb testing.TB, c rueidis.Client) {
	tb.Helper()
	if err := c.Do(tb.Context(), c.B().Flushall().Build()).Error(); err != nil {
		tb.Fatalf("FLUSHALL: %v", err)
	}
}

// recorder keeps every chat message the bus delivers for a room; news
// from the bus itself, which carries no id, is not one.
type recorder struct {
	mu   sync.Mutex
	msgs []bus.Message
	got  chan struct{} // poked after each message
}

// listen subscribes a recorder to room on n's bus until the test ends.
func listen(t testing.TB, n *node, room string) *recorder {
	t.Helper()
	r := &recorder{got: make(chan struct{}, 1)}
	t.Cleanup(n.bus.Subscribe(t.Context(), room, r.deliver))
	return r
}

func (r *recorder) deliver(m bus.Message) {
	if m.ID == "" {
		return
	}
	m.Frame = bytes.Clone(m.Frame)
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
	select {
	case r.got <- struct{}{}:
	default:
	}
}

func (r *recorder) messages() []bus.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// waitCount blocks until at least n messages have arrived.
func (r *recorder) waitCount(t testing.TB, n int) []bus.Message {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		if ms := r.messages(); len(ms) >= n {
			return ms
		}
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("%d of %d messages delivered within %v", len(r.messages()), n, waitLimit)
		}
	}
}

// waitID blocks until the message with id has arrived and returns every
// message so far. A room's messages arrive in id order, so any message
// published before it, or twice, is among them.
func (r *recorder) waitID(t testing.TB, id string) []bus.Message {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		ms := r.messages()
		if slices.ContainsFunc(ms, func(m bus.Message) bool { return m.ID == id }) {
			return ms
		}
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("message %s not delivered within %v; got %d messages", id, waitLimit, len(ms))
		}
	}
}

// msg is a chat message a test appends.
type msg struct {
	room, text string
	at         int64
}

var msgCount struct {
	sync.Mutex
	n int
}

// newMsg returns a message to room with a text no other message has.
func newMsg(room string) msg {
	msgCount.Lock()
	msgCount.n++
	n := msgCount.n
	msgCount.Unlock()
	return msg{room: room, text: fmt.Sprintf("text %d", n), at: time.Now().UnixMilli()}
}

func (m msg) draft() Draft {
	f, at := protocol.DeliveryDraft(m.room, "user-"+m.room, m.text, m.at)
	return Draft{Room: m.room, At: m.at, Frame: f, IDAt: at}
}

// frame is the chat.delivery the message is with id.
func (m msg) frame(id string) []byte {
	return protocol.Delivery(m.room, "user-"+m.room, m.text, id, m.at)
}

// sent is a message Append gave an id.
type sent struct {
	msg
	id string
}

// appendMsgs appends ms in one Append and checks that each got a valid id
// and had it written into its frame.
func appendMsgs(t testing.TB, l Log, ms ...msg) []sent {
	t.Helper()
	out, err := tryAppend(t.Context(), l, ms...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tryAppend is appendMsgs for goroutines other than the test's own.
func tryAppend(ctx context.Context, l Log, ms ...msg) ([]sent, error) {
	drafts := make([]Draft, len(ms))
	for i, m := range ms {
		drafts[i] = m.draft()
	}
	ids, errs := l.Append(ctx, drafts)
	if len(ids) != len(ms) || len(errs) != len(ms) {
		return nil, fmt.Errorf("Append of %d drafts returned %d ids and %d errors", len(ms), len(ids), len(errs))
	}
	out := make([]sent, len(ms))
	for i, m := range ms {
		if errs[i] != nil {
			return nil, fmt.Errorf("Append draft %d: %w", i, errs[i])
		}
		if !protocol.ValidID(ids[i]) {
			return nil, fmt.Errorf("Append draft %d: id %q is not a message id", i, ids[i])
		}
		if want := m.frame(ids[i]); !bytes.Equal(drafts[i].Frame, want) {
			return nil, fmt.Errorf("draft %d frame after Append\n got %s\nwant %s", i, drafts[i].Frame, want)
		}
		out[i] = sent{m, ids[i]}
	}
	return out, nil
}

// appendN appends n messages to room, batch at a time, and checks that
// their ids increase.
func appendN(t testing.TB, l Log, room string, n, batch int) []sent {
	t.Helper()
	var out []sent
	for len(out) < n {
		ms := make([]msg, min(batch, n-len(out)))
		for i := range ms {
			ms[i] = newMsg(room)
		}
		out = append(out, appendMsgs(t, l, ms...)...)
	}
	wantIncreasing(t, room, out)
	return out
}

// wantIncreasing checks that the ids of room's messages in ss strictly
// increase.
func wantIncreasing(t testing.TB, room string, ss []sent) {
	t.Helper()
	last := ""
	for i, s := range ss {
		if s.room != room {
			continue
		}
		if s.id <= last {
			t.Fatalf("room %s: message %d got id %s, not above %s", room, i, s.id, last)
		}
		last = s.id
	}
}

func inRoom(ss []sent, room string) []sent {
	var out []sent
	for _, s := range ss {
		if s.room == room {
			out = append(out, s)
		}
	}
	return out
}

func ids(ss []sent) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.id
	}
	return out
}

func entryIDs(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// wantEntries checks that es are exactly want, frames included.
func wantEntries(t testing.TB, what string, es []Entry, want []sent) {
	t.Helper()
	if !slices.Equal(entryIDs(es), ids(want)) {
		t.Fatalf("%s: ids\n got %q\nwant %q", what, entryIDs(es), ids(want))
	}
	for i, e := range es {
		if f := want[i].frame(want[i].id); !bytes.Equal(e.Frame, f) {
			t.Fatalf("%s: entry %d frame\n got %s\nwant %s", what, i, e.Frame, f)
		}
	}
}

// wantPublished checks that the bus delivered exactly want, in order: same
// room, id, At and frame bytes.
func wantPublished(t testing.TB, what string, got []bus.Message, want []sent) {
	t.Helper()
	gotIDs := make([]string, len(got))
	for i, m := range got {
		gotIDs[i] = m.ID
	}
	if !slices.Equal(gotIDs, ids(want)) {
		t.Fatalf("%s: published ids\n got %q\nwant %q", what, gotIDs, ids(want))
	}
	for i, m := range got {
		w := want[i]
		if m.Room != w.room || m.At != w.at || !bytes.Equal(m.Frame, w.frame(w.id)) {
			t.Fatalf("%s: published message %d = {%s %s %d %s}, want {%s %s %d %s}",
				what, i, m.Room, m.ID, m.At, m.Frame, w.room, w.id, w.at, w.frame(w.id))
		}
	}
}

// wantAfter checks After(room, since) against held, the room's messages
// history must hold (the newest size at most), oldest first: the messages
// after since, at most size of them, the newest; complete exactly when
// since is held and fewer than size follow it. When exactly size follow
// it, since is the size+1th newest or older: a store may still hold it or
// not (Redis trims with MAXLEN ~), so complete may be either, and either is
// right, as no message after since is left out.
func wantAfter(t testing.TB, l Log, room, since string, held []sent, size int) {
	t.Helper()
	es, complete, err := l.After(t.Context(), room, since)
	if err != nil {
		t.Fatalf("After(%s, %s): %v", room, since, err)
	}
	var after []sent
	isHeld := false
	for _, s := range held {
		if s.id > since {
			after = append(after, s)
		}
		isHeld = isHeld || s.id == since
	}
	want, wantComplete := after, isHeld && len(after) < size
	if len(after) > size {
		want = after[len(after)-size:]
	}
	what := fmt.Sprintf("After(%s, %s)", room, since)
	wantEntries(t, what, es, want)
	if len(after) == size && size > 0 {
		return
	}
	if complete != wantComplete {
		t.Fatalf("%s: complete = %v, want %v (%d held, %d after since, size %d)",
			what, complete, wantComplete, len(held), len(after), size)
	}
}

// wantBefore checks one Before call against held, the room's messages
// oldest first.
func wantBefore(t testing.TB, l Log, room, before string, limit int, held []sent) {
	t.Helper()
	es, more, err := l.Before(t.Context(), room, before, limit)
	if err != nil {
		t.Fatalf("Before(%s, %q, %d): %v", room, before, limit, err)
	}
	var older []sent
	for _, s := range held {
		if before == "" || s.id < before {
			older = append(older, s)
		}
	}
	want := older[max(0, len(older)-limit):]
	what := fmt.Sprintf("Before(%s, %q, %d)", room, before, limit)
	wantEntries(t, what, es, want)
	if wantMore := len(older) > limit; more != wantMore {
		t.Fatalf("%s: more = %v, want %v", what, more, wantMore)
	}
}

// pageBack reads room from the newest back with Before(limit) until more
// is false, checking every page, and returns every entry read, oldest
// first.
func pageBack(t testing.TB, l Log, room string, limit int) []Entry {
	t.Helper()
	var pages [][]Entry
	before := ""
	for {
		es, more, err := l.Before(t.Context(), room, before, limit)
		if err != nil {
			t.Fatalf("Before(%s, %q, %d): %v", room, before, limit, err)
		}
		if len(es) > limit || (more && len(es) != limit) {
			t.Fatalf("Before(%s, %q, %d) = %d entries, more %v", room, before, limit, len(es), more)
		}
		for i := 1; i < len(es); i++ {
			if es[i-1].ID >= es[i].ID {
				t.Fatalf("Before(%s, %q, %d): page not oldest first: %q", room, before, limit, entryIDs(es))
			}
		}
		if before != "" && len(es) > 0 && es[len(es)-1].ID >= before {
			t.Fatalf("Before(%s, %q, %d) returned %s, not below before", room, before, limit, es[len(es)-1].ID)
		}
		pages = append(pages, es)
		if !more {
			break
		}
		if len(pages) > 10000 {
			t.Fatalf("Before(%s, .., %d): more never false", room, limit)
		}
		before = es[0].ID
	}
	var all []Entry
	for i := len(pages) - 1; i >= 0; i-- {
		all = append(all, pages[i]...)
	}
	return all
}
