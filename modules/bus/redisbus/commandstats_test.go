package redisbus

import (
	"strconv"
	"strings"
	"testing"

	"github.com/redis/rueidis"
)

// commandCalls is how many times the Redis c is connected to has run cmd
// (lower case, as INFO names it) since it started: the calls field of
// INFO commandstats, 0 for a command never run.
func commandCalls(t *testing.T, c rueidis.Client, cmd string) int64 {
	t.Helper()
	info, err := c.Do(t.Context(), c.B().Info().Section("commandstats").Build()).ToString()
	if err != nil {
		t.Fatalf("INFO commandstats: %v", err)
	}
	for line := range strings.Lines(info) {
		stats, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_"+cmd+":calls=")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(stats[:strings.IndexByte(stats+",", ',')], 10, 64)
		if err != nil {
			t.Fatalf("INFO commandstats: %q: %v", line, err)
		}
		return n
	}
	return 0
}
