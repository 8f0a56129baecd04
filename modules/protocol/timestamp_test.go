package protocol

import "testing"

func TestDeliveryTS(t *testing.T) {
	tests := []struct {
		name  string
		frame string
		ts    int64
		ok    bool
	}{
		{"delivery", string(Delivery("r", "u", "hi", "01J", 1732650000123)), 1732650000123, true},
		{"text mimicking ts", string(Delivery("r", "u", `,"ts":5}`, "01J", 7)), 7, true},
		{"zero", string(Delivery("r", "u", "", "id", 0)), 0, true},
		{"presence join", string(PresenceJoin("r", "u", 42)), 0, false},
		{"ping", string(Ping(42)), 0, false},
		{"no digits", `{"type":"chat.delivery","ts":}`, 0, false},
		{"no ts key", `{"type":"chat.delivery","id":123}`, 0, false},
		{"not closed", `{"type":"chat.delivery","ts":123`, 0, false},
		{"too many digits", `{"type":"chat.delivery","ts":1234567890123456789}`, 0, false},
		{"leading zero", `{"type":"chat.delivery","ts":012}`, 0, false},
		{"empty", ``, 0, false},
		{"prefix only", `{"type":"chat.delivery",`, 0, false},
	}
	for _, tt := range tests {
		ts, ok := DeliveryTS([]byte(tt.frame))
		if ts != tt.ts || ok != tt.ok {
			t.Errorf("%s: DeliveryTS(%s) = %d, %v; want %d, %v", tt.name, tt.frame, ts, ok, tt.ts, tt.ok)
		}
	}
}
