package booksync_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/booksync/booksync"
)

// TestEntityCloneSharesNothing fills every field of an entity, clones it, and checks that the
// clone is equal and that no pointer of the clone is one of the original's. A field added to
// Entity that Clone does not copy fails it: a pointer shared, or a kind Clone cannot copy.
func TestEntityCloneSharesNothing(t *testing.T) {
	var e booksync.Entity
	fill(t, reflect.ValueOf(&e).Elem(), "Entity")
	c := e.Clone()
	if !reflect.DeepEqual(&e, c) {
		t.Fatalf("clone %+v differs from %+v", c, e)
	}
	shared(t, reflect.ValueOf(e), reflect.ValueOf(*c), "Entity")
}

// fill sets every field reachable from v to a value that is not zero.
func fill(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString(path)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(7)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), path)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			fill(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	default:
		t.Fatalf("%s is a %s, which Entity.Clone does not copy: make it copy it, then this test", path, v.Kind())
	}
}

// shared fails for each pointer that a and b, the same shape, both hold.
func shared(t *testing.T, a, b reflect.Value, path string) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			t.Errorf("the clone shares %s", path)
		}
		if !a.IsNil() && !b.IsNil() {
			shared(t, a.Elem(), b.Elem(), path)
		}
	case reflect.Struct:
		if a.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range a.NumField() {
			shared(t, a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)
		}
	}
}
