package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxAnswer bounds what rtctl reads of an answer: a page of 100 messages
// of the longest text the server allows is far less.
const maxAnswer = 16 << 20

// target is where a call goes and with which key.
type target struct {
	base string // scheme://host[:port][/prefix], no trailing slash
	key  string // "" sends none
}

// resolve takes the address and key from the flags, else the environment.
// A public route gets no key, so it needs none.
func resolve(inv invocation, getenv func(string) string) (target, error) {
	addr, key := inv.addr, inv.key
	if addr == "" {
		addr = getenv("API_ADDR")
	}
	if key == "" {
		key = getenv("API_KEY")
	}
	if addr == "" {
		return target{}, fmt.Errorf("API_ADDR is not set: export the address of rt's server API (the server's API_ADDR, e.g. API_ADDR=127.0.0.1:8001), or pass -addr")
	}
	if inv.public {
		key = ""
	} else if key == "" {
		return target{}, fmt.Errorf("API_KEY is not set: export the server API's key (the server's API_KEY), or pass -key")
	}
	base, err := baseURL(addr)
	if err != nil {
		return target{}, err
	}
	return target{base: base, key: key}, nil
}

// baseURL reads host:port (plain HTTP, as the server's API_ADDR is
// written) or http(s)://host[:port][/prefix] (a proxy in front of it).
func baseURL(addr string) (string, error) {
	raw := addr
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		// Not echoed: an address with user:password@ in it holds a secret.
		return "", fmt.Errorf("the address (API_ADDR or -addr) must be host:port or http(s)://host[:port], e.g. 127.0.0.1:8001")
	}
	return u.Scheme + "://" + u.Host + strings.TrimSuffix(u.EscapedPath(), "/"), nil
}

// answer is what the API said.
type answer struct {
	status int
	body   []byte
}

// send makes one call.
func send(ctx context.Context, hc *http.Client, t target, r request) (answer, error) {
	u := t.base + r.Path
	if len(r.Query) > 0 {
		u += "?" + r.Query.Encode()
	}
	var body io.Reader
	if r.Body != nil {
		b, err := json.Marshal(r.Body)
		if err != nil {
			return answer{}, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u, body)
	if err != nil {
		return answer{}, err
	}
	if t.key != "" {
		req.Header.Set("Authorization", "Bearer "+t.key)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "rtctl")
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := hc.Do(req)
	if err != nil {
		return answer{}, err // a *url.Error: method, URL and cause, never a header
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: reading the answer: %w", r.Method, u, err)
	}
	if len(b) > maxAnswer {
		return answer{}, fmt.Errorf("%s %s: the answer is larger than %d MiB", r.Method, u, maxAnswer>>20)
	}
	return answer{status: res.StatusCode, body: b}, nil
}

// show prints an answer: a success's JSON, indented, on stdout; for an
// error status the line "rtctl: <status> <error code>" on stderr (the
// status's name when the body has no code). It returns the exit status.
func show(a answer, stdout, stderr io.Writer) int {
	if a.status < 200 || a.status > 299 {
		var e struct {
			Error string `json:"error"`
		}
		code := http.StatusText(a.status)
		if json.Unmarshal(a.body, &e) == nil && e.Error != "" {
			code = e.Error
		}
		fmt.Fprintf(stderr, "rtctl: %d %s\n", a.status, strings.Join(strings.Fields(code), " "))
		return exitError
	}
	if len(bytes.TrimSpace(a.body)) == 0 {
		return exitOK
	}
	var out bytes.Buffer
	if err := json.Indent(&out, a.body, "", "  "); err != nil {
		fmt.Fprintf(stderr, "rtctl: %d, but the answer is not JSON\n", a.status)
		return exitError
	}
	out.WriteByte('\n')
	_, err := stdout.Write(out.Bytes())
	if err != nil {
		return exitError
	}
	return exitOK
}
