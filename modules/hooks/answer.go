package hooks

import (
	"errors"
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/rtserver/rt/modules/protocol"
)

// ErrBadAnswer is a 2xx answer that is not the JSON the hook expects.
var ErrBadAnswer = errors.New("hooks: answer is not the expected JSON")

// Answer is the backend's answer to the connect or the publish hook:
//
//	{"allow":true|false, "reason":"..", "code":"..", "text":"..", "data":<any>}
//
// allow is required; the rest is optional. reason says why a connect was
// denied or a message rejected. code is read but not passed on: a client
// gets rt's own code (hook_denied, rejected), which it can program against.
// text and data, in an allowed publish, replace the message's: a field
// left out keeps what the message had, "text":"" clears the text and
// "data":null clears the data.
type Answer struct {
	Allow  bool
	Reason string
	Code   string
	// Text is nil when the answer has no text (or "text":null).
	Text *string
	// Data is nil when the answer has no data, the JSON null when it
	// clears the data, else the value given, compacted.
	Data jsontext.Value
}

// answer is the wire form: pointers tell a field left out from a zero one.
// null counts as left out for the strings; for data it is kept, as it
// means "no data".
type answer struct {
	Allow  *bool          `json:"allow"`
	Reason *string        `json:"reason"`
	Code   *string        `json:"code"`
	Text   *string        `json:"text"`
	Data   jsontext.Value `json:"data"`
}

// ParseAnswer reads a hook's answer strictly: one JSON object of valid
// UTF-8, names matched exactly and none twice, allow a boolean, the
// strings strings, nothing after the object, and no deeper nesting than a
// client's frame may have (a rewritten data ends up in frames). Unknown
// names are ignored, so a backend may add its own. Anything else is
// ErrBadAnswer.
func ParseAnswer(b []byte) (Answer, error) {
	if protocol.TooDeep(b) || jsontext.Value(b).Kind() != '{' {
		return Answer{}, ErrBadAnswer
	}
	var w answer
	if err := json.Unmarshal(b, &w); err != nil {
		return Answer{}, fmt.Errorf("%w: %w", ErrBadAnswer, err)
	}
	if w.Allow == nil {
		return Answer{}, fmt.Errorf("%w: allow is missing or null", ErrBadAnswer)
	}
	a := Answer{Allow: *w.Allow, Text: w.Text}
	if w.Reason != nil {
		a.Reason = *w.Reason
	}
	if w.Code != nil {
		a.Code = *w.Code
	}
	if len(w.Data) > 0 {
		// Compacted as a client's data is: it is embedded in frames as is.
		// Unmarshal has checked it, so Compact fails only on what it missed.
		a.Data = w.Data
		if err := a.Data.Compact(); err != nil {
			return Answer{}, fmt.Errorf("%w: %w", ErrBadAnswer, err)
		}
	}
	return a, nil
}
