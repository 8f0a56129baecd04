package api

import (
	"bytes"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"rt/modules/protocol"
)

// What a request body that cannot be read is answered with, with the same
// codes as a socket frame's: bad_json when it is not one JSON object, and
// bad_message when it is one but a field has the wrong type or is given
// twice. A field missing or empty is judged by the hub (bad_message too).
var (
	errBadJSON   = &protocol.Error{Code: protocol.CodeBadJSON, Message: "body must be one JSON object"}
	errBadFields = &protocol.Error{Code: protocol.CodeBadMessage, Message: "a field has the wrong type or is given twice"}
)

// publishBody is POST /api/rooms/{room}/messages's body.
type publishBody struct {
	User string `json:"user"`
	Text string `json:"text"`
}

// disconnectBody is POST /api/users/{user}/disconnect's body, which may be
// left out: no room means every room, no reason an empty close reason.
type disconnectBody struct {
	Room   string `json:"room"`
	Reason string `json:"reason"`
}

// decodePublish reads a publish body. Names are matched exactly ("User" is
// not "user"), unknown fields are ignored, and null counts as absent.
func decodePublish(body []byte) (publishBody, *protocol.Error) {
	var b publishBody
	if err := decode(body, &b); err != nil {
		return publishBody{}, err
	}
	return b, nil
}

// decodeDisconnect reads a disconnect body; an empty one (nothing but
// whitespace) is the same as {}.
func decodeDisconnect(body []byte) (disconnectBody, *protocol.Error) {
	var b disconnectBody
	if len(bytes.TrimSpace(body)) == 0 {
		return b, nil
	}
	if err := decode(body, &b); err != nil {
		return disconnectBody{}, err
	}
	return b, nil
}

// decode reads body into v, a struct of string fields. The body must be
// exactly one JSON object (whitespace around it allowed) of valid UTF-8;
// an escaped lone surrogate ("\ud800") counts as invalid, since it is no
// character. The syntax is checked first, with repeated names allowed, so
// that what fails there is bad_json and what fails after it (a name given
// twice, a number where a string belongs) is bad_message.
func decode(body []byte, v any) *protocol.Error {
	raw := jsontext.Value(body)
	if raw.Kind() != '{' || !raw.IsValid(jsontext.AllowDuplicateNames(true)) {
		return errBadJSON
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errBadFields
	}
	return nil
}
