package e2e

import (
	"testing"

	"go.uber.org/goleak"
)

// runWithLeakCheck fails the package if any goroutine outlives the tests:
// every socket, writer, bus loop and refresh loop must have stopped.
func runWithLeakCheck(m *testing.M) {
	goleak.VerifyTestMain(m,
		// fasthttp keeps one process-wide clock goroutine for Date headers.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		// A stopped fasthttp server's idle-worker cleaner sleeps out its last period.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
		// rueidis finishes a delayed internal call shortly after Close.
		goleak.IgnoreAnyFunction("github.com/redis/rueidis.(*call).DelayDo.func1"),
	)
}
