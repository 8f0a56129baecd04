package protocol

import "bytes"

var deliveryPrefix = []byte(`{"type":"chat.delivery",`)

// DeliveryTS returns the ts of a chat.delivery frame made by Delivery,
// reading only its fixed layout: the type first and `,"ts":<digits>}` last
// (a JSON number: no leading zeros).
// Any other frame, or bytes not shaped like that, report false.
func DeliveryTS(frame []byte) (int64, bool) {
	if !bytes.HasPrefix(frame, deliveryPrefix) || len(frame) < 2 || frame[len(frame)-1] != '}' {
		return 0, false
	}
	end := len(frame) - 1
	start := end
	for start > 0 && frame[start-1] >= '0' && frame[start-1] <= '9' {
		start--
	}
	const key = `,"ts":`
	digits := end - start
	if digits == 0 || digits > 18 || (digits > 1 && frame[start] == '0') || !bytes.HasSuffix(frame[:start], []byte(key)) {
		return 0, false
	}
	var ts int64
	for _, d := range frame[start:end] {
		ts = ts*10 + int64(d-'0')
	}
	return ts, true
}
