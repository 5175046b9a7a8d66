package store

import "time"

// Times are stored as unix microseconds in UTC, so the store normalises every time it writes to
// that precision: an object read back then equals the object written.

// micros returns t as stored.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros returns a stored time.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// norm returns t at the stored precision, in UTC.
func norm(t time.Time) time.Time { return fromMicros(micros(t)) }

// normPtr normalises *p in place, when p is not nil.
func normPtr(p *time.Time) {
	if p != nil {
		*p = norm(*p)
	}
}

// stamp fills zero creation and update times with now, and normalises both.
func stamp(created, updated *time.Time) {
	now := time.Now()
	if created.IsZero() {
		*created = now
	}
	if updated.IsZero() {
		*updated = *created
	}
	*created, *updated = norm(*created), norm(*updated)
}

// microsOrZero returns a stored optional time: 0 when absent, so sort columns are never NULL.
func microsOrZero(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return micros(*t)
}
