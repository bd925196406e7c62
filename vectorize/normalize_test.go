package vectorize

import (
	"errors"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ascii lower", "North KOREA", "north korea"},
		{"ascii unchanged", "already lower", "already lower"},
		{"nfkc ligature", "ﬁnal ﬂight", "final flight"},
		{"nfkc fullwidth", "ＡＢＣ１２３", "abc123"},
		{"case fold sharp s", "STRAßE", "strasse"},
		{"case fold cyrillic", "ПРИВЕТ Мир", "привет мир"},
		{"accents kept", "Naïve Café", "naïve café"},
		{"composed accents", "Cafe\u0301", "café"},
		{"typographic apostrophe", "Korea’s ‘best’", "korea's 'best'"},
		{"dashes", "ICBM–class — 2024−2025", "icbm-class - 2024-2025"},
		{"crlf", "a\r\nb\rc", "a\nb\nc"},
		{"nbsp becomes space", "10\u00a0km", "10 km"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if err != nil {
				t.Fatalf("Normalize(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeInvalidUTF8(t *testing.T) {
	_, err := Normalize("ok \xff\xfe bad")
	if !errors.Is(err, ErrInvalidUTF8) {
		t.Fatalf("got %v, want ErrInvalidUTF8", err)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"North Korea’s ICBM–class", "STRAßE", "ﬁ", "Cafe\u0301", "ǅ", "ΐ", "\u0345", "İstanbul", "a\r\n\r\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Normalize(s)
		if !utf8.ValidString(s) {
			if err == nil {
				t.Fatalf("Normalize(%q): no error for invalid UTF-8", s)
			}
			return
		}
		if err != nil {
			t.Fatalf("Normalize(%q): %v", s, err)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("Normalize(%q) = %q: invalid UTF-8", s, got)
		}
		again, _ := Normalize(got)
		if again != got {
			t.Fatalf("not idempotent: Normalize(%q) = %q, again %q", s, got, again)
		}
	})
}
