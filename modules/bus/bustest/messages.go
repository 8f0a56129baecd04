package bustest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/protocol"
)

// Msg is a chat message a test appends.
type Msg struct {
	Room, Text string
	At         int64
}

var msgCount struct {
	sync.Mutex
	n int
}

// NewMsg returns a message to room with a text no other message has.
func NewMsg(room string) Msg {
	msgCount.Lock()
	msgCount.n++
	n := msgCount.n
	msgCount.Unlock()
	return Msg{Room: room, Text: fmt.Sprintf("text %d", n), At: time.Now().UnixMilli()}
}

// Draft is the message as Append takes it: a fresh frame on every call.
func (m Msg) Draft() bus.Draft {
	f, at := protocol.DeliveryDraft(m.Room, "user-"+m.Room, m.Text, nil, m.At)
	return bus.Draft{Room: m.Room, At: m.At, Frame: f, IDAt: at}
}

// Frame is the chat.delivery the message is with id.
func (m Msg) Frame(id string) []byte {
	return protocol.Delivery(m.Room, "user-"+m.Room, m.Text, nil, id, m.At)
}

// Sent is a message Append gave an id.
type Sent struct {
	Msg
	ID string
}

// AppendMsgs appends ms in one Append and checks that each got a valid id
// and had it written into its frame.
func AppendMsgs(t testing.TB, b bus.Bus, ms ...Msg) []Sent {
	t.Helper()
	out, err := TryAppend(t.Context(), b, ms...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TryAppend is AppendMsgs for goroutines other than the test's own.
func TryAppend(ctx context.Context, b bus.Bus, ms ...Msg) ([]Sent, error) {
	drafts := make([]bus.Draft, len(ms))
	for i, m := range ms {
		drafts[i] = m.Draft()
	}
	ids, errs := b.Append(ctx, drafts)
	if len(ids) != len(ms) || len(errs) != len(ms) {
		return nil, fmt.Errorf("Append of %d drafts returned %d ids and %d errors", len(ms), len(ids), len(errs))
	}
	out := make([]Sent, len(ms))
	for i, m := range ms {
		if errs[i] != nil {
			return nil, fmt.Errorf("Append draft %d: %w", i, errs[i])
		}
		if !protocol.ValidID(ids[i]) {
			return nil, fmt.Errorf("Append draft %d: id %q is not a message id", i, ids[i])
		}
		if want := m.Frame(ids[i]); !bytes.Equal(drafts[i].Frame, want) {
			return nil, fmt.Errorf("draft %d frame after Append\n got %s\nwant %s", i, drafts[i].Frame, want)
		}
		out[i] = Sent{m, ids[i]}
	}
	return out, nil
}

// AppendN appends n messages to room, batch at a time, and checks that
// their ids increase.
func AppendN(t testing.TB, b bus.Bus, room string, n, batch int) []Sent {
	t.Helper()
	var out []Sent
	for len(out) < n {
		ms := make([]Msg, min(batch, n-len(out)))
		for i := range ms {
			ms[i] = NewMsg(room)
		}
		out = append(out, AppendMsgs(t, b, ms...)...)
	}
	WantIncreasing(t, room, out)
	return out
}

// AppendConcurrently has goroutines goroutines, released together, each
// make calls appends of batch(g, j) messages next(g, j, k) to on(g), and
// returns what each goroutine got, in its order; a failure is reported
// with t.Error.
func AppendConcurrently(t *testing.T, goroutines, calls int, on func(g int) bus.Bus, next func(g, j, k int) Msg, batch func(g, j int) int) [][]Sent {
	got := make([][]Sent, goroutines)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for j := range calls {
				ms := make([]Msg, batch(g, j))
				for k := range ms {
					ms[k] = next(g, j, k)
				}
				ss, err := TryAppend(t.Context(), on(g), ms...)
				if err != nil {
					t.Error(err)
					return
				}
				got[g] = append(got[g], ss...)
			}
		})
	}
	close(start)
	wg.Wait()
	return got
}
