package dashboard

import (
	"html/template"
	"time"

	"github.com/booksync/booksync"
)

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"when": when,
	"ptime": func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		return when(*t)
	},
	"nextSync": func(c *booksync.Connection) string {
		if c.Status != booksync.ConnectionConnected || c.NextSyncAt.IsZero() {
			return "none scheduled"
		}
		return when(c.NextSyncAt)
	},
	"platformName": platformName,
	"frag":         func(csrf string, data any) fragmentData { return fragmentData{CSRF: csrf, Data: data} },
	"inc":          func(i int) int { return i + 1 },
}

// when writes a time as people read it, in UTC.
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func platformName(p string) string {
	for _, x := range platforms {
		if x.Name == p {
			return x.Label
		}
	}
	if p == booksync.PlatformQuickBooks {
		return "QuickBooks"
	}
	return p
}
