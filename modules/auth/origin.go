package auth

import "github.com/rtserver/rt/config"

// Origins is the set of allowed origins, compared exactly after normalisation.
type Origins struct {
	allowed map[string]struct{}
	// normal holds the allowed origins that are already in normal form:
	// an Origin header equal to one of them normalises to itself, so it is
	// allowed without normalising it again. Browsers send the normal form,
	// so this is nearly every handshake.
	normal map[string]struct{}
}

// NewOrigins takes the already normalised ALLOWED_ORIGINS.
func NewOrigins(cfg config.Config) *Origins {
	o := &Origins{allowed: make(map[string]struct{}, len(cfg.AllowedOrigins)), normal: make(map[string]struct{})}
	for _, a := range cfg.AllowedOrigins {
		o.allowed[a] = struct{}{}
		if n, err := config.NormalizeOrigin(a); err == nil && n == a {
			o.normal[a] = struct{}{}
		}
	}
	return o
}

// Allowed reports whether the Origin header value is allowed; a missing,
// "null" or malformed origin never is.
func (o *Origins) Allowed(header string) bool {
	if _, ok := o.normal[header]; ok {
		return true
	}
	n, err := config.NormalizeOrigin(header)
	if err != nil {
		return false
	}
	_, ok := o.allowed[n]
	return ok
}
