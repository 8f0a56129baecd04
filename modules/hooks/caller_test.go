package hooks

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// shortTimeout is HOOK_TIMEOUT in the tests of failures: a backend that
// does not answer fails them within it.
const shortTimeout = 300 * time.Millisecond

func TestCallSignsAndReturnsTheAnswer(t *testing.T) {
	var hook atomic.Value
	b := newBackend(t, func(w http.ResponseWriter, r *http.Request) {
		hook.Store(r.Header.Get(HookHeader))
		body, _ := io.ReadAll(r.Body)
		replying(200, `{"allow":true,"echo":`+string(body)+`}`)(w, r)
	})
	c := NewCaller(testSecret, hangGuard, 4, nil)
	defer c.Close()
	got, err := c.Call(context.Background(), "publish", b.URL+"/hook?x=1", []byte(`{"room":"r"}`))
	if err != nil || string(got) != `{"allow":true,"echo":{"room":"r"}}` {
		t.Fatalf("got %q, %v", got, err)
	}
	if hook.Load() != "publish" || len(b.received()) != 1 {
		t.Errorf("hook header %v, %d requests", hook.Load(), len(b.received()))
	}
}

// A backend signed with another secret refuses every request: the
// backend's check in these tests is the real one.
func TestCallWithAnotherSecretDoesNotVerify(t *testing.T) {
	b := startBackend(t, replying(200, `{"allow":true}`))
	c := NewCaller("another-secret-0123456789", hangGuard, 1, nil)
	defer c.Close()
	_, err := c.Call(context.Background(), "connect", b.URL, []byte(`{}`))
	var status *StatusError
	if !errors.As(err, &status) || status.Status != 401 || b.unsound.Load() != 1 {
		t.Fatalf("got %v, %d refused; want the backend's 401", err, b.unsound.Load())
	}
}

// Every way a backend can misbehave ends the call with a named error
// within HOOK_TIMEOUT, and is told apart in the metrics.
func TestCallBadBackends(t *testing.T) {
	internal := newBackend(t, replying(200, `{"allow":true}`)) // an address the operator did not configure
	tests := []struct {
		name    string
		serve   http.HandlerFunc
		want    error // matched with errors.Is, unless status is set
		status  int
		outcome string
	}{
		{name: "5xx", serve: replying(500, `{"allow":true}`), status: 500, outcome: "status"},
		{name: "503 with a page", serve: replying(503, "<html>down</html>"), status: 503, outcome: "status"},
		{name: "4xx", serve: replying(404, ``), status: 404, outcome: "status"},
		{name: "302 to an internal address", serve: redirectTo(internal.URL+"/admin", 302), status: 302, outcome: "status"},
		{name: "307 to an internal address", serve: redirectTo(internal.URL+"/admin", 307), status: 307, outcome: "status"},
		{name: "308 to an internal address", serve: redirectTo(internal.URL+"/admin", 308), status: 308, outcome: "status"},
		{name: "10 MB body", serve: huge(10 << 20), want: ErrTooLarge, outcome: "bad_answer"},
		{name: "never answering", serve: silent, want: ErrTimeout, outcome: "timeout"},
		{name: "a slow drip of the body", serve: drip, want: ErrTimeout, outcome: "timeout"},
		{name: "headers that never end", serve: endlessHeaders, want: ErrTimeout, outcome: "timeout"},
		{name: "connection cut", serve: cut, want: ErrUnreachable, outcome: "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBackend(t, tt.serve)
			c := NewCaller(testSecret, shortTimeout, 2, nil)
			defer c.Close()
			got, err := c.Call(context.Background(), "publish", b.URL, []byte(`{"room":"r"}`))
			var status *StatusError
			switch {
			case got != nil:
				t.Fatalf("answer %d bytes, want none", len(got))
			case tt.status != 0 && (!errors.As(err, &status) || status.Status != tt.status):
				t.Fatalf("got %v, want status %d", err, tt.status)
			case tt.status == 0 && !errors.Is(err, tt.want):
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if o := Outcome(err); o != tt.outcome {
				t.Errorf("outcome %q, want %q", o, tt.outcome)
			}
		})
	}
	if n := len(internal.received()); n != 0 {
		t.Errorf("a redirect was followed: the internal address got %d requests", n)
	}
}

func TestCallNothingListening(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := NewCaller(testSecret, shortTimeout, 1, nil)
	defer c.Close()
	if _, err := c.Call(context.Background(), "connect", "http://"+addr+"/", nil); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("got %v, want ErrUnreachable", err)
	}
}

