package redisbus

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/bus"
	"github.com/rtserver/rt/modules/bus/bustest"
	"github.com/rtserver/rt/modules/redis"
	"github.com/rtserver/rt/modules/redis/redistest"
)

// BenchmarkRedisReceive is the receiving side of the Redis bus: b.N frames
// published to one room through a real redis-server reach the room's local
// subscribers. The frames are written by a raw TCP connection from buffers
// built before the timer starts, so what is measured and allocated per op
// is this node receiving one message: rueidis reading the push, dispatch
// decoding the envelope and handing it to every subscriber. cpu-ns/op is
// the process's CPU time per message, steadier than ns/op on a busy host.
//
//	REQUIRE_REDIS=1 go test -run '^$' -bench BenchmarkRedisReceive -benchmem -cpuprofile cpu.out ./modules/bus/redisbus
func BenchmarkRedisReceive(b *testing.B) {
	for _, subs := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("subscribers=%d", subs), func(b *testing.B) { benchReceive(b, subs) })
	}
}

// benchMessage is a chat frame of a typical size, as the hub publishes it.
var benchMessage = bus.Message{
	Room: "bench",
	ID:   "01JD3QZ8W5N9V4T7K2M6X8R1PA",
	At:   1732000000000,
	Frame: []byte(`{"type":"message","id":"01JD3QZ8W5N9V4T7K2M6X8R1PA","room":"bench",` +
		`"from":"user-4821","text":"hello everyone, this is a message of an ordinary length","at":1732000000000}`),
}

func benchReceive(b *testing.B, subs int) {
	srv := redistest.Start(b)
	rb := start(b, New(redistest.NewClient(b, srv.Addr()), testSettings, redis.NewStats(), nil, discardLogger()))

	// Every deliver runs on the one goroutine that reads the Pub/Sub
	// connection, so the counts need no lock; a fence frame on another room,
	// published last, says when they are final. Subscriber 0 also reports
	// progress, so the publisher stays at most window frames ahead: a
	// receiver further behind than Redis's pubsub output buffer allows
	// (32mb) is disconnected and loses frames.
	counts := make([]int, subs)
	var progress atomic.Int64
	var last bus.Message
	for i := range subs {
		deliver := func(m bus.Message) { counts[i]++ }
		if i == 0 {
			deliver = func(m bus.Message) {
				counts[0]++
				last = m
				progress.Add(1)
			}
		}
		b.Cleanup(rb.Subscribe(b.Context(), benchMessage.Room, deliver))
	}
	done := make(chan struct{})
	b.Cleanup(rb.Subscribe(b.Context(), "fence", func(bus.Message) { close(done) }))

	pub := newRawPublisher(b, srv.Addr())
	frame := publishCommand(ChannelPrefix+benchMessage.Room, encodeEnvelope(benchMessage))
	fence := publishCommand(ChannelPrefix+"fence", encodeEnvelope(bus.Message{Room: "fence"}))
	b.ReportAllocs()
	cpu := processCPU(b)
	b.ResetTimer()
	pub.publish(b, frame, b.N, &progress)
	pub.publish(b, fence, 1, nil) // on the same connection, so it arrives last
	select {
	case <-done:
	case <-time.After(time.Minute):
		b.Fatalf("subscriber 0 got %d of %d frames within a minute", progress.Load(), b.N)
	}
	b.StopTimer()
	// The process's CPU time is this node's cost; unlike ns/op it leaves out
	// redis-server and whatever else the machine runs.
	b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N), "cpu-ns/op")
	for i, n := range counts {
		if n != b.N {
			b.Fatalf("subscriber %d got %d of %d frames", i, n, b.N)
		}
	}
	if !bustest.SameMessage(last, benchMessage) {
		b.Fatalf("delivered %+v, want %+v", last, benchMessage)
	}
}

// processCPU is the user and system CPU time this process has used.
func processCPU(b testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rawPublisher writes PUBLISH commands on a plain TCP connection and
// discards the replies, so publishing allocates nothing per message.
type rawPublisher struct {
	conn  net.Conn
	batch []byte
}

const batchSize = 256

func newRawPublisher(b testing.TB, addr string) *rawPublisher {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		_, _ = io.Copy(io.Discard, conn)
	}()
	b.Cleanup(func() {
		conn.Close()
		<-drained
	})
	return &rawPublisher{conn: conn}
}

// publishCommand is PUBLISH channel payload in RESP.
func publishCommand(channel string, payload []byte) []byte {
	cmd := []byte("*3\r\n")
	for _, arg := range [][]byte{[]byte("PUBLISH"), []byte(channel), payload} {
		cmd = append(cmd, '$')
		cmd = strconv.AppendInt(cmd, int64(len(arg)), 10)
		cmd = append(cmd, "\r\n"...)
		cmd = append(cmd, arg...)
		cmd = append(cmd, "\r\n"...)
	}
	return cmd
}

// window is how many frames the publisher may be ahead of the receiver.
const window = 16 * batchSize

// publish writes cmd n times, waiting while more than window of them have
// not been received as progress counts them (nil: no waiting).
func (p *rawPublisher) publish(b testing.TB, cmd []byte, n int, progress *atomic.Int64) {
	batch := cmd
	if n > 1 {
		if len(p.batch) != batchSize*len(cmd) || !bytes.Equal(p.batch[:len(cmd)], cmd) {
			p.batch = bytes.Repeat(cmd, batchSize)
		}
		batch = p.batch
	}
	sent := 0
	for sent < n {
		for progress != nil && int64(sent)-progress.Load() > window {
			time.Sleep(50 * time.Microsecond)
		}
		k := min(n-sent, batchSize)
		if _, err := p.conn.Write(batch[:k*len(cmd)]); err != nil {
			b.Fatal(err)
		}
		sent += k
	}
}
