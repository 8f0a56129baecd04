package hub

import (
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
)

func TestULIDsUniqueSorted(t *testing.T) {
	const n = 10000
	g := NewULIDs()
	ids := make([]string, n)
	seen := make(map[string]bool, n)
	for i := range ids {
		ids[i] = g.Next()
		if len(ids[i]) != ulid.EncodedSize {
			t.Fatalf("len(%q) = %d", ids[i], len(ids[i]))
		}
		if _, err := ulid.ParseStrict(ids[i]); err != nil {
			t.Fatalf("%q: %v", ids[i], err)
		}
		if seen[ids[i]] {
			t.Fatalf("duplicate id %q", ids[i])
		}
		seen[ids[i]] = true
		if i > 0 && ids[i] <= ids[i-1] {
			t.Fatalf("not sorted: %q after %q", ids[i], ids[i-1])
		}
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatal("not sorted")
	}
}

func TestULIDsConcurrent(t *testing.T) {
	const workers, per = 8, 2000
	g := NewULIDs()
	var mu sync.Mutex
	all := map[string]bool{}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prev := ""
			local := make([]string, 0, per)
			for range per {
				id := g.Next()
				if id <= prev {
					t.Errorf("not sorted within goroutine: %q after %q", id, prev)
					return
				}
				prev = id
				local = append(local, id)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range local {
				all[id] = true
			}
		}()
	}
	wg.Wait()
	if len(all) != workers*per {
		t.Fatalf("%d unique ids, want %d", len(all), workers*per)
	}
}

// An id from a clock that went back still sorts after the last one.
func TestULIDsClockBack(t *testing.T) {
	future := ulid.MustNew(ulid.Timestamp(time.Now().Add(time.Hour)), nil) // entropy 0
	g := &ULIDs{last: future}
	a, b := g.Next(), g.Next()
	if a <= future.String() || b <= a {
		t.Fatalf("%q, %q not after %q", a, b, future)
	}
}

func TestIncrementCarry(t *testing.T) {
	var id ulid.ULID
	for i := 6; i < 16; i++ {
		id[i] = 0xff
	}
	next := increment(id)
	if next.Time() != 1 || next.Compare(id) <= 0 || next[15] != 0 {
		t.Fatalf("increment(%v) = %v", id, next)
	}
}
