package hooks

import "errors"

// ErrBadAnswer is a 2xx answer that is not the JSON the hook expects.
var ErrBadAnswer = errors.New("hooks: answer is not the expected JSON")
