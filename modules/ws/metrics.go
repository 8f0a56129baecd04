package ws

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtserver/rt/modules/protocol"
)

// Labels of rt_frames_received_total besides the client frame types: every
// label value comes from this fixed set, never from what a client sent.
const (
	frameInvalid     = "invalid"      // not decodable, or a type clients may not send
	frameBinary      = "binary"       // binary frames are refused
	frameRateLimited = "rate_limited" // dropped before decoding
	frameControlPing = "control_ping" // a WebSocket ping frame (answered with a pong frame)
	frameControlPong = "control_pong" // a WebSocket pong frame
)

// stats are the socket side's metrics.
type stats struct {
	handshakes *prometheus.CounterVec
	// accepted is handshakes' child for accepted handshakes, resolved once:
	// the common outcome costs no label hashing.
	accepted prometheus.Counter
	frames   *prometheus.CounterVec
	// frameCounters are frames' children, resolved once: a frame costs a
	// read-only map lookup instead of the vector's lock and label hashing.
	frameCounters map[string]prometheus.Counter
	closed        *prometheus.CounterVec
	shed          prometheus.Counter
	historyRead   prometheus.Counter
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
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rt_connections_closed_total",
			Help: "Connections closed, by the close code the server sent (code none: the client closed, the connection was lost or a write timed out) and reason.",
		}, []string{"code", "reason"}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_send_queue_shed_total",
			Help: "Sockets closed with 4002 because this node's send queues together passed MAX_QUEUED_BYTES (the ones with the most waiting first).",
		}),
		historyRead: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_history_read_bytes_total",
			Help: "Bytes of history read for clients (history.get pages and since replays), drawn from their users' HISTORY_BUDGET.",
		}),
	}
	s.frameCounters = map[string]prometheus.Counter{}
	for _, t := range []string{protocol.TypeChatMessage, protocol.TypePing, protocol.TypePong,
		protocol.TypePresenceList, protocol.TypeAuthRefresh, protocol.TypeHistoryGet,
		protocol.TypeRoomJoin, protocol.TypeRoomLeave, protocol.TypeRoomSignal, frameInvalid, frameBinary, frameRateLimited,
		frameControlPing, frameControlPong} {
		s.frameCounters[t] = s.frames.WithLabelValues(t)
	}
	for code, reason := range closeReasons {
		s.closed.WithLabelValues(strconv.Itoa(code), reason)
	}
	for _, why := range []string{whyClientClosed, whyConnLost, whyWriteTimeout} {
		s.closed.WithLabelValues(noCode, why)
	}
	s.accepted = s.handshakes.WithLabelValues("accepted", "ok")
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
	if err == nil && c.Response().StatusCode() == fiber.StatusSwitchingProtocols {
		s.accepted.Inc()
		return nil
	}
	reason := "internal"
	var fe *fiber.Error
	if errors.As(err, &fe) {
		reason = fe.Message
	}
	s.handshakes.WithLabelValues("rejected", reason).Inc()
	return err
}

// noCode is the code label of ends the server chose no close code for, or
// whose close frame it could not write.
const noCode = "none"

// connClosed counts how c ended; call it once the writer has stopped. The
// code is the one actually sent.
func (s *stats) connClosed(c *Conn) {
	code, why := strconv.Itoa(c.end.code), c.end.why
	switch {
	case c.unsent != "":
		code, why = noCode, c.unsent
	case c.end.code == 0:
		code = noCode
	}
	s.closed.WithLabelValues(code, why).Inc()
}

func collectors(s *stats, h *Handler) []prometheus.Collector {
	conns := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rt_connections",
		Help: "Open WebSocket connections on this node.",
	}, func() float64 { return float64(h.registry.Len()) })
	queued := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rt_send_queue_bytes",
		Help: "Bytes waiting in this node's send queues, each socket counted apart (history pages and replays included).",
	}, func() float64 { return float64(h.queues.total.Load()) })
	return []prometheus.Collector{conns, queued, s.handshakes, s.frames, s.closed, s.shed, s.historyRead}
}
