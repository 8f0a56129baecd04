package webhook_test

import (
	"testing"

	"go.uber.org/goleak"
)

// No test may leave a goroutine behind: the flusher, the sender, the
// memory queue's waits and the caller's connections included.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
