package spec

import (
	"net/http"
	"strconv"

	"github.com/rtserver/rt/modules/protocol"
)

// MaxBodyBytes is the largest request body the API reads; a larger one is
// refused with 413 body_too_large before it is read.
const MaxBodyBytes = 64 << 10

// MaxDepth is how many objects and arrays a request body may open inside
// each other, the body itself included: the bound a socket frame has.
const MaxDepth = protocol.MaxDepth

// MaxReasonBytes is the longest disconnect reason: it travels in a close
// frame, whose reason holds at most 123 bytes (the hub enforces it; a test
// holds the two equal).
const MaxReasonBytes = 123

var (
	idPattern   = "^[0-9a-f]{" + strconv.Itoa(protocol.IDLen) + "}$"
	roomPattern = "^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$" // protocol.ValidRoom's rule (a test holds them equal)
	userRule    = "1 to " + strconv.Itoa(protocol.MaxUserBytes) + " bytes of UTF-8 without control characters"
)

// roomParam is the {room} of every room route.
var roomParam = Param{
	Name: "room", In: InPath, Shared: true,
	Description: "The room name.",
	Schema:      Schema{Type: "string", Pattern: roomPattern},
}

// Failures several routes give, each written once under
// components.responses.
var (
	unauthorized = Failure{Status: http.StatusUnauthorized, Shared: "Unauthorized",
		Codes:   []Code{{"unauthorized", "the key is missing, wrong, or not sent as `Bearer` (which of these is not said)."}},
		Headers: map[string]Schema{"WWW-Authenticate": {Type: "string", Const: "Bearer"}}}
	bodyTooLarge = Failure{Status: http.StatusRequestEntityTooLarge, Shared: "BodyTooLarge",
		Codes: []Code{{"body_too_large", "the body is larger than " + strconv.Itoa(MaxBodyBytes>>10) + " KiB; it was not read."}}}
	unavailable = Failure{Status: http.StatusServiceUnavailable, Shared: "Unavailable",
		Codes: []Code{{string(protocol.CodeUnavailable), "the backend (Redis) could not serve the request just now; retry."}}}
)

// Global are the failures of no route in particular: the router's own,
// and those of a request refused before routing (as on the public port).
var Global = []Failure{
	{Status: http.StatusNotFound, Shared: "NotFound", Codes: []Code{{"not_found", "no route has this path."}}},
	{Status: http.StatusMethodNotAllowed, Shared: "MethodNotAllowed",
		Codes:   []Code{{"method_not_allowed", "the path is served, under the methods that `Allow` lists."}},
		Headers: map[string]Schema{"Allow": {Type: "string"}}},
	{Status: http.StatusRequestHeaderFieldsTooLarge, Shared: "HeadersTooLarge",
		Codes: []Code{{"headers_too_large", "the request line and headers are over 4 KiB."}}},
	{Status: http.StatusRequestTimeout, Shared: "RequestTimeout",
		Codes: []Code{{"request_timeout", "the request was not read within 10 s."}}},
	{Status: http.StatusBadRequest, Shared: "BadRequest",
		Codes: []Code{{"bad_request", "the request is malformed."}}},
}

// Schemas are the named schemas of bodies and answers.
var Schemas = map[string]Schema{
	"PublishRequest": {Type: "object", Required: []string{"user"}, AnyOf: textOrData, Properties: map[string]Schema{
		"user": {Type: "string", MinLength: 1, Description: "The sender, as the chat.delivery names it: " + userRule + "."},
		"text": textField,
		"data": dataField,
	}},
	"UserMessageRequest": {Type: "object", AnyOf: textOrData, Properties: map[string]Schema{
		"text": textField,
		"data": dataField,
	}},
	"UserMessageSent": {Type: "object", Required: []string{"user", "id", "ts"}, Properties: map[string]Schema{
		"user": {Type: "string", Description: "The user id of the path."},
		"id":   {Type: "string", Pattern: idPattern, Description: "The message id, as in the user.message frame."},
		"ts":   {Type: "integer", Description: "Unix milliseconds, as in the user.message frame."},
	}},
	"Published": {Type: "object", Required: []string{"id", "ts"}, Properties: map[string]Schema{
		"id": {Type: "string", Pattern: idPattern, Description: "The message id: its position in the room's history, as in chat.delivery."},
		"ts": {Type: "integer", Description: "Unix milliseconds, as in chat.delivery."},
	}},
	"Presence": {Type: "object", Required: []string{"room", "users"}, Properties: map[string]Schema{
		"room":  {Type: "string"},
		"users": {Type: "array", Items: &Schema{Type: "string"}},
	}},
	"ChatDelivery": {Type: "object", Required: []string{"type", "room", "user", "id", "ts"}, Properties: map[string]Schema{
		"type": {Type: "string", Const: "chat.delivery"},
		"room": {Type: "string"},
		"user": {Type: "string"},
		"text": {Type: "string", Description: "Present when the message has a non-empty text."},
		"data": {Description: "Present when the message has data: the JSON value as sent, compacted."},
		"id":   {Type: "string", Pattern: idPattern},
		"ts":   {Type: "integer"},
	}},
	"HistoryPage": {Type: "object", Description: "The history.page object, as a socket's history.get gets it.",
		Required: []string{"type", "room", "messages", "more"}, Properties: map[string]Schema{
			"type":     {Type: "string", Const: "history.page"},
			"room":     {Type: "string"},
			"messages": {Type: "array", Description: "Oldest first.", Items: &Schema{Ref: Ref("ChatDelivery").Ref}},
			"more":     {Type: "boolean", Description: "Older messages exist."},
		}},
	"DisconnectRequest": {Type: "object", Properties: map[string]Schema{
		"room":   {Type: "string", Description: "Close the user's sockets in this room only; left out, null or empty: in every room."},
		"reason": {Type: "string", MaxLength: MaxReasonBytes, Description: "The close reason the user's sockets get, at most " + strconv.Itoa(MaxReasonBytes) + " bytes of UTF-8."},
	}},
	"Nodes":  nodesAnswer,
	"Rooms":  roomsAnswer,
	"Series": seriesAnswer,
	"Disconnected": {Type: "object", Required: []string{"user", "room"}, Properties: map[string]Schema{
		"user": {Type: "string"},
		"room": {Type: "string", Description: "The room given, or \"\" for every room."},
	}},
}

// A message body's text and data: at least one of the two.
var (
	textOrData = []Schema{{Required: []string{"text"}}, {Required: []string{"data"}}}
	textField  = Schema{Type: "string", MinLength: 1, Description: "The message's text. Without data, at most " +
		"MAX_MESSAGE_BYTES bytes (4096 by default); an empty or null text counts as none."}
	dataField = Schema{Description: "Any JSON value, delivered as `data`, compacted (whitespace outside strings dropped); " +
		"null counts as none. Its compacted length and the text's together are at most MAX_MESSAGE_BYTES bytes."}
)
