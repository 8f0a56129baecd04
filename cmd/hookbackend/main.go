// Command hookbackend is a small example of an application's backend for
// rt's hooks and webhooks (docs/hooks.md). It checks every request's
// signature, refuses the user "mallory" at connect and at every
// room.join, rejects messages that mention spam, turns "!shout hi" into
// "HI", and prints every webhook event once, however many times it
// arrives.
//
//	export HOOK_SECRET=$(openssl rand -hex 32)
//	go run ./cmd/hookbackend -addr 127.0.0.1:9000 &
//	CONNECT_HOOK_URL=http://127.0.0.1:9000/rt/connect \
//	PUBLISH_HOOK_URL=http://127.0.0.1:9000/rt/publish \
//	WEBHOOK_URL=http://127.0.0.1:9000/rt/events go tool task run
//
// It uses the standard library only, so it is also the code to copy.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address")
	flag.Parse()
	secret := os.Getenv("HOOK_SECRET")
	if len(secret) < 16 {
		log.Fatal("HOOK_SECRET must be set, the same as rt's (at least 16 characters)")
	}
	log.Printf("listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, newBackend(secret, os.Stdout).routes()))
}

type backend struct {
	secret []byte
	out    io.Writer // where events are printed
	seen   dedupe
}

func newBackend(secret string, out io.Writer) *backend {
	return &backend{secret: []byte(secret), out: out, seen: dedupe{ids: make(map[string]bool)}}
}

func (b *backend) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /rt/connect", b.signed(b.connect))
	mux.HandleFunc("POST /rt/publish", b.signed(b.publish))
	mux.HandleFunc("POST /rt/events", b.signed(b.events))
	return mux
}

// signed reads the body and hands it on only when X-RT-Signature holds:
// t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>"> with the shared
// secret, and t no more than five minutes away (an old request replayed
// is refused).
func (b *backend) signed(next func(http.ResponseWriter, []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil || !b.valid(r.Header.Get("X-RT-Signature"), body) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		next(w, body)
	}
}

func (b *backend) valid(header string, body []byte) bool {
	var t, v1 string
	for _, part := range strings.Split(header, ",") {
		switch k, v, _ := strings.Cut(part, "="); k {
		case "t":
			t = v
		case "v1":
			v1 = v
		}
	}
	sec, err := strconv.ParseInt(t, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, b.secret)
	mac.Write([]byte(t + "."))
	mac.Write(body)
	return hmac.Equal([]byte(v1), []byte(hex.EncodeToString(mac.Sum(nil))))
}

// connect answers the connect hook: a handshake (room is null on /ws) and
// every room.join.
func (b *backend) connect(w http.ResponseWriter, body []byte) {
	var req struct {
		User string  `json:"user"`
		Room *string `json:"room"`
	}
	if json.Unmarshal(body, &req) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if req.User == "mallory" {
		answer(w, map[string]any{"allow": false, "reason": "banned"})
		return
	}
	answer(w, map[string]any{"allow": true})
}

// publish answers the publish hook, before the message is stored.
func (b *backend) publish(w http.ResponseWriter, body []byte) {
	var req struct {
		Room string `json:"room"`
		User string `json:"user"`
		Text string `json:"text"`
	}
	if json.Unmarshal(body, &req) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	switch shout, ok := strings.CutPrefix(req.Text, "!shout "); {
	case strings.Contains(strings.ToLower(req.Text), "spam"):
		answer(w, map[string]any{"allow": false, "reason": "no spam here"})
	case ok:
		answer(w, map[string]any{"allow": true, "text": strings.ToUpper(shout)})
	default:
		answer(w, map[string]any{"allow": true})
	}
}

// event is one webhook event; Message is set for message.published.
type event struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Room    string `json:"room"`
	User    string `json:"user"`
	TS      int64  `json:"ts"`
	Message *struct {
		ID   string          `json:"id"`
		Text string          `json:"text"`
		Data json.RawMessage `json:"data"`
	} `json:"message"`
}

// events takes a batch of webhook events. Delivery is at least once: a
// batch whose answer was lost comes again with the same ids, so each id is
// acted on once. Any 2xx answer acknowledges the whole batch.
func (b *backend) events(w http.ResponseWriter, body []byte) {
	var batch struct {
		Events []event `json:"events"`
	}
	if json.Unmarshal(body, &batch) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	for _, e := range batch.Events {
		if !b.seen.first(e.ID) {
			continue
		}
		line := e.Type + " room=" + e.Room
		if e.User != "" {
			line += " user=" + e.User
		}
		if e.Message != nil {
			line += " text=" + strconv.Quote(e.Message.Text)
		}
		io.WriteString(b.out, line+"\n")
	}
	w.WriteHeader(http.StatusNoContent)
}

func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// dedupe remembers the last ids it saw, a bounded number of them.
type dedupe struct {
	mu    sync.Mutex
	ids   map[string]bool
	order []string
}

const rememberIDs = 100_000

// first reports whether id is new, and remembers it.
func (d *dedupe) first(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ids[id] {
		return false
	}
	d.ids[id] = true
	d.order = append(d.order, id)
	if len(d.order) > rememberIDs {
		delete(d.ids, d.order[0])
		d.order = d.order[1:]
	}
	return true
}
