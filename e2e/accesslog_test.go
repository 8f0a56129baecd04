package e2e

import (
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/fx"

	"github.com/rtserver/rt/modules/logging/logtest"
)

// logTo has the node log to w instead of stderr.
func logTo(w io.Writer) fx.Option {
	return fx.Decorate(func(*slog.Logger) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) })
}

// TestAccessLogNeverHoldsTokens handshakes with valid and invalid tokens in
// the query and in the Authorization header, then reads the captured log.
func TestAccessLogNeverHoldsTokens(t *testing.T) {
	logs := &logtest.Buffer{}
	n := startNode(t, testConfig(), logTo(logs))

	valid := token(t, "alice")
	forged := signWith(t, jwt.SigningMethodHS256, []byte("wrong"), jwt.MapClaims{"sub": "eve"})
	c := dialWith(t, n.wsURL("logged")+"?token="+valid, http.Header{"Origin": {origin}})
	c.expect("presence.join")
	dialWith(t, n.wsURL("logged"), http.Header{"Origin": {origin}, "Authorization": {"Bearer " + token(t, "bob")}}).expect("presence.join", "presence.join")
	for _, h := range []http.Header{{}, {"Authorization": {"Bearer " + forged}}} {
		url := n.wsURL("logged")
		if len(h) == 0 {
			url += "?token=" + forged
		}
		h.Set("Origin", origin)
		if _, resp, err := dialRaw(url, h); err == nil || resp == nil || resp.StatusCode != 401 {
			t.Fatalf("forged token accepted or wrong status: %v", err)
		}
	}

	out := logs.String()
	for _, secret := range []string{valid, forged, token(t, "bob"), "token="} {
		if strings.Contains(out, secret[len(secret)/2:]) {
			t.Fatalf("log holds token material %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{
		"status=101", "room=logged", "user=alice", "user=bob",
		"status=401", "reason=token_invalid",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// TestAccessLogSamplesRefusals floods handshakes from one address: every
// accepted one has its line, the refusals at most 10 a second, and the
// ones left out are counted in an "access suppressed" line once their
// second is over, so that lines plus counts are every refusal.
func TestAccessLogSamplesRefusals(t *testing.T) {
	logs := &logtest.Buffer{}
	cfg := testConfig()
	cfg.HandshakeRate, cfg.HandshakeBurst = 20, 40
	n := startNode(t, cfg, logTo(logs))

	accepted, refused, took := floodHandshakes(t, n, 200, nil)
	lines := func(status string) int {
		return strings.Count(logs.String(), "msg=access method=GET path=/ws/flood status="+status+" ")
	}
	if got := lines("101"); got != accepted {
		t.Errorf("%d access lines with status 101, want one per accepted handshake: %d", got, accepted)
	}
	seconds := int(took/time.Second) + 2 // the windows the flood can have touched
	if got := lines("429"); got == 0 || got > 10*seconds {
		t.Errorf("%d access lines for %d refusals in %s, want 1 to %d", got, refused, took, 10*seconds)
	}
	suppressed := regexp.MustCompile(`msg="access suppressed" status=429 reason=too_many_handshakes count=([0-9]+) within=1s`)
	deadline := time.Now().Add(readWait)
	for {
		total := 0
		for _, m := range suppressed.FindAllStringSubmatch(logs.String(), -1) {
			c, _ := strconv.Atoi(m[1])
			total += c
		}
		if lines("429")+total == refused {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d refusals, %d lines and %d counted as suppressed:\n%s", refused, lines("429"), total, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
