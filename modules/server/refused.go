package server

import (
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
)

// refusal is why a request was refused before routing: the status and
// reason code that the client, the access log and the counter all see.
type refusal struct {
	status int
	reason string
}

// The refusals, a fixed set so the counter's labels never come from a client.
var (
	refusedBodyTooLarge    = refusal{fiber.StatusRequestEntityTooLarge, "body_too_large"}
	refusedHeadersTooLarge = refusal{fiber.StatusRequestHeaderFieldsTooLarge, "headers_too_large"}
	refusedTimeout         = refusal{fiber.StatusRequestTimeout, "request_timeout"}
	refusedBadRequest      = refusal{fiber.StatusBadRequest, "bad_request"}
	allRefusals            = []refusal{refusedBodyTooLarge, refusedHeadersTooLarge, refusedTimeout, refusedBadRequest}
)

// classify names fasthttp's read error. The error's own text is never
// passed on: fasthttp quotes the raw request in it, ?token= included.
func classify(err error) refusal {
	var small *fasthttp.ErrSmallBuffer
	var netErr net.Error
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return refusedBodyTooLarge
	case errors.As(err, &small):
		return refusedHeadersTooLarge
	case errors.As(err, &netErr) && netErr.Timeout():
		return refusedTimeout
	default: // malformed, truncated, or the connection failed mid-request
		return refusedBadRequest
	}
}

// Refusals counts the requests refused before routing, which no route and
// so no other metric ever sees.
type Refusals struct{ total *prometheus.CounterVec }

func newRefusals() *Refusals {
	r := &Refusals{total: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rt_http_refused_total",
		Help: "HTTP requests refused before routing (too large, too slow, malformed) by status and reason.",
	}, []string{"status", "reason"})}
	for _, why := range allRefusals {
		r.counter(why) // every series exported from the start, at 0
	}
	return r
}

func (r *Refusals) counter(why refusal) prometheus.Counter {
	return r.total.WithLabelValues(strconv.Itoa(why.status), why.reason)
}

// collectors offers the counter to the metrics module's registry; without
// that module nothing asks.
func (r *Refusals) collectors() []prometheus.Collector { return []prometheus.Collector{r.total} }

// refuser answers the requests fasthttp could not read (its ErrorHandler
// sees nothing else): the project's JSON error, one access line, one count.
type refuser struct {
	app     *fiber.App
	refused *Refusals
	access  access
}

func (r refuser) refuse(fctx *fasthttp.RequestCtx, err error) {
	why := classify(err)
	r.refused.counter(why).Inc()
	c := r.app.AcquireCtx(fctx)
	defer r.app.ReleaseCtx(c)
	method, path := "", ""
	// fasthttp clears the headers when it fails to read them or the body,
	// except for a declared length over the limit; with none left, the
	// method and path fasthttp would report are its defaults, not the client's.
	if len(fctx.Request.Header.RawHeaders()) > 0 {
		method, path = c.Method(), c.Path()
	}
	// fasthttp keeps no start time for a request it refuses: the connection's
	// is exact for a connection's first request, an upper bound otherwise.
	r.access.line(method, path, why.status, why.reason, time.Since(fctx.ConnTime()))
	_ = jsonError(c, fiber.NewError(why.status, why.reason)) // fasthttp writes the response and closes
}
