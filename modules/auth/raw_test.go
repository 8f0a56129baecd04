package auth

import "testing"

// Claims.Raw is the payload exactly as the issuer wrote it, the
// application's own claims included, for the connect hook; the decoder's
// buffer is not shared (a second Verify does not change the first's).
func TestVerifyKeepsThePayload(t *testing.T) {
	v := verifier("HS256")
	payloads := []string{
		`{"sub":"alice","plan":"pro","teams":[1,2],"meta":{"a":null}}`,
		`{ "sub" : "bob", "rooms" : ["a*"] }`,
	}
	var got []Claims
	for _, p := range payloads {
		c, err := v.Verify(forge(hsHeader, p))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		got = append(got, c)
	}
	for i, p := range payloads {
		if string(got[i].Raw) != p {
			t.Errorf("Raw = %s, want %s", got[i].Raw, p)
		}
	}
	if _, err := v.Verify(forge(hsHeader, `{"sub":"x","sub":"y"}`)); err != ErrTokenInvalid {
		t.Errorf("a payload with a name twice: %v", err)
	}
}
