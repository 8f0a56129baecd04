package presence

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test in the package must leave no goroutine behind: the tracker's
// refresh loop and the Redis clients included. A rueidis cluster client
// leaves one that closes the connections a topology refresh replaced 5s
// later; it ends by itself.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/rueidis.(*clusterClient)._refresh.func2"))
}
