package articleio

import (
	"fmt"
	"strings"
	"time"
)

// dateForms are the layouts ParseTime tries, in order. A form without a
// zone is read as UTC.
var dateForms = []struct {
	layout string
	zone   bool
}{
	{time.RFC3339Nano, true},            // 2024-01-18T06:30:00Z, 2024-01-18T06:30:00.5+09:00
	{"2006-01-02 15:04:05Z07:00", true}, // a space instead of T
	{"2006-01-02T15:04:05.999999999", false},
	{"2006-01-02 15:04:05.999999999", false},
	{"2006-01-02T15:04Z07:00", true},
	{"2006-01-02T15:04", false},
	{"2006-01-02 15:04", false},
	{time.DateOnly, false}, // 2024-01-18
	{time.RFC1123Z, true},  // Thu, 18 Jan 2024 06:30:00 +0900 (RSS)
	{time.RFC1123, true},   // Thu, 18 Jan 2024 06:30:00 GMT
	{"Mon, 2 Jan 2006 15:04:05 -0700", true},
	{"Mon, 2 Jan 2006 15:04:05 MST", true},
	{"Mon, 2 Jan 2006 15:04 -0700", true},
	{"Mon, 2 Jan 2006 15:04 MST", true},
	{"2 Jan 2006 15:04:05 -0700", true},
	{"2 Jan 2006 15:04:05 MST", true},
	{time.RFC822Z, true},                         // 18 Jan 24 06:30 +0900
	{time.RFC822, true},                          // 18 Jan 24 06:30 GMT
	{"2006-01-02T15:04:05.999999999Z0700", true}, // +0900 without the colon
	{"2006-01-02T15:04:05Z0700", true},
}

// DateForms describes the forms ParseTime accepts, for error messages and
// documentation.
const DateForms = "RFC 3339 (2024-01-18T06:30:00Z), ISO 8601 with a space for T, fractional seconds " +
	"or no zone (taken as UTC), a date (2024-01-18), or RFC 1123 / 822 as feeds write it (Thu, 18 Jan 2024 06:30:00 GMT)"

// ParseTime reads a time as sources write it: RFC 3339; ISO 8601 with a
// space instead of T, with fractional seconds, with or without seconds,
// with a zone as +09:00 or +0900 or without one (then UTC); a date alone
// (midnight UTC); RFC 1123 and RFC 822 with a numeric zone or a zone name
// (as RSS feeds write them; a zone name Go does not know is taken as UTC).
// Surrounding space is ignored; "" is the zero time. The time is returned
// in UTC. The error says which forms are accepted.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, f := range dateForms {
		var t time.Time
		var err error
		if f.zone {
			t, err = time.Parse(f.layout, s)
		} else {
			t, err = time.ParseInLocation(f.layout, s, time.UTC)
		}
		if err == nil {
			return rfc822Zone(t).UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use %s", s, DateForms)
}

// ParseBound reads a bound of a date range as ParseTime does, except that
// a date alone given as the upper bound (end set) means the end of that
// day, so that "to 2026-01-31" includes all of January 31.
func ParseBound(s string, end bool) (time.Time, error) {
	t, err := ParseTime(s)
	if err != nil || !end {
		return t, err
	}
	if _, derr := time.Parse(time.DateOnly, strings.TrimSpace(s)); derr == nil {
		t = t.Add(24*time.Hour - time.Nanosecond)
	}
	return t, nil
}

// rfc822Offsets are the zone names RFC 822 defines beyond UT and GMT, in
// hours east of UTC. Go gives a zone name it does not know offset 0.
var rfc822Offsets = map[string]int{"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7}

// rfc822Zone corrects a time parsed with a zone name of RFC 822 that Go
// took as offset 0.
func rfc822Zone(t time.Time) time.Time {
	name, off := t.Zone()
	if h, ok := rfc822Offsets[name]; ok && off == 0 {
		return t.Add(-time.Duration(h) * time.Hour).In(time.FixedZone(name, h*3600))
	}
	return t
}
