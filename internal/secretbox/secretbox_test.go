package secretbox

import (
	"bytes"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	b, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte(`{"refresh_token":"r-123"}`)
	sealed := b.Seal(secret, "conn-1")
	if strings.Contains(sealed, "r-123") {
		t.Fatal("sealed value shows the secret")
	}
	if sealed == b.Seal(secret, "conn-1") {
		t.Fatal("two seals of one value are equal: nonce reused")
	}
	got, err := b.Open(sealed, "conn-1")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := b.Open(sealed, "conn-2"); err == nil {
		t.Fatal("a value sealed for one connection opened for another")
	}
	other, _ := New(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(sealed, "conn-1"); err == nil {
		t.Fatal("opened with the wrong key")
	}
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("accepted a short key")
	}
}
