package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rtserver/rt/cmd/internal/rtnode"
	"github.com/rtserver/rt/modules/redis"
)

// scrape reads the rt_ counters of the server's /metrics.
func scrape(ctx context.Context, port int) (map[string]float64, error) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: rtnode.DialLoopback}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s:%d/metrics", rtnode.Loopback, port), nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics: HTTP %d", resp.StatusCode)
	}
	return parseCounters(io.LimitReader(resp.Body, 16<<20))
}

// parseCounters reads the series of the Prometheus text format whose
// metric is declared a counter and named rt_…: gauges would "move" by
// what is open at the moment, which says nothing about the attack.
func parseCounters(r io.Reader) (map[string]float64, error) {
	counters := map[string]bool{}
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			if f := strings.Fields(rest); len(f) == 2 && f[1] == "counter" {
				counters[f[0]] = true
			}
			continue
		}
		if !strings.HasPrefix(line, "rt_") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		series, val := line[:i], line[i+1:]
		name, _, _ := strings.Cut(series, "{")
		if !counters[name] {
			continue
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %w", line, err)
		}
		out[series] = v
	}
	return out, sc.Err()
}

// moved is every counter that changed between two scrapes, with its
// increase, as "rt_x{a=\"b\"} +12", sorted by name.
func moved(before, after map[string]float64) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if d := after[k] - before[k]; d != 0 {
			out = append(out, k+" +"+strconv.FormatFloat(math.Round(d*1000)/1000, 'f', -1, 64))
		}
	}
	return out
}

// redisCPU reads the CPU time Redis has used (INFO cpu), to show what an
// attack costs the Redis behind the server.
type redisCPU struct {
	client *redis.Admin
	err    error
}

func newRedisCPU(ctx context.Context, url string) *redisCPU {
	c, err := redis.DialAdmin(ctx, url)
	return &redisCPU{client: c, err: err}
}

// seconds asks up to redisTries times: a Redis busy serving the attack's
// history reads may not answer a first INFO in time.
func (r *redisCPU) seconds(ctx context.Context) (float64, error) {
	if r.err != nil {
		return 0, r.err
	}
	var err error
	for range redisTries {
		var info string
		if info, err = r.info(ctx); err == nil {
			return parseRedisCPU(info)
		}
		if rtnode.Sleep(ctx, time.Second) != nil {
			break
		}
	}
	return 0, err
}

const redisTries = 5

func (r *redisCPU) info(ctx context.Context) (string, error) {
	m, err := r.client.Do(ctx, "INFO", "cpu")
	if err != nil {
		return "", err
	}
	return m.ToString()
}

func (r *redisCPU) close() {
	if r.client != nil {
		r.client.Close()
	}
}

// parseRedisCPU is used_cpu_sys + used_cpu_user of an INFO cpu answer.
func parseRedisCPU(info string) (float64, error) {
	var total float64
	found := 0
	for line := range strings.Lines(info) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || (k != "used_cpu_sys" && k != "used_cpu_user") {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, fmt.Errorf("INFO cpu %s: %w", k, err)
		}
		total += f
		found++
	}
	if found != 2 {
		return 0, fmt.Errorf("INFO cpu without used_cpu_sys and used_cpu_user")
	}
	return total, nil
}
