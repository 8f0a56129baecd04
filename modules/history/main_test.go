package history

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must leave no goroutine behind: the Redis bus's run loop and
// the rueidis clients included. rueidis leaves a DelayDo goroutine sleeping
// briefly after Close; it ends by itself.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/rueidis.(*call).DelayDo.func1"))
}
