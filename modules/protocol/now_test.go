package protocol

import (
	"testing"
	"time"
)

func TestNow(t *testing.T) {
	before := time.Now().UnixMilli()
	n := Now()
	if n < before || n > time.Now().UnixMilli() {
		t.Fatalf("Now() = %d, not in Unix ms", n)
	}
}
