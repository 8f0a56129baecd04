package config

import (
	"net/url"
	"strings"
)

// MaskURL renders a URL for logs with its password replaced by ***, e.g.
// redis://user:***@host:6379/0. A lone user name is masked too, since some
// clients read redis://SECRET@host as a password. When raw does not parse
// cleanly but contains "@", everything between "://" and the last "@" is
// masked: an unescaped "/", "#" or "@" in a password is the usual reason a
// URL fails to parse, and the password must not leak through the error.
func MaskURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err == nil && u.User != nil:
		return withUserinfo(u, maskedUserinfo(u.User))
	case err == nil && !strings.Contains(raw, "@"):
		return raw
	}
	return maskBeforeLastAt(raw)
}

func maskedUserinfo(ui *url.Userinfo) string {
	if _, hasPassword := ui.Password(); hasPassword {
		return url.User(ui.Username()).String() + ":***"
	}
	return "***"
}

// withUserinfo renders u with userinfo written verbatim; url.URL.String
// would escape the asterisks to %2A.
func withUserinfo(u *url.URL, userinfo string) string {
	c := *u
	c.User = nil
	prefix := "//"
	if c.Scheme != "" {
		prefix = c.Scheme + ":" + prefix
	}
	return prefix + userinfo + "@" + strings.TrimPrefix(c.String(), prefix)
}

func maskBeforeLastAt(raw string) string {
	at := strings.LastIndex(raw, "@")
	if at < 0 {
		return raw
	}
	prefix := ""
	if i := strings.Index(raw, "://"); i >= 0 && i < at {
		prefix = raw[:i+3]
	}
	return prefix + "***" + raw[at:]
}
