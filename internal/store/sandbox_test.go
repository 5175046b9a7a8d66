package store_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
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

// TestSandboxStateReadsKeysAndWalksInKeyOrder: a sandbox reads back the keys it names (one query
// per chunk of them, however many) and walks a namespace in byte order, so that an
// organisation's record comes before its objects on both databases.
func TestSandboxStateReadsKeysAndWalksInKeyOrder(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			s := d.open(t, store.Options{})
			ctx := context.Background()
			values := map[string][]byte{}
			var keys []string
			for i := range 1200 {
				k := fmt.Sprintf("org/o%04d", i)
				values[k], values[k+"/invoice/x"] = []byte(strconv.Itoa(i)), []byte("inv")
				keys = append(keys, k)
			}
			values["org/A-b"], values["org/A/invoice/y"], values["org/A"] = []byte("1"), []byte("2"), []byte("3")
			if err := s.SaveSandbox(ctx, "ns", values); err != nil {
				t.Fatal(err)
			}
			if err := s.SaveSandbox(ctx, "other", map[string][]byte{"org/o0001": []byte("other")}); err != nil {
				t.Fatal(err)
			}
			got, err := s.ReadSandbox(ctx, "ns", append(keys, "org/missing"))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(keys) || string(got["org/o0001"]) != "1" || string(got["org/o1199"]) != "1199" {
				t.Fatalf("read %d keys, want %d; org/o0001 = %q", len(got), len(keys), got["org/o0001"])
			}
			var walked []string
			err = s.RangeSandbox(ctx, "ns", func(k string, v []byte) error {
				if string(v) != string(values[k]) {
					t.Errorf("%s = %q, want %q", k, v, values[k])
				}
				walked = append(walked, k)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(walked) != len(values) || !slices.IsSorted(walked) {
				t.Fatalf("walked %d keys (want %d), sorted: %v", len(walked), len(values), slices.IsSorted(walked))
			}
			if walked[0] != "org/A" || walked[1] != "org/A-b" || walked[2] != "org/A/invoice/y" {
				t.Fatalf("first keys %q, want byte order", walked[:3])
			}
		})
	}
}
