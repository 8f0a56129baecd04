package history

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"rt/modules/protocol"
)

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

// appendConcurrently has goroutines goroutines, released together, each
// make calls appends of batch(g, j) messages next(g, j, k) to log(g), and
// returns what each goroutine got, in its order; a failure is reported
// with t.Error.
func appendConcurrently(t *testing.T, goroutines, calls int, log func(g int) Log, next func(g, j, k int) msg, batch func(g, j int) int) [][]sent {
	got := make([][]sent, goroutines)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for j := range calls {
				ms := make([]msg, batch(g, j))
				for k := range ms {
					ms[k] = next(g, j, k)
				}
				ss, err := tryAppend(t.Context(), log(g), ms...)
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
