package redisqueue

import (
	"context"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/redis/rueidis"

	"github.com/rtserver/rt/modules/webhook"
)

// claim takes entries of any consumer idle past claimAfter: those of a
// node that died holding them. The scan of the pending list goes on where
// the last one stopped (XAUTOCLAIM looks at most 10 × COUNT of them per
// call), back to the start once it reached the end.
func (q *Queue) claim(ctx context.Context, limit int) ([]webhook.Pending, error) {
	q.mu.Lock()
	cursor := q.cursor
	q.mu.Unlock()
	cmd := q.c.B().Xautoclaim().Key(q.set.Key).Group(Group).Consumer(q.consumer).
		MinIdleTime(strconv.FormatInt(q.set.ClaimAfter.Milliseconds(), 10)).Start(cursor).Count(int64(limit)).Build()
	reply, err := q.c.Do(ctx, cmd).ToArray()
	if err != nil {
		return nil, err
	}
	if len(reply) < 2 {
		return nil, errUnexpected("XAUTOCLAIM", len(reply))
	}
	next, err := reply[0].ToString()
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	q.cursor = next
	q.mu.Unlock()
	// reply[2] lists the claimed ids no longer in the stream (trimmed):
	// Redis has dropped them from the pending list, nothing to do.
	entries, err := reply[1].AsXRange()
	if err != nil {
		return nil, err
	}
	return q.pending(ctx, entries), nil
}

// read takes entries no consumer took yet, waiting up to Block for some.
func (q *Queue) read(ctx context.Context, limit int) ([]webhook.Pending, error) {
	cmd := q.c.B().Xreadgroup().Group(Group, q.consumer).Count(int64(limit)).Block(q.set.Block.Milliseconds()).
		Streams().Key(q.set.Key).Id(">").Build()
	streams, err := q.c.Do(ctx, cmd).AsXRead()
	if rueidis.IsRedisNil(err) {
		return nil, nil // nothing within Block
	}
	if err != nil {
		return nil, err
	}
	return q.pending(ctx, streams[q.set.Key]), nil
}

// pending are the entries as events. An entry without a JSON event (not
// rt's, or a deleted one as Redis 6.2 reports it) can never be delivered:
// it is removed at once rather than sent to the backend.
func (q *Queue) pending(ctx context.Context, entries []rueidis.XRangeEntry) []webhook.Pending {
	batch := make([]webhook.Pending, 0, len(entries))
	var junk []webhook.Pending
	for _, e := range entries {
		v := jsontext.Value(e.FieldValues[field])
		p := webhook.Pending{Ref: e.ID, Event: v}
		if !v.IsValid() || len(v) == 0 || v.Kind() != '{' {
			junk = append(junk, p)
			continue
		}
		batch = append(batch, p)
	}
	if len(junk) > 0 {
		_ = q.Done(ctx, junk) // if it fails, the next claim finds them again
	}
	return batch
}

type unexpectedError struct {
	cmd string
	n   int
}

func (e *unexpectedError) Error() string {
	return "webhook queue: " + e.cmd + " replied " + strconv.Itoa(e.n) + " elements"
}

func errUnexpected(cmd string, n int) error { return &unexpectedError{cmd: cmd, n: n} }
