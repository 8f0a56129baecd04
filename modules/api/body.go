package api

import (
	"bytes"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/rtserver/rt/modules/api/spec"
	"github.com/rtserver/rt/modules/hub"
	"github.com/rtserver/rt/modules/protocol"
)

// What a request body that cannot be read is answered with, with the same
// codes as a socket frame's: bad_json when it is not one JSON object (or
// nests too deeply), and bad_message when it is one but a field has the
// wrong type or is given twice, or a message has neither text nor data.
// Whether text and data are too long is judged by the hub.
var (
	errBadJSON   = &protocol.Error{Code: protocol.CodeBadJSON, Message: "body must be one JSON object"}
	errTooDeep   = &protocol.Error{Code: protocol.CodeBadJSON, Message: "body is nested too deeply"}
	errBadFields = &protocol.Error{Code: protocol.CodeBadMessage, Message: "a field has the wrong type or is given twice"}
	errNoContent = &protocol.Error{Code: protocol.CodeBadMessage, Message: "a message needs a non-empty text, data, or both"}
)

// maxDepth is how many objects and arrays a body may open inside each
// other, the body itself included: the bound a socket frame has, so data
// the API accepts is data a client may send too.
const maxDepth = spec.MaxDepth

// messageBody is what a message carries, in the bodies of both message
// routes. Data is the raw JSON value as sent.
type messageBody struct {
	Text string         `json:"text"`
	Data jsontext.Value `json:"data"`
}

// publishBody is POST /api/rooms/{room}/messages's body.
type publishBody struct {
	User        string `json:"user"`
	messageBody `json:",inline"`
}

// disconnectBody is POST /api/users/{user}/disconnect's body, which may be
// left out: no room means every room, no reason an empty close reason.
type disconnectBody struct {
	Room   string `json:"room"`
	Reason string `json:"reason"`
}

// decodePublish reads a publish body. Names are matched exactly ("User" is
// not "user"), unknown fields are ignored, and null counts as absent. An
// empty or invalid user is the hub's to refuse.
func decodePublish(body []byte) (user string, m hub.Content, err *protocol.Error) {
	var b publishBody
	if err := decode(body, &b); err != nil {
		return "", hub.Content{}, err
	}
	m, err = b.content()
	if err != nil {
		return "", hub.Content{}, err
	}
	return b.User, m, nil
}

// decodeMessage reads the body of POST /api/users/{user}/messages.
func decodeMessage(body []byte) (hub.Content, *protocol.Error) {
	var b messageBody
	if err := decode(body, &b); err != nil {
		return hub.Content{}, err
	}
	return b.content()
}

// content is what the hub is given: the text, and the data compacted (the
// encoding clients get, and what MAX_MESSAGE_BYTES counts); a data of
// null is none. At least one of the two is needed.
func (b messageBody) content() (hub.Content, *protocol.Error) {
	data := b.Data
	if data.Kind() == 'n' || len(data) == 0 {
		data = nil
	}
	if b.Text == "" && data == nil {
		return hub.Content{}, errNoContent
	}
	if data != nil {
		// Valid already (decode checked it), so compacting cannot fail; a
		// failure would be a bug, refused rather than passed on.
		if err := data.Compact(); err != nil {
			return hub.Content{}, errBadJSON
		}
	}
	return hub.Content{Text: b.Text, Data: data}, nil
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

// decode reads body into v. The body must be exactly one JSON object
// (whitespace around it allowed) of valid UTF-8, nested at most maxDepth
// deep; an escaped lone surrogate ("\ud800") counts as invalid, since it
// is no character. The depth is counted first, before any parsing, then
// the syntax is checked with repeated names allowed, so that what fails
// there is bad_json and what fails after it (a name given twice anywhere,
// a number where a string belongs) is bad_message. What v keeps is copied
// out of body, which is Fiber's buffer.
func decode(body []byte, v any) *protocol.Error {
	if protocol.TooDeep(body) {
		return errTooDeep
	}
	raw := jsontext.Value(body)
	if raw.Kind() != '{' || !raw.IsValid(jsontext.AllowDuplicateNames(true)) {
		return errBadJSON
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errBadFields
	}
	return nil
}
