package e2e

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtserver/rt/modules/logging/logtest"
)

// ampRefusal is a raw request fasthttp refuses before any route runs, and
// the answer, access line and count it must produce.
type ampRefusal struct {
	name    string
	request string
	status  int
	reason  string
	line    string // what the access line holds besides status and reason
}

// Requests refused before routing (headers over the limit, a body announced
// over the limit, a malformed request) are answered with the project's JSON
// error, written to the access log once and counted in
// rt_http_refused_total, and neither the answer nor the log echoes the
// request (fasthttp's own error text quotes it, ?token= included).
func TestRefusalsBeforeRoutingAreLoggedAndCounted(t *testing.T) {
	logs := &logtest.Buffer{}
	n := startNode(t, testConfig(), logTo(logs))

	tok := token(t, "mallory")
	for _, r := range []ampRefusal{{
		name:    "headers over the limit",
		request: "GET /ws/room?token=" + tok + " HTTP/1.1\r\nHost: rt\r\nX-Pad: " + strings.Repeat("a", 8<<10) + "\r\n\r\n",
		status:  http.StatusRequestHeaderFieldsTooLarge, reason: "headers_too_large",
		line: `method="" path=""`, // fasthttp has dropped the headers it could not read
	}, {
		name:    "body announced over the limit",
		request: "POST /demo/origin HTTP/1.1\r\nHost: rt\r\nContent-Length: 4194304\r\n\r\n",
		status:  http.StatusRequestEntityTooLarge, reason: "body_too_large",
		line: "method=POST path=/demo/origin",
	}, {
		name:    "malformed",
		request: "GET /ws/room?token=" + tok + " HTTP/1.1\r\nHost: rt\r\nContent-Length: abc\r\n\r\n",
		status:  http.StatusBadRequest, reason: "bad_request",
		line: `method="" path=""`,
	}} {
		status, body := ampExchange(t, n.addr, r.request)
		if status != r.status || body != `{"error":"`+r.reason+`"}` {
			t.Errorf("%s: %d %s, want %d {\"error\":%q}", r.name, status, body, r.status, r.reason)
		}
		ampExpectAccessLine(t, logs, r)
	}

	checkMetrics(t, n.scrape(t), []want{
		{"rt_http_refused_total", []string{"status", "431", "reason", "headers_too_large"}, 1},
		{"rt_http_refused_total", []string{"status", "413", "reason", "body_too_large"}, 1},
		{"rt_http_refused_total", []string{"status", "400", "reason", "bad_request"}, 1},
		{"rt_http_refused_total", []string{"status", "408", "reason", "request_timeout"}, 0},
	})
	if out := logs.String(); strings.Contains(out, tok[len(tok)/2:]) {
		t.Fatalf("the log holds the token:\n%s", out)
	}
	if resp := n.get(t, "/healthz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz after the refusals: %d", resp.StatusCode)
	}
}

// ampExchange sends one raw request and reads the answer. The server may
// close with part of an oversized request unread, resetting the connection
// once its answer is out: the answer is read before that matters.
func ampExchange(t *testing.T, addr, request string) (status int, body string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, readWait)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(readWait))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// ampExpectAccessLine finds exactly one access line for the refusal. The
// server logs just before it answers, so the line is there once the answer is.
func ampExpectAccessLine(t *testing.T, logs *logtest.Buffer, r ampRefusal) {
	t.Helper()
	var found []string
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "msg=access") && strings.Contains(line, "reason="+r.reason) {
			found = append(found, line)
		}
	}
	if len(found) != 1 {
		t.Errorf("%s: %d access lines with reason=%s, want 1:\n%s", r.name, len(found), r.reason, logs.String())
		return
	}
	for _, want := range []string{r.line, "status=" + strconv.Itoa(r.status), "duration="} {
		if !strings.Contains(found[0], want) {
			t.Errorf("%s: access line lacks %q: %s", r.name, want, found[0])
		}
	}
}
