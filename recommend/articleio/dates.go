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
	{"2006-01-02T15:04:05Z07", true}, // +09, the hour alone
	{"2006-01-02 15:04:05Z0700", true},
	{"2006-01-02 15:04:05Z07", true},
	{"Mon, 2 Jan 06 15:04:05 -0700", true}, // RFC 822's two-digit year, with a weekday
	{"Mon, 2 Jan 06 15:04:05 MST", true},
	{"Mon, 2 Jan 06 15:04 -0700", true},
	{"Mon, 2 Jan 06 15:04 MST", true},
	{"2 Jan 2006 15:04 -0700", true},
	{"2 Jan 2006 15:04 MST", true},
	{"2 Jan 06 15:04:05 -0700", true},
	{"2 Jan 06 15:04:05 MST", true},
}

// DateForms describes the forms ParseTime accepts, for error messages and
// documentation.
const DateForms = "RFC 3339 (2024-01-18T06:30:00Z), ISO 8601 with a space for T, fractional seconds " +
	"or no zone (taken as UTC), a date (2024-01-18), or RFC 1123 / 822 as feeds write it (Thu, 18 Jan 2024 06:30:00 GMT)"

// ParseTime reads a time as sources write it: RFC 3339 (t and z in
// either case); ISO 8601 with a space instead of T, with fractional
// seconds, with or without seconds, with a zone as +09:00, +0900 or +09 or
// without one (then UTC); a date alone (midnight UTC); RFC 1123 and RFC
// 822 as feeds write them: with or without the weekday (which is not
// checked against the date) and the seconds, a two- or four-digit year, a
// numeric zone or a zone name (UT, GMT, the North American names of RFC
// 822, Z; another name Go does not know is taken as UTC), and a comment in
// parentheses after the zone ignored. Surrounding space is ignored; "" is
// the zero time. The time is returned in UTC. The error says which forms
// are accepted. Every reader of dates in readalike (files, feeds, pages,
// the API, the command line) reads them through ParseTime.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	orig := s
	s = normalizeTime(s)
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
	return time.Time{}, fmt.Errorf("%q is not a time: use %s", orig, DateForms)
}

// normalizeTime rewrites what the layouts cannot say: a lower-case t or z
// in an ISO 8601 time, RFC 822's zone names UT and Z (which Go's zone
// abbreviations, three letters or more, do not match) and a trailing
// comment such as "(UTC)".
func normalizeTime(s string) string {
	if len(s) >= 10 && s[4] == '-' && '0' <= s[0] && s[0] <= '9' {
		return strings.ToUpper(s) // digits and separators only, but for T and Z
	}
	if i := strings.LastIndexByte(s, '('); i > 0 && strings.HasSuffix(s, ")") {
		s = strings.TrimSpace(s[:i])
	}
	for _, z := range []string{" UT", " Z"} {
		if strings.HasSuffix(s, z) {
			return s[:len(s)-len(z)] + " UTC"
		}
	}
	return s
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
