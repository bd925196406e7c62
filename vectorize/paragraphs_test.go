package vectorize

import (
	"slices"
	"testing"
)

func TestParagraphs(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"blank lines", "a b\nc\n\n d \n\n\n", []string{"a b\nc", "d"}},
		{"single newlines when no blank line", "one\ntwo\nthree", []string{"one", "two", "three"}},
		{"spaces-only line is blank", "one\n  \ntwo\nthree", []string{"one", "two\nthree"}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		if got := Paragraphs(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Paragraphs(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestDropRepeated(t *testing.T) {
	in := []string{"a b", "c", "a  b", "d", "c", "a b c"}
	got, dropped := DropRepeated(in)
	want := []string{"a b", "c", "d", "a b c"}
	if !slices.Equal(got, want) || dropped != 2 {
		t.Errorf("DropRepeated = %q, %d; want %q, 2", got, dropped, want)
	}
}
