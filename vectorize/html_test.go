package vectorize

import "testing"

func TestLooksLikeHTML(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"<p>Hello</p>", true},
		{"text <br/> more", true},
		{"<!-- note --> text", true},
		{"a < b and c > d", false},
		{"x<3", false},
		{"plain text", false},
		{"3 <4 but <b>bold</b>", true},
		{"unclosed <p", false},
	}
	for _, tt := range tests {
		if got := LooksLikeHTML(tt.in); got != tt.want {
			t.Errorf("LooksLikeHTML(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestVisibleText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"paragraphs", "<p>One.</p><p>Two.</p>", "One.\n\nTwo."},
		{"inline", "<p>A <b>bold</b> <a href='x'>link</a></p>", "A bold link"},
		{"entities", "<p>Tom &amp; Jerry &eacute;t&eacute; &#8217;</p>", "Tom & Jerry été \u2019"},
		{"script and style dropped", "<style>p{}</style><p>Kept</p><script>var x = '<p>no</p>';</script>", "Kept"},
		{"head dropped", "<html><head><title>T</title></head><body><div>Body</div></body></html>", "Body"},
		{"br", "line<br>next", "line\nnext"},
		{"malformed", "<p>open <b>never closed", "open never closed"},
		{"list items", "<ul><li>a</li><li>b</li></ul>", "a\n\nb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VisibleText(tt.in); got != tt.want {
				t.Errorf("VisibleText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
