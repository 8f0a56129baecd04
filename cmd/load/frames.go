package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
)

// kind is the type of a server frame, as far as this program cares.
type kind int

const (
	kindOther kind = iota
	kindDelivery
	kindJoin
	kindLeave
	kindDiff
	kindState
	kindPing
	kindError
)

// kindOf reads the type of a server frame. rt writes "type" first
// (docs/protocol.md: server fields come in the order shown), so the fast
// path reads it from the prefix without decoding; anything else falls back
// to a JSON decode.
func kindOf(data []byte) kind {
	const prefix = `{"type":"`
	typ := []byte(nil)
	if rest, ok := bytes.CutPrefix(data, []byte(prefix)); ok {
		if i := bytes.IndexByte(rest, '"'); i >= 0 && bytes.IndexByte(rest[:i], '\\') < 0 {
			typ = rest[:i]
		}
	}
	if typ == nil {
		var m struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(data, &m) != nil {
			return kindOther
		}
		typ = []byte(m.Type)
	}
	switch string(typ) {
	case "chat.delivery":
		return kindDelivery
	case "presence.join":
		return kindJoin
	case "presence.leave":
		return kindLeave
	case "presence.diff":
		return kindDiff
	case "presence.state":
		return kindState
	case "system.ping":
		return kindPing
	case "system.error":
		return kindError
	}
	return kindOther
}

// stringField returns the value of the top-level string field key, read
// without decoding; ok is false when it is absent or holds an escape (the
// caller then decodes). A key cannot match inside a JSON string value: there
// every quote is escaped, so `"key":"` never appears verbatim.
func stringField(data []byte, key string) (string, bool) {
	b, ok := fieldBytes(data, key)
	return string(b), ok
}

// fieldBytes is stringField without the copy: the value's bytes in data.
func fieldBytes(data []byte, key string) ([]byte, bool) {
	pat := make([]byte, 0, len(key)+5)
	pat = append(append(append(pat, '"'), key...), `":"`...)
	i := bytes.Index(data, pat)
	if i < 0 {
		return nil, false
	}
	rest := data[i+len(pat):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || bytes.IndexByte(rest[:j], '\\') >= 0 {
		return nil, false
	}
	return rest[:j], true
}

// msgText is the text of every chat message this program sends:
// "<seq>:<send time, Unix ns>". The sequence number is the message's place
// in its room; the time gives latency on the one clock of this process.
func msgText(seq int, sentNs int64) string {
	return strconv.Itoa(seq) + ":" + strconv.FormatInt(sentNs, 10)
}

// parseText reads msgText back.
func parseText(text string) (seq int, sentNs int64, ok bool) {
	a, b, found := bytes.Cut([]byte(text), []byte{':'})
	if !found {
		return 0, 0, false
	}
	s, err1 := strconv.Atoi(string(a))
	t, err2 := strconv.ParseInt(string(b), 10, 64)
	if err1 != nil || err2 != nil || s < 0 {
		return 0, 0, false
	}
	return s, t, true
}

// deliveryText reads the sequence number and send time out of a
// chat.delivery frame.
func deliveryText(data []byte) (seq int, sentNs int64, ok bool) {
	text, ok := stringField(data, "text")
	if !ok {
		var m struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(data, &m) != nil {
			return 0, 0, false
		}
		text = m.Text
	}
	return parseText(text)
}

// change is one presence frame as a set operation: remove leaves, then add
// joins. presence.join is a change with one join, presence.leave one with
// one leave, presence.diff carries both lists (each user at most once).
type change struct {
	joins, leaves []string
}

// parseChange reads a presence.join, presence.leave or presence.diff frame.
func parseChange(k kind, data []byte) (change, bool) {
	switch k {
	case kindJoin, kindLeave:
		user, ok := stringField(data, "user")
		if !ok {
			var m struct {
				User *string `json:"user"`
			}
			if json.Unmarshal(data, &m) != nil || m.User == nil {
				return change{}, false
			}
			user = *m.User
		}
		if k == kindJoin {
			return change{joins: []string{user}}, true
		}
		return change{leaves: []string{user}}, true
	case kindDiff:
		var m struct {
			Joins  []string `json:"joins"`
			Leaves []string `json:"leaves"`
		}
		if json.Unmarshal(data, &m) != nil {
			return change{}, false
		}
		return change{joins: m.Joins, leaves: m.Leaves}, true
	}
	return change{}, false
}

// parseState reads the users of a presence.state frame.
func parseState(data []byte) ([]string, bool) {
	var m struct {
		Users []string `json:"users"`
	}
	if json.Unmarshal(data, &m) != nil || m.Users == nil {
		return nil, false
	}
	return m.Users, true
}

// presenceSet is one client's picture of who is in its room, kept the way
// a real client keeps it: a presence.state replaces it, every presence
// change is applied to it. Changes read before the first presence.state are
// held and applied on top of it: the client asked for the list after it had
// joined, so any of them may be newer than the list (and applying an older
// one again is harmless, as every user's last change wins).
type presenceSet struct {
	users   map[string]struct{}
	ready   bool
	pending []change
}

func (p *presenceSet) apply(c change) {
	if !p.ready {
		p.pending = append(p.pending, c)
		return
	}
	for _, u := range c.leaves {
		delete(p.users, u)
	}
	for _, u := range c.joins {
		p.users[u] = struct{}{}
	}
}

// replace makes users the set, then applies what was held back.
func (p *presenceSet) replace(users []string) {
	p.users = make(map[string]struct{}, len(users))
	for _, u := range users {
		p.users[u] = struct{}{}
	}
	if !p.ready {
		p.ready = true
		for _, c := range p.pending {
			p.apply(c)
		}
		p.pending = nil
	}
}

// equals reports whether the set holds exactly users (in any order, each
// once).
func (p *presenceSet) equals(users []string) bool {
	if !p.ready {
		return false
	}
	sorted := slices.Clone(users)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(users) || len(users) != len(p.users) {
		return false
	}
	for _, u := range users {
		if _, ok := p.users[u]; !ok {
			return false
		}
	}
	return true
}

// difference counts the users of the set missing from users (extra) and
// the users missing from the set (missing).
func (p *presenceSet) difference(users []string) (extra, missing int) {
	in := make(map[string]struct{}, len(users))
	for _, u := range users {
		in[u] = struct{}{}
		if _, ok := p.users[u]; !ok {
			missing++
		}
	}
	for u := range p.users {
		if _, ok := in[u]; !ok {
			extra++
		}
	}
	return extra, missing
}

// wsTextFrame is an unmasked WebSocket text frame (RFC 6455 §5.2), as a
// server writes it, carrying payload.
func wsTextFrame(payload []byte) []byte {
	n := len(payload)
	var b []byte
	switch {
	case n < 126:
		b = []byte{0x81, byte(n)}
	case n <= 0xFFFF:
		b = []byte{0x81, 126, byte(n >> 8), byte(n)}
	default:
		b = []byte{0x81, 127, 0, 0, 0, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
	return append(b, payload...)
}
