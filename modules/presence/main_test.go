package presence

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test in the package must leave no goroutine behind: the tracker's
// refresh loop and the Redis clients included.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
