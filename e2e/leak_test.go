package e2e

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// runWithLeakCheck fails the package if any goroutine outlives the tests:
// every socket, writer, bus loop and refresh loop must have stopped.
func runWithLeakCheck(m *testing.M) {
	code := m.Run()
	stopFuzzTarget()
	if code == 0 {
		if err := goleak.Find(leakOptions...); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

var leakOptions = []goleak.Option{
	// fasthttp keeps one process-wide clock goroutine for Date headers.
	goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
	// A stopped fasthttp server's idle-worker cleaner sleeps out its last period.
	goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
	// rueidis finishes a delayed internal call shortly after Close.
	goleak.IgnoreAnyFunction("github.com/redis/rueidis.(*call).DelayDo.func1"),
	// After a failover, a cluster client closes the connections to the nodes
	// it dropped 5 s later, whether or not the client was closed since.
	goleak.IgnoreAnyFunction("github.com/redis/rueidis.(*clusterClient)._refresh.func2"),
}
