package ws

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"rt/modules/protocol"
)

// closeReasons names every close code the server decides, for the
// rt_connections_closed_total reason label.
var closeReasons = map[int]string{
	protocol.CloseNormal:         "normal",
	protocol.CloseGoingAway:      "going_away",
	protocol.CloseInvalidPayload: "invalid_payload",
	protocol.ClosePolicy:         "policy",
	protocol.CloseTooLarge:       "too_large",
	protocol.CloseInternal:       "internal",
	protocol.CloseIdle:           "idle",
	protocol.CloseTokenExpired:   "token_expired",
	protocol.CloseTooSlow:        "too_slow",
}

// Labels of rt_frames_received_total besides the client frame types: every
// label value comes from this fixed set, never from what a client sent.
const (
	frameInvalid     = "invalid"      // not decodable, or a type clients may not send
	frameBinary      = "binary"       // binary frames are refused
	frameRateLimited = "rate_limited" // dropped before decoding
)

// stats are the socket side's metrics.
type stats struct {
	handshakes *prometheus.CounterVec
	frames     *prometheus.CounterVec
	// frameCounters are frames' children, resolved once: a frame costs a
	// read-only map lookup instead of the vector's lock and label hashing.
	frameCounters map[string]prometheus.Counter
	published     prometheus.Counter
	closed        *prometheus.CounterVec
}

func newStats() *stats {
	s := &stats{
		handshakes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rt_handshakes_total",
			Help: "WebSocket handshakes by outcome (accepted, rejected) and reason code.",
		}, []string{"outcome", "reason"}),
		frames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rt_frames_received_total",
			Help: "Frames received from clients by type (invalid, binary and rate_limited for frames not served).",
		}, []string{"type"}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_messages_published_total",
			Help: "Chat messages from this node's clients published to their room.",
		}),
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rt_connections_closed_total",
			Help: "Connections closed, by the close code the server decided (4000 idle, 4002 too slow, ...).",
		}, []string{"code", "reason"}),
	}
	s.frameCounters = map[string]prometheus.Counter{}
	for _, t := range []string{protocol.TypeChatMessage, protocol.TypePing, protocol.TypePong,
		protocol.TypePresenceList, protocol.TypeAuthRefresh, frameInvalid, frameBinary, frameRateLimited} {
		s.frameCounters[t] = s.frames.WithLabelValues(t)
	}
	for code, reason := range closeReasons {
		s.closed.WithLabelValues(strconv.Itoa(code), reason)
	}
	s.handshakes.WithLabelValues("accepted", "ok")
	return s
}

// frame counts one received frame; kind is a client type or one of the
// frame* labels, never a string a client chose.
func (s *stats) frame(kind string) {
	if c, ok := s.frameCounters[kind]; ok {
		c.Inc()
		return
	}
	s.frames.WithLabelValues(kind).Inc() // a type added to the protocol but not above
}

// handshake counts the outcome of one /ws/ request once the rest of the
// chain has run: accepted when the upgrade was answered with 101, otherwise
// rejected with the reason code the chain returned.
func (s *stats) handshake(c *fiber.Ctx) error {
	err := c.Next()
	outcome, reason := "rejected", "internal"
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		reason = fe.Message
	case err == nil && c.Response().StatusCode() == fiber.StatusSwitchingProtocols:
		outcome, reason = "accepted", "ok"
	}
	s.handshakes.WithLabelValues(outcome, reason).Inc()
	return err
}

// connClosed counts c's close; call it once the close has been decided.
func (s *stats) connClosed(c *Conn) {
	s.closed.WithLabelValues(strconv.Itoa(c.code), closeReasons[c.code]).Inc()
}

func collectors(s *stats, r *Registry) []prometheus.Collector {
	conns := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rt_connections",
		Help: "Open WebSocket connections on this node.",
	}, func() float64 { return float64(r.Len()) })
	return []prometheus.Collector{conns, s.handshakes, s.frames, s.published, s.closed}
}
