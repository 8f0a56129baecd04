package client

import "fmt"

// Error is a refusal: a system.error the server answered a request with
// (Code is the server's code, such as "room_forbidden" or "too_many_rooms"),
// or one of the library's own codes ("queue_full", "disconnected",
// "timeout", "closed", "unauthorized", "not_joined").
//
// Two *Error values match under errors.Is when their codes are equal, so a
// caller can test for a server code without a sentinel of its own:
//
//	errors.Is(err, &client.Error{Code: "room_forbidden"})
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "rt: " + e.Code
	}
	return "rt: " + e.Code + ": " + e.Message
}

// Is matches any *Error with the same code, so errors.Is works on codes
// whether the error came from the server or from the library.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// The library's own errors. Each is an *Error, so errors.Is matches them by
// code as well as by identity.
var (
	// ErrQueueFull: the publish queue (Config.PublishQueue) is full while
	// the room is not joined; the message was not queued.
	ErrQueueFull = &Error{Code: "queue_full", Message: "publish queue is full"}
	// ErrDisconnected: the socket dropped (or Close was called) before the
	// answer came. A publish that got it may or may not have been
	// published; the library never resends it, so it is never duplicated.
	ErrDisconnected = &Error{Code: "disconnected", Message: "not connected"}
	// ErrTimeout: no answer within Config.AckTimeout.
	ErrTimeout = &Error{Code: "timeout", Message: "no answer in time"}
	// ErrClosed: the client was closed.
	ErrClosed = &Error{Code: "closed", Message: "client closed"}
	// ErrUnauthorized: GetToken returns it (wrapped or not) when no token
	// can be had any more; the client then stops instead of retrying.
	ErrUnauthorized = &Error{Code: "unauthorized", Message: "no token"}
)

// errNotJoined is the answer to a request about a room the app left or
// never joined.
var errNotJoined = &Error{Code: "not_joined", Message: "room not joined"}

// serverError is the *Error of a system.error frame.
func serverError(f *inFrame) *Error {
	return &Error{Code: f.Code, Message: f.Message}
}

// stopError is what Connect returns when the client stopped for good before
// it ever connected: the code explains why.
func stopError(st State) error {
	if st.Reason == ErrUnauthorized.Code {
		return ErrUnauthorized
	}
	if st.Code >= 400 && st.Code < 600 {
		return &Error{Code: st.Reason, Message: fmt.Sprintf("handshake refused with HTTP %d", st.Code)}
	}
	return &Error{Code: "closed", Message: fmt.Sprintf("closed by the server with %d %s", st.Code, st.Reason)}
}
