package httpapi

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"path"
	"time"

	"github.com/labstack/echo/v4"
)

// webFiles is the reading page: index.html, its script and its style
// sheet, plain files with no build step. The screenshots beside them are
// for the README and stay out of the binary.
//
//go:embed web/index.html web/app.js web/app.css
var webFiles embed.FS

// webPaths are the page's routes (GET and HEAD): index.html at / and its
// files under /web/. They are not part of the API and not in openapi.json.
var webPaths = []string{"/", "/web/:name"}

// webCSP lets the page load its own script and style sheet and call its own
// server, and nothing else: no inline script, no other origin, no framing.
const webCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// webFile is one file of the page, with the ETag of its content.
type webFile struct {
	body []byte
	etag string
}

// loadWebFiles reads the embedded page once, tagging each file with a hash
// of its content, so a browser revalidates cheaply (304) and never keeps a
// stale script after an upgrade.
func loadWebFiles() map[string]webFile {
	files := map[string]webFile{}
	entries, err := webFiles.ReadDir("web")
	if err != nil {
		panic("httpapi: the embedded page: " + err.Error()) // go:embed guarantees the folder
	}
	for _, e := range entries {
		b, err := webFiles.ReadFile(path.Join("web", e.Name()))
		if err != nil {
			panic("httpapi: the embedded page: " + err.Error())
		}
		sum := sha256.Sum256(b)
		files[e.Name()] = webFile{body: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	}
	return files
}

// webRoutes registers the page's routes.
func (s *Server) webRoutes() {
	files := loadWebFiles()
	methods := []string{http.MethodGet, http.MethodHead}
	s.echo.Match(methods, webPaths[0], func(c echo.Context) error { return serveWeb(c, files, "index.html") })
	s.echo.Match(methods, webPaths[1], func(c echo.Context) error {
		if c.Param("name") == "index.html" {
			return echo.ErrNotFound // the page lives at /, once
		}
		return serveWeb(c, files, c.Param("name"))
	})
}

// serveWeb answers one file of the page: its content type from its name,
// its ETag, Cache-Control no-cache (use it, but ask first: a 304 costs a
// round trip and no bytes), and If-None-Match and Range as net/http does.
func serveWeb(c echo.Context, files map[string]webFile, name string) error {
	f, ok := files[name]
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("ETag", f.etag)
	h.Set(echo.HeaderCacheControl, "no-cache")
	h.Set(echo.HeaderXContentTypeOptions, "nosniff")
	if name == "index.html" {
		h.Set(echo.HeaderContentSecurityPolicy, webCSP)
		h.Set(echo.HeaderReferrerPolicy, "no-referrer")
		h.Set(echo.HeaderXFrameOptions, "DENY")
	}
	http.ServeContent(c.Response(), c.Request(), name, time.Time{}, bytes.NewReader(f.body))
	return nil
}