func redirectTo(url string, status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, url, status) }
}

// huge answers 200 with n bytes, or as many as the caller reads.
func huge(n int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		chunk := []byte(strings.Repeat("x", 64<<10))
		for sent := 0; sent < n; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
}

// silent never answers: it waits until the caller hangs up.
func silent(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// drip answers 200 and then a byte at a time, never the end.
func drip(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", "1000000")
	w.WriteHeader(200)
	for {
		if _, err := w.Write([]byte{' '}); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// endlessHeaders sends a status line and headers, a header at a time,
// never the blank line that ends them.
func endlessHeaders(w http.ResponseWriter, _ *http.Request) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = buf.WriteString("HTTP/1.1 200 OK\r\n")
	for i := 0; ; i++ {
		if _, err := buf.WriteString("X-Drip: 1\r\n"); err != nil || buf.Flush() != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cut closes the connection without a word.
func cut(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

// At most HOOK_CONCURRENCY calls are in flight, over at most as many
// connections; the others wait for a slot, and all are served once the
// backend answers.
func TestCallConcurrencyIsBounded(t *testing.T) {
	const bound, calls = 3, 12
	var inflight, highest, arrived atomic.Int64
	hold := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(hold) }) }
	defer release() // a failing test frees the handlers too
	b := newBackend(t, func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for h := highest.Load(); n > h && !highest.CompareAndSwap(h, n); h = highest.Load() {
		}
		arrived.Add(1)
		<-hold
		replying(200, `{"allow":true}`)(w, r)
	})
	c := NewCaller(testSecret, hangGuard, bound, nil)
	defer c.Close()
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for range calls {
		wg.Go(func() {
			_, err := c.Call(context.Background(), "publish", b.URL, []byte(`{}`))
			errs <- err
		})
	}
	eventually(t, "the first calls reach the backend", func() bool { return arrived.Load() == bound })
	time.Sleep(50 * time.Millisecond) // room for a call past the bound to show up, if one could
	if n := arrived.Load(); n != bound {
		t.Fatalf("%d calls reached the backend at once, bound %d", n, bound)
	}
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("call failed: %v", err)
		}
	}
	if highest.Load() != bound || b.conns.Load() > bound || arrived.Load() != calls {
		t.Errorf("highest in flight %d, connections %d, served %d; want %d, at most %d, %d",
			highest.Load(), b.conns.Load(), arrived.Load(), bound, bound, calls)
	}
}

// A call waiting for a slot gives up at HOOK_TIMEOUT like any other.
func TestCallWaitingForASlotTimesOut(t *testing.T) {
	b := newBackend(t, silent)
	c := NewCaller(testSecret, shortTimeout, 1, nil)
	defer c.Close()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { _, errs[i] = c.Call(context.Background(), "publish", b.URL, nil) })
	}
	wg.Wait()
	for _, err := range errs {
		if !errors.Is(err, ErrTimeout) {
			t.Errorf("got %v, want ErrTimeout", err)
		}
	}
}

// A caller that gives up gets its own context's error, not a timeout.
func TestCallCancelled(t *testing.T) {
	b := newBackend(t, silent)
	c := NewCaller(testSecret, hangGuard, 1, nil)
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		eventually(t, "the call reaches the backend", func() bool { return len(b.received()) == 1 })
		cancel()
	}()
	if _, err := c.Call(ctx, "connect", b.URL, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

// Once the calls are over and the caller closed, no connection to the
// backend stays open and no goroutine of the caller's is left, whatever
// the calls met: answers, timeouts, bodies too large, cut connections.
func TestCloseLeavesNoConnectionNorGoroutine(t *testing.T) {
	before := goleak.IgnoreCurrent()
	var mode atomic.Int64
	b := newBackend(t, func(w http.ResponseWriter, r *http.Request) {
		switch mode.Add(1) % 4 {
		case 0:
			replying(200, `{"allow":true}`)(w, r)
		case 1:
			silent(w, r)
		case 2:
			huge(1<<20)(w, r)
		default:
			cut(w, r)
		}
	})
	c := NewCaller(testSecret, shortTimeout, 4, nil)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() { _, _ = c.Call(context.Background(), "publish", b.URL, []byte(`{}`)) })
	}
	wg.Wait()
	c.Close()
	eventually(t, "every connection to the backend closed", func() bool { return b.open.Load() == 0 })
	b.Close()
	if err := goleak.Find(before); err != nil {
		t.Fatal(err)
	}
}
