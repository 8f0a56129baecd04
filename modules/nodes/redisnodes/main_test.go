package redisnodes_test

import (
	"testing"

	"go.uber.org/goleak"
)

// No test may leave a goroutine behind, the rueidis clients included.
// rueidis leaves a DelayDo goroutine sleeping
// briefly after Close, and a cluster client one that closes the
// connections a topology refresh replaced 5s later; both end by themselves.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/redis/rueidis.(*call).DelayDo.func1"),
		goleak.IgnoreAnyFunction("github.com/redis/rueidis.(*clusterClient)._refresh.func2"))
}
