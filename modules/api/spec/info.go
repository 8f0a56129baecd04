package spec

import "strconv"

type info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

type server struct {
	URL         string `json:"url"`
	Description string `json:"description"`
}

// apiInfo says what holds for every route; what holds for one is in its
// entry of Routes.
var apiInfo = info{
	Title:   "rt server API",
	Version: "1",
	Description: "The backend of an application publishes into rooms, sends messages to users, reads presence and history, " +
		"and disconnects users. " +
		"Served on API_ADDR only (a listener of its own, off by default), in plain HTTP: keep it on loopback or put TLS in front. " +
		"Every request but GET " + OpenAPIPath + " carries API_KEY as `Authorization: Bearer <API_KEY>`; a missing key, a wrong one " +
		"and another scheme all get 401 `unauthorized`. Every failure is a JSON object `{\"error\":\"<code>\"}`. " +
		"Request bodies are JSON objects of at most " + strconv.Itoa(MaxBodyBytes>>10) + " KiB, read as sent (the Content-Type is " +
		"not checked, and a Content-Encoding is not decoded: a compressed body is `bad_json`); a larger one is refused with 413 " +
		"`body_too_large` before it is read. A body that is not exactly one JSON object of valid UTF-8 (invalid JSON, an array, " +
		"a string, trailing data, an escaped lone surrogate), or that opens objects and arrays more than " + strconv.Itoa(MaxDepth) +
		" deep (the body itself counting as one), is 400 `bad_json`; a field of the wrong type (a number where a " +
		"string belongs) or a name given twice (in the body or in an object inside it) is 400 `bad_message`. Field names are matched exactly, unknown fields are " +
		"ignored, and `null` counts as a missing field. Path parameters are percent-decoded (a user id may contain `/`, " +
		"written `%2F`). An unknown path is 404 `not_found`; a known path with another method is 405 `method_not_allowed` " +
		"with an `Allow` header. Redis away (or the backend otherwise unable to serve) is 503 `unavailable`: retry; a publish " +
		"answered 503 after the 5 s timeout may still go out once a stalled Redis resumes. Requests that cannot be read at all " +
		"get 431 `headers_too_large` (request line and headers over 4 KiB), 408 `request_timeout` (not read within 10 s) or " +
		"400 `bad_request` (malformed), as on the public port. The responses under components.responses that no operation " +
		"refers to (NotFound, MethodNotAllowed, HeadersTooLarge, RequestTimeout, BadRequest) are these answers of no route " +
		"in particular.",
}

var apiServers = []server{{URL: "http://127.0.0.1:8001", Description: "API_ADDR, e.g. 127.0.0.1:8001"}}
