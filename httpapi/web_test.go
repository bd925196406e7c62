package httpapi

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestWebFiles(t *testing.T) {
	// The page answers while the collection loads: it says so itself.
	env := newLoadingEnv(t, Options{APIKey: "k"})
	tests := []struct {
		path, contentType string
	}{
		{"/", "text/html; charset=utf-8"},
		{"/web/app.js", "text/javascript; charset=utf-8"},
		{"/web/app.css", "text/css; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := env.get(tt.path)
			r.expectStatus(t, http.StatusOK)
			if got := r.header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type: got %q, want %q", got, tt.contentType)
			}
			etag := r.header.Get("ETag")
			if !regexp.MustCompile(`^"[0-9a-f]{24}"$`).MatchString(etag) {
				t.Errorf("ETag: got %q, want a quoted content hash", etag)
			}
			if got := r.header.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("Cache-Control: got %q, want no-cache", got)
			}
			again := env.do(http.MethodGet, tt.path, "", "", "If-None-Match", etag)
			if again.status != http.StatusNotModified || len(again.body) != 0 {
				t.Errorf("If-None-Match with the ETag: got %d and %d bytes, want 304 and none", again.status, len(again.body))
			}
			if stale := env.do(http.MethodGet, tt.path, "", "", "If-None-Match", `"stale"`); stale.status != http.StatusOK {
				t.Errorf("If-None-Match with another ETag: got %d, want 200", stale.status)
			}
			if head := env.do(http.MethodHead, tt.path, "", ""); head.status != http.StatusOK || head.header.Get("ETag") != etag || len(head.body) != 0 {
				t.Errorf("HEAD: got %d, ETag %q and %d bytes, want 200, %q and none", head.status, head.header.Get("ETag"), len(head.body), etag)
			}
		})
	}

	r := env.get("/")
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("the page's Content-Security-Policy: %q", csp)
	}
	for _, path := range []string{"/web/index.html", "/web/nothing.js", "/web/screenshots/screenshot-desktop.png", "/index.html"} {
		env.get(path).expectError(t, http.StatusNotFound, "not_found", "")
	}
}

// TestWebFilesSelfContained holds the page to working offline: every file
// it loads is embedded, and nothing is loaded from another origin.
func TestWebFilesSelfContained(t *testing.T) {
	files := loadWebFiles()
	html := string(files["index.html"].body)
	refs := regexp.MustCompile(`(?:src|href)="([^"#][^"]*)"`).FindAllStringSubmatch(html, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html refers to %d files, want its script and style sheet", len(refs))
	}
	for _, m := range refs {
		ref := m[1]
		switch {
		case ref == "data:," || ref == "openapi.json":
		case strings.HasPrefix(ref, "web/"):
			if _, ok := files[strings.TrimPrefix(ref, "web/")]; !ok {
				t.Errorf("index.html loads %s, which is not embedded", ref)
			}
		default:
			t.Errorf("index.html refers to %s, outside the page", ref)
		}
	}
	external := regexp.MustCompile(`(?i)@import|url\(\s*['"]?(https?:)?//|<script[^>]+src="(https?:)?//|fetch\(\s*['"](https?:)?//`)
	for name, f := range files {
		if m := external.Find(f.body); m != nil {
			t.Errorf("%s loads from another origin: %s", name, m)
		}
	}
}
