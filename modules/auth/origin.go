package auth

import "github.com/rtserver/rt/config"

// Origins is the set of allowed origins, compared exactly after normalisation.
type Origins struct{ allowed map[string]struct{} }

// NewOrigins takes the already normalised ALLOWED_ORIGINS.
func NewOrigins(cfg config.Config) *Origins {
	o := &Origins{allowed: make(map[string]struct{}, len(cfg.AllowedOrigins))}
	for _, a := range cfg.AllowedOrigins {
		o.allowed[a] = struct{}{}
	}
	return o
}

// Allowed reports whether the Origin header value is allowed; a missing,
// "null" or malformed origin never is.
func (o *Origins) Allowed(header string) bool {
	n, err := config.NormalizeOrigin(header)
	if err != nil {
		return false
	}
	_, ok := o.allowed[n]
	return ok
}
