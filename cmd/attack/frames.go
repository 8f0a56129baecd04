package main

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// The client frames the attackers send.
var (
	historyGet = []byte(`{"type":"history.get","limit":100}`)
	// bigText is the largest chat text the default MAX_TEXT_BYTES (4096)
	// accepts, of the character whose escape (\u003c) is longest: each
	// delivery of it is about 24.6 KB.
	bigText = strings.Repeat("<", 4096)
)

// chatMessage is a chat.message frame carrying text.
func chatMessage(text string) []byte {
	b, _ := json.Marshal(struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}{"chat.message", text})
	return b
}

// frameType reads a server frame's type, and the code of a system.error.
// rt writes "type" first, so the prefix gives it without decoding
// megabytes of history.page; anything else is decoded.
func frameType(data []byte) (typ, code string) {
	const prefix = `{"type":"`
	if rest, ok := bytes.CutPrefix(data, []byte(prefix)); ok {
		if i := bytes.IndexByte(rest, '"'); i >= 0 {
			typ = string(rest[:i])
		}
	}
	if typ == "" || typ == "system.error" {
		var m struct {
			Type string `json:"type"`
			Code string `json:"code"`
		}
		if json.Unmarshal(data, &m) != nil {
			return "unreadable", ""
		}
		typ, code = m.Type, m.Code
	}
	return typ, code
}

// delivery is what the seeders and the bystander read of a chat.delivery.
type delivery struct {
	Type string `json:"type"`
	User string `json:"user"`
	Text string `json:"text"`
	ID   string `json:"id"`
	Code string `json:"code"`
}

// probeText is the bystander's message: its sequence number and send time
// (Unix ns, on this process's clock).
func probeText(seq int, sentNs int64) string {
	return "probe " + strconv.Itoa(seq) + " " + strconv.FormatInt(sentNs, 10)
}

func parseProbe(text string) (seq int, sentNs int64, ok bool) {
	f := strings.Fields(text)
	if len(f) != 3 || f[0] != "probe" {
		return 0, 0, false
	}
	s, err1 := strconv.Atoi(f[1])
	t, err2 := strconv.ParseInt(f[2], 10, 64)
	return s, t, err1 == nil && err2 == nil
}

// maskedFrame is one client frame as RFC 6455 §5.2 has a client write it:
// FIN bit, opcode, the mask bit with the payload length (7 bits, or 126 and
// 16 bits, or 127 and 64 bits), the 4-byte masking key, and the payload
// XORed with the key.
func maskedFrame(fin bool, opcode byte, payload []byte, key [4]byte) []byte {
	b0 := opcode & 0x0F
	if fin {
		b0 |= 0x80
	}
	n := len(payload)
	out := []byte{b0}
	switch {
	case n < 126:
		out = append(out, 0x80|byte(n))
	case n <= 0xFFFF:
		out = append(out, 0x80|126, byte(n>>8), byte(n))
	default:
		out = append(out, 0x80|127)
		for shift := 56; shift >= 0; shift -= 8 {
			out = append(out, byte(uint64(n)>>shift))
		}
	}
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i%4])
	}
	return out
}

const (
	opContinuation = 0x0
	opText         = 0x1
)

// fragmentFlood is what a fragments attacker writes: the opening frame (a
// text frame without FIN, empty), and a buffer of count empty continuation
// frames without FIN, written again and again: the message never ends.
func fragmentFlood(count int, key [4]byte) (opening, repeat []byte) {
	opening = maskedFrame(false, opText, nil, key)
	one := maskedFrame(false, opContinuation, nil, key)
	return opening, bytes.Repeat(one, count)
}
