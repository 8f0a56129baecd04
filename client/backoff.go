package client

import (
	"math/rand/v2"
	"time"
)

// backoff is the full-jitter delay before reconnect attempt n (0 first):
// random in [0, min(max, min*2^n)]. Full jitter spreads a crowd of clients
// dropped together (a node restart) over the whole window instead of
// bringing them back in waves. rnd returns a value in [0, n); tests pass
// their own.
func backoff(attempt int, lo, hi time.Duration, rnd func(n int64) int64) time.Duration {
	ceiling := backoffCeiling(attempt, lo, hi)
	if ceiling <= 0 {
		return 0
	}
	return time.Duration(rnd(int64(ceiling) + 1))
}

// backoffCeiling is min(hi, lo*2^attempt) without overflowing.
func backoffCeiling(attempt int, lo, hi time.Duration) time.Duration {
	if lo <= 0 {
		return 0
	}
	c := lo
	for i := 0; i < attempt && c < hi; i++ {
		c *= 2
	}
	return min(c, hi)
}

// jitter is the production source of backoff's randomness.
func jitter(n int64) int64 { return rand.Int64N(n) }
