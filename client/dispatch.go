package client

import (
	"fmt"
	"sync"
)

// dispatcher runs the handlers on one goroutine, in order. Its queue is
// unbounded on purpose: the read loop must never wait for the app, or a
// slow handler would back up the server's send queue until it closes the
// socket with 4002.
type dispatcher struct {
	onPanic func(error)

	mu      sync.Mutex
	queue   []func()
	started bool
	stopped bool
	wake    chan struct{} // one pending wake-up is enough
	done    chan struct{}
}

func newDispatcher(onPanic func(error)) *dispatcher {
	return &dispatcher{onPanic: onPanic, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// push queues f; it starts the goroutine on first use so that a client
// that never connects holds none. After stop, f is dropped.
func (d *dispatcher) push(f func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	if !d.started {
		d.started = true
		go d.run()
	}
	d.queue = append(d.queue, f)
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// stop runs what is queued, then ends the goroutine and waits for it.
func (d *dispatcher) stop() {
	d.mu.Lock()
	started := d.started
	d.stopped = true
	d.mu.Unlock()
	if !started {
		return
	}
	select {
	case d.wake <- struct{}{}:
	default:
	}
	<-d.done
}

func (d *dispatcher) run() {
	defer close(d.done)
	for {
		d.mu.Lock()
		batch, stopped := d.queue, d.stopped
		d.queue = nil
		d.mu.Unlock()
		for _, f := range batch {
			d.call(f)
		}
		if len(batch) == 0 {
			if stopped {
				return
			}
			<-d.wake
		}
	}
}

// call runs one handler; a panic is the app's bug, reported, not fatal.
func (d *dispatcher) call(f func()) {
	defer func() {
		if v := recover(); v != nil && d.onPanic != nil {
			func() {
				defer func() { _ = recover() }()
				d.onPanic(fmt.Errorf("rt: handler panicked: %v", v))
			}()
		}
	}()
	f()
}
