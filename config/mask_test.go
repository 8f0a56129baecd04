package config

import "testing"

func TestMaskURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"redis://localhost:6379", "redis://localhost:6379"},
		{"redis://user:pw@host:6379/0", "redis://user:***@host:6379/0"},
		{"rediss://:pw@host", "rediss://:***@host"},
		{"redis://default:p%40ss@host", "redis://default:***@host"},
		{"redis://user:p@ss@host", "redis://user:***@host"}, // url.Parse splits at the last @
		{"redis://lonetoken@host", "redis://***@host"},
		{"//user:pw@host", "//user:***@host"},
		{"redis://u:pw@h:bad", "redis://***@h:bad"}, // does not parse
		{"redis://u:p/w@h", "redis://***@h"},        // unescaped / in the password
		{"redis://u:1#pw@h", "redis://***@h"},       // parses, but the @ is in the fragment
		{"redis://u:p\x00w@h", "redis://***@h"},     // control character
		{"u:pw@h", "***@h"},                         // no scheme at all
		{"redis://h:bad", "redis://h:bad"},          // no userinfo to hide
		{"redis://h/0?client_name=x", "redis://h/0?client_name=x"},
	}
	for _, tt := range tests {
		if got := MaskURL(tt.in); got != tt.want {
			t.Errorf("MaskURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
