package articleio

import (
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"   ", time.Time{}},
		// RFC 3339
		{"2024-01-18T06:30:00Z", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"2024-01-18t06:30:00z", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"2024-01-18T15:30:00+09:00", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"2024-01-18T01:30:00-05:00", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"2024-01-18T06:30:00.25Z", utc(2024, 1, 18, 6, 30, 0, 250e6)},
		{"2024-01-18T06:30:00.123456789+00:00", utc(2024, 1, 18, 6, 30, 0, 123456789)},
		// ISO 8601 with a space for T
		{"2024-01-18 06:30:00Z", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"2024-01-18 06:30:00+01:00", utc(2024, 1, 18, 5, 30, 0, 0)},
		{"2024-01-18 06:30:00.25Z", utc(2024, 1, 18, 6, 30, 0, 250e6)},
		{"2024-01-18 06:30:00+0100", utc(2024, 1, 18, 5, 30, 0, 0)},
		// without a zone: UTC
		{"1987-10-19T00:34:08", utc(1987, 10, 19, 0, 34, 8, 0)},
		{"1987-10-19 00:34:08", utc(1987, 10, 19, 0, 34, 8, 0)},
		{"1987-10-19T00:34:08.123456", utc(1987, 10, 19, 0, 34, 8, 123456000)},
		{"1987-10-19 00:34:08.5", utc(1987, 10, 19, 0, 34, 8, 500e6)},
		{"2024-01-18T06:30", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"2024-01-18 06:30", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"2024-01-18T06:30Z", utc(2024, 1, 18, 6, 30, 0, 0)},
		// other zones
		{"2024-01-18T06:30:00+0900", utc(2024, 1, 17, 21, 30, 0, 0)},
		{"2024-01-18T06:30:00.5+0900", utc(2024, 1, 17, 21, 30, 0, 500e6)},
		{"2024-01-18T15:30:00+09", utc(2024, 1, 18, 6, 30, 0, 0)},
		// a date alone: midnight UTC
		{"2024-01-18", utc(2024, 1, 18, 0, 0, 0, 0)},
		{"  2024-01-18 ", utc(2024, 1, 18, 0, 0, 0, 0)},
		// RFC 1123 and 822, as feeds write them
		{"Thu, 18 Jan 2024 06:30:00 GMT", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"Thu, 18 Jan 2024 06:30:00 UTC", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"Thu, 18 Jan 2024 06:30:00 UT", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"Thu, 18 Jan 2024 06:30:00 Z", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"Thu, 18 Jan 2024 06:30:00 +0900", utc(2024, 1, 17, 21, 30, 0, 0)},
		{"Thu, 18 Jan 2024 06:30:00 -0000", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"Thu, 18 Jan 2024 06:30:00 EST", utc(2024, 1, 18, 11, 30, 0, 0)},
		{"Thu, 18 Jan 2024 06:30:00 EDT", utc(2024, 1, 18, 10, 30, 0, 0)},
		{"Thu, 18 Jan 2024 06:30:00 CST", utc(2024, 1, 18, 12, 30, 0, 0)},
		{"Thu, 18 Jan 2024 06:30:00 PDT", utc(2024, 1, 18, 13, 30, 0, 0)},
		{"Thu, 18 Jan 2024 06:30:00 +0000 (UTC)", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"Thu, 8 Jan 2024 06:30:00 +0000", utc(2024, 1, 8, 6, 30, 0, 0)},
		{"Thu, 18 Jan 2024 6:30:00 GMT", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"Thu, 18 Jan 2024 06:30 GMT", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"Thu, 18 Jan 2024 06:30 +0100", utc(2024, 1, 18, 5, 30, 0, 0)},
		{"Fri, 18 Jan 2024 06:30:00 GMT", utc(2024, 1, 18, 6, 30, 0, 0)}, // wrong weekday, as feeds have
		{"Thu, 18 Jan 24 06:30:00 GMT", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"Thu, 18 Jan 24 06:30 +0000", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"18 Jan 2024 06:30:00 +0100", utc(2024, 1, 18, 5, 30, 0, 0)},
		{"18 Jan 2024 06:30:00 GMT", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"18 Jan 2024 06:30 GMT", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"18 Jan 24 06:30:00 +0000", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"18 Jan 24 06:30 +0000", utc(2024, 1, 18, 6, 30, 0, 0)},
		{"18 Jan 24 06:30 GMT", utc(2024, 1, 18, 6, 30, 0, 0)},
	} {
		got, err := ParseTime(tc.in)
		if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %v in UTC", tc.in, got, err, tc.want)
		}
	}
}

func TestParseTimeBad(t *testing.T) {
	for _, bad := range []string{
		"last tuesday", "yesterday", "now", "0", "1705559400", // words, Unix seconds
		"2024", "2024-01", "24-01-18", "2024/01/18", "18/01/2024", "01/18/2024", "18.01.2024", "Jan 18", "January 18, 2024",
		"2024-13-01", "2024-00-10", "2024-01-32", "2024-02-30", "2023-02-29", // no such day
		"2024-01-18T25:00:00Z", "2024-01-18T24:00:00Z", "2024-01-18T06:60:00Z", "2024-01-18T06:30:61Z",
		"2024-01-18T06:30:00+25:00", "2024-01-18T06:30:00+09:00 trailing", "2024-01-18T06:30:00 Z",
		"2024-01-18T", "T06:30:00Z", "06:30:00",
		"Thu, 32 Jan 2024 06:30:00 GMT", "Thu, 18 Foo 2024 06:30:00 GMT", "Thu, 18 Jan 2024 06:30:00",
		"Thu, 18 Jan 2024", "Thu 18 Jan 2024 06:30:00 GMT x", "\x00", "2024-01-18\xff",
	} {
		got, err := ParseTime(bad)
		if err == nil {
			t.Errorf("ParseTime(%q) = %v; want an error", bad, got)
			continue
		}
		if !strings.Contains(err.Error(), "RFC 3339") || !strings.Contains(err.Error(), "is not a time") {
			t.Errorf("ParseTime(%q): %v; want an error naming the accepted forms", bad, err)
		}
	}
}

func TestParseBound(t *testing.T) {
	to, err := ParseBound("2026-01-31", true)
	if want := time.Date(2026, 1, 31, 23, 59, 59, 999999999, time.UTC); err != nil || !to.Equal(want) {
		t.Errorf("upper bound of a date: %v, %v; want the end of that day", to, err)
	}
	from, _ := ParseBound("2026-01-31", false)
	exact, _ := ParseBound("2026-01-31T10:00:00Z", true)
	if !from.Equal(time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)) || !exact.Equal(time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("lower bound %v, exact upper bound %v", from, exact)
	}
	if _, err := ParseBound("soon", true); err == nil {
		t.Error("ParseBound(soon) accepted")
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2024-01-18T06:30:00Z", "Thu, 18 Jan 2024 06:30:00 +0000 (UTC)", "2024-01-18 06:30", "18 Jan 24 06:30 UT", "2024-01-18t06:30:00z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		if err != nil {
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("ParseTime(%q) = %v, not in UTC", s, got)
		}
		// What parses once parses again to the same instant from its RFC 3339 form.
		if !got.IsZero() {
			again, err := ParseTime(got.Format(time.RFC3339Nano))
			if err != nil || !again.Equal(got) {
				t.Fatalf("ParseTime(%q) = %v, which reads back as %v, %v", s, got, again, err)
			}
		}
	})
}
