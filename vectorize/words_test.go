package vectorize

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"north korea's launch", []string{"north", "korea's", "launch"}},
		{"an icbm-class missile", []string{"an", "icbm", "class", "missile"}},
		{"the u.s. and japan", []string{"the", "u.s", "and", "japan"}},
		{"in 2024, 1.13bn and 464,000", []string{"in", "2024", "1.13bn", "and", "464,000"}},
		{"a naïve café", []string{"a", "naïve", "café"}},
		{"привет, мир!", []string{"привет", "мир"}},
		{"«por fin» dijo", []string{"por", "fin", "dijo"}},
		{"-- ... !!", nil},
		{"東京都", []string{"東", "京", "都"}},
	}
	for _, tt := range tests {
		if got := Words(nil, tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Words(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNumberDigits(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{{"2024", 4}, {"464,000", 6}, {"1.13", 3}, {"600m", -1}, {"abc", -1}, {"12345", 5}}
	for _, tt := range tests {
		if got := numberDigits(tt.in); got != tt.want {
			t.Errorf("numberDigits(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func FuzzWords(f *testing.F) {
	for _, s := range []string{"Korea's ICBM-class U.S. 2024", "naïve Привет", "a\u200db", "x\u0301y", "👍🐶"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Normalize(s)
		if err != nil {
			return
		}
		for _, w := range Words(nil, n) {
			if w == "" || !utf8.ValidString(w) || !strings.Contains(n, w) {
				t.Fatalf("Words(%q): bad word %q", n, w)
			}
			if strings.ContainsAny(w, " \n\t") {
				t.Fatalf("Words(%q): word %q holds a space", n, w)
			}
		}
	})
}
