package store_test

import (
	"context"
	"testing"

	"github.com/booksync/booksync/internal/store"
)

// TestSandboxStateRemovesNilValues: a sandbox saves keys and, with a nil value, removes them, in
// one transaction; other namespaces and a JSON null are left alone.
func TestSandboxStateRemovesNilValues(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			s := d.open(t, store.Options{})
			ctx := context.Background()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(s.SaveSandbox(ctx, "a", map[string][]byte{"k1": []byte("1"), "k2": []byte("2"), "k3": []byte("null")}))
			must(s.SaveSandbox(ctx, "b", map[string][]byte{"k1": []byte("b1")}))
			must(s.SaveSandbox(ctx, "a", map[string][]byte{"k1": nil, "k2": []byte("22"), "missing": nil}))
			got, err := s.LoadSandbox(ctx, "a")
			must(err)
			if len(got) != 2 || string(got["k2"]) != "22" || string(got["k3"]) != "null" {
				t.Fatalf("namespace a: %q", got)
			}
			if got, _ := s.LoadSandbox(ctx, "b"); len(got) != 1 || string(got["k1"]) != "b1" {
				t.Fatalf("namespace b: %q", got)
			}
		})
	}
}
