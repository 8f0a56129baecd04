package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestHistoryTotalOrderAcrossNodes has senders on both nodes publish at
// once: both nodes deliver one and the same order, and history pages it.
func TestHistoryTotalOrderAcrossNodes(t *testing.T) {
	_, n1, n2 := twoNodes(t)
	const senders, each = 4, 50
	o1 := dial(t, n1, "order", "obs1")
	o1.ready()
	o2 := dial(t, n2, "order", "obs2")
	o2.ready()
	var ss []*client
	for i := range senders {
		n := n1
		if i%2 == 1 {
			n = n2
		}
		s := dial(t, n, "order", "s"+strconv.Itoa(i))
		s.ready()
		ss = append(ss, s)
	}
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for k, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := sendAndWait(s, fmt.Sprintf("s%d-%03d", k, i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	seq1 := histChats(o1, senders*each)
	seq2 := histChats(o2, senders*each)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkIncreasing(t, "node 1", ids(seq1), "")
	if !sameList(ids(seq1), ids(seq2)) {
		t.Fatalf("the nodes delivered different orders:\n%v\n%v", ids(seq1), ids(seq2))
	}
	if !sameList(texts(seq1), texts(seq2)) {
		t.Fatal("the same ids carry different texts on the two nodes")
	}
	// Every message once; each sender's own in the order it sent them.
	last := map[string]string{}
	for _, f := range seq1 {
		k, _, _ := strings.Cut(f.str("text"), "-")
		if f.str("text") <= last[k] {
			t.Fatalf("%q after %q", f.str("text"), last[k])
		}
		last[k] = f.str("text")
	}
	for k := range senders {
		if want := fmt.Sprintf("s%d-%03d", k, each-1); last["s"+strconv.Itoa(k)] != want {
			t.Fatalf("sender %d: last %q, want %q", k, last["s"+strconv.Itoa(k)], want)
		}
	}
	for _, o := range []*client{o1, o2} {
		if got := histAll(o); !sameList(ids(got), ids(seq1)) {
			t.Fatalf("history pages %v\nwant %v", ids(got), ids(seq1))
		}
		histQuiet(o)
	}
}

func TestHistoryScrollback(t *testing.T) {
	for _, mode := range histModes {
		t.Run(mode.name, func(t *testing.T) {
			_, na, nb := histNodes(t, mode, testConfig())
			alice := dial(t, na, "scroll", "alice")
			alice.ready()
			all := ids(sendCounted(alice, "m", 120))
			reader := dial(t, nb, "scroll", "reader")
			reader.ready()

			var union []string
			before := ""
			for i, want := range []struct {
				n    int
				more bool
			}{{50, true}, {50, true}, {20, false}} {
				page, more := histPage(reader, before, 50)
				if len(page) != want.n || more != want.more {
					t.Fatalf("page %d: %d messages, more %v; want %d, %v", i, len(page), more, want.n, want.more)
				}
				checkIncreasing(t, "page "+strconv.Itoa(i), ids(page), "")
				union = append(ids(page), union...)
				before = page[0].str("id")
			}
			if !sameList(union, all) {
				t.Fatalf("pages %v\nwant %v", union, all)
			}
			reader.send(map[string]string{"type": "history.get"}) // limit defaults to 50, before to the newest
			if page, more := histPageFrame(reader, reader.expect("history.page", presenceNoise...)); !sameList(ids(page), all[70:]) || !more {
				t.Fatalf("default page %v more %v", ids(page), more)
			}
			if page, more := histPage(reader, all[0], 50); len(page) != 0 || more {
				t.Fatalf("before the oldest: %v more %v", ids(page), more)
			}

			bad := []string{
				`{"type":"history.get","limit":0}`,
				`{"type":"history.get","limit":101}`,
				`{"type":"history.get","limit":"5"}`,
				`{"type":"history.get","limit":-1}`,
				`{"type":"history.get","limit":5.5}`,
				`{"type":"history.get","before":"x"}`,
				`{"type":"history.get","before":"` + strings.ToUpper(all[0]) + `"}`,
				`{"type":"history.get","before":"` + all[0][:27] + `"}`,
				`{"type":"history.get","before":"` + all[0] + `0"}`,
				`{"type":"history.get","before":5}`,
			}
			for _, frameText := range bad {
				reader.sendRaw(frameText)
				if f := reader.expect("system.error", presenceNoise...); f.str("code") != "bad_message" {
					t.Fatalf("%s: %v, want bad_message", frameText, f)
				}
				histQuiet(reader) // still open
			}
		})
	}
}
