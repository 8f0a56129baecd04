// Package webhook delivers rt's events to the application's backend
// (WEBHOOK_URL, SPEC §11): rooms occupied and vacated across every node,
// users joining and leaving, messages published. Delivery is at least
// once, in signed batches, retried with backoff; each event keeps its id
// across retries so the backend can drop duplicates.
//
// # Where events wait
//
// Record puts events in a buffer of this node (at most WEBHOOK_BACKLOG,
// the oldest dropped past it), which a flusher moves into the Queue every
// 20 ms or at 100 events, and keeps retrying with backoff while the
// Queue fails. One sender per node takes up to 100 events from the Queue,
// POSTs them as {"events":[...]} and, on a 2xx answer, removes them; on
// any other outcome it sends the same batch again after a backoff.
//
//   - Embedded mode (MemoryModule): the Queue is in this process, bounded
//     by WEBHOOK_BACKLOG. What it holds when the process stops or dies is
//     lost; a clean stop logs how many events that was.
//   - Redis mode (package redisqueue): the Queue is the Redis stream
//     rt:webhooks, read by the consumer group rt, one consumer per
//     process, trimmed to WEBHOOK_BACKLOG entries. An event stays in the
//     stream until delivered, so the events of a node that crashed are
//     delivered by another.
//
// # claimAfter
//
// A batch taken and neither delivered nor held for claimAfter =
// max(10 × HOOK_TIMEOUT, 1 s) is another sender's to take: its node is
// taken to be dead. A live sender holds its batch before each retry, and
// its retries wait at most min(30 s, claimAfter/4), so a batch that is
// being retried is not taken from it.
//
// # Known limits
//
//   - Events are delivered at least once: a node that dies after the
//     backend answered but before the removal, a slow node whose batch
//     was claimed, or an Add retried after a lost reply, send events
//     again with the same ids. Batches are in order within a sender, not
//     across nodes.
//   - Past WEBHOOK_BACKLOG the oldest events are dropped (counted in
//     rt_webhook_dropped_total, logged at most every 10 s), in the
//     node's buffer as in the Queue; a batch whose events were all
//     dropped while it was retried is given up.
//   - A backend that refuses a batch for good (a 4xx every time) holds
//     up its sender: every non-2xx answer is retried, as SPEC §11 says.
//   - The events a node recorded and had not yet moved into Redis are lost
//     if it dies (at most 20 ms of them while Redis answers).
package webhook
