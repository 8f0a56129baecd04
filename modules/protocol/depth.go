package protocol

import "bytes"

// MaxDepth is how deeply a client frame may nest objects and arrays, the
// frame's own object counting as the first level. Decode refuses a deeper
// frame as bad_json before parsing it.
const MaxDepth = 32

// TooDeep reports whether data opens more than MaxDepth objects or arrays
// at once. A short frame with few brackets passes at once (brackets).
// Otherwise it scans the bytes, skipping the contents of strings, and stops
// at the first bracket over the limit, so a frame of a million '[' costs
// MaxDepth+1 steps. On any valid JSON prefix the count is the true depth,
// and the parser stops at the first invalid byte, so what it reads is never
// deeper than the count; data is not otherwise checked here.
func TooDeep(data []byte) bool {
	if len(data) <= MaxDepth || len(data) <= countedFrame && brackets(data) <= MaxDepth {
		return false
	}
	depth := 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{', '[':
			if depth++; depth > MaxDepth {
				return true
			}
		case '}', ']':
			depth--
		case '"':
			i = closingQuote(data, i+1)
		}
	}
	return false
}

// countedFrame: a frame up to this size is first counted for brackets
// (bytes.Count is vectorised): no more than MaxDepth of them cannot nest
// too deeply, wherever they are, which spares the scan for the usual short
// frame. A longer frame is scanned at once, so that a deep one is refused
// after MaxDepth+1 brackets whatever its size.
const countedFrame = 1024

var openObject, openArray = []byte{'{'}, []byte{'['}

// brackets counts the bytes of data that open an object or an array,
// strings included.
func brackets(data []byte) int {
	return bytes.Count(data, openObject) + bytes.Count(data, openArray)
}

// closingQuote returns the index of the quote that ends the string whose
// content starts at i, or len(data) when there is none. A quote is escaped
// when an odd number of backslashes precede it: inside a string every
// backslash starts an escape or is the escaped "\\", and the run cannot
// reach back past the string's opening quote.
func closingQuote(data []byte, i int) int {
	for {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return len(data)
		}
		j += i
		k := j
		for k > i && data[k-1] == '\\' {
			k--
		}
		if (j-k)%2 == 0 {
			return j
		}
		i = j + 1
	}
}
