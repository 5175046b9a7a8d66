package booksync

import (
	"net/netip"
	"testing"
)

func TestWebhookURLsIntoBooksyncsNetworkAreRefused(t *testing.T) {
	for _, u := range []string{
		"http://localhost:8080/x", "http://LOCALHOST/x", "http://api.localhost/x", "http://127.0.0.1/x", "http://[::1]:9000/",
		"http://0.0.0.0:18282/", "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/", "http://192.168.1.1/",
		"http://172.16.0.5/", "http://[fd00::1]/", "http://100.64.0.1/", "http://[::ffff:127.0.0.1]/",
	} {
		if err := CheckWebhookURL(u, "http://booksync.example", false); err == nil {
			t.Errorf("%s was accepted", u)
		}
		if err := CheckWebhookURL(u, "http://booksync.example", true); err != nil {
			t.Errorf("%s refused although private addresses are allowed: %v", u, err)
		}
	}
	for _, u := range []string{"https://hooks.example.com/booksync", "http://93.184.216.34:8443/h"} {
		if err := CheckWebhookURL(u, "http://booksync.example", false); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	if err := CheckWebhookURL("https://booksync.example/hook", "https://booksync.example", true); err == nil {
		t.Error("a URL of booksync itself was accepted")
	}
}

func TestPublicAddress(t *testing.T) {
	for s, want := range map[string]bool{"8.8.8.8": true, "2001:4860:4860::8888": true, "127.0.0.2": false, "10.0.0.1": false,
		"169.254.1.1": false, "224.0.0.1": false, "::": false, "fe80::1": false, "100.100.0.1": false, "0.1.2.3": false} {
		if got := PublicAddress(netip.MustParseAddr(s)); got != want {
			t.Errorf("PublicAddress(%s) = %v, want %v", s, got, want)
		}
	}
}
