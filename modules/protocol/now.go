package protocol

import "time"

// Now returns the current time in Unix milliseconds, the unit of every ts.
func Now() int64 { return time.Now().UnixMilli() }
