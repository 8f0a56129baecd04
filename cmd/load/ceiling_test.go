package main

import (
	"net"
	"testing"
	"time"
)

func TestWriteAllCountsWholeBatches(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var writers []net.Conn
	for range 3 {
		peer, err := dialLoopback(t.Context(), "tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer peer.Close()
		go func() { // the peer only reads and discards
			buf := make([]byte, 4096)
			for {
				if _, err := peer.Read(buf); err != nil {
					return
				}
			}
		}()
		w, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		writers = append(writers, w)
	}
	frame := wsTextFrame([]byte(ceilingPayload))
	for _, batch := range ceilingBatches {
		frames, elapsed := writeAll(writers, frame, batch, 50*time.Millisecond)
		if frames <= 0 || frames%int64(batch) != 0 || elapsed < 50*time.Millisecond {
			t.Errorf("batch %d: %d frames in %s, want a positive multiple of the batch over at least 50ms", batch, frames, elapsed)
		}
	}
}
