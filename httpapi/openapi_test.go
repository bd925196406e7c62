package httpapi

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// openAPIOps returns "METHOD /path" for every operation of openapi.json,
// with the document decoded.
func openAPIOps(t *testing.T) ([]string, map[string]any) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
		t.Fatalf("openapi version: got %q, want 3.0.x", v)
	}
	var ops []string
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		for method := range item.(map[string]any) {
			ops = append(ops, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(ops)
	return ops, doc
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	echoParam := regexp.MustCompile(`:([a-z_]+)`)
	documented, _ := openAPIOps(t)
	// HEAD is documented once, in the description, as working wherever
	// GET does; each GET route must have its HEAD twin.
	var routes, heads []string
	for _, r := range New(Options{}).Echo().Routes() {
		if slices.Contains(webPaths, r.Path) {
			continue // the reading page, not the API
		}
		path := echoParam.ReplaceAllString(r.Path, "{$1}")
		if r.Method == "HEAD" {
			heads = append(heads, path)
			continue
		}
		routes = append(routes, r.Method+" "+path)
	}
	slices.Sort(routes)
	for _, r := range routes {
		if path, ok := strings.CutPrefix(r, "GET "); ok && !slices.Contains(heads, path) {
			t.Errorf("GET %s has no HEAD route", path)
		}
	}
	for _, path := range heads {
		if !slices.Contains(routes, "GET "+path) {
			t.Errorf("HEAD %s has no GET route", path)
		}
	}
	if !strings.Contains(string(openAPIDoc), "HEAD works wherever GET does") {
		t.Errorf("openapi.json does not say that HEAD works wherever GET does")
	}
	for _, r := range routes {
		if _, ok := slices.BinarySearch(documented, r); !ok {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for _, d := range documented {
		if _, ok := slices.BinarySearch(routes, d); !ok {
			t.Errorf("openapi.json documents %s, which is no route", d)
		}
	}
}

// TestOpenAPIDocument checks what a generator would trip on: every $ref
// resolves, every operation has an id and responses, every path parameter
// is declared, and the document is served as it is embedded.
func TestOpenAPIDocument(t *testing.T) {
	ops, doc := openAPIOps(t)
	raw := string(openAPIDoc)
	for _, m := range regexp.MustCompile(`"\$ref": "#/([^"]+)"`).FindAllStringSubmatch(raw, -1) {
		var node any = doc
		for part := range strings.SplitSeq(m[1], "/") {
			obj, _ := node.(map[string]any)
			node = obj[part]
		}
		if node == nil {
			t.Errorf("$ref #/%s resolves to nothing", m[1])
		}
	}
	paths := doc["paths"].(map[string]any)
	seenIDs := map[string]bool{}
	for _, op := range ops {
		method, path, _ := strings.Cut(op, " ")
		o := paths[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
		id, _ := o["operationId"].(string)
		if id == "" || seenIDs[id] {
			t.Errorf("%s: operationId %q missing or repeated", op, id)
		}
		seenIDs[id] = true
		if rs, _ := o["responses"].(map[string]any); len(rs) == 0 {
			t.Errorf("%s: no responses", op)
		}
		if strings.Contains(path, "{id}") && !strings.Contains(mustJSON(t, o["parameters"]), "#/components/parameters/id") {
			t.Errorf("%s: the path parameter id is not declared", op)
		}
	}

	env := newLoadingEnv(t, Options{})
	r := env.get("/openapi.json")
	r.expectStatus(t, http.StatusOK)
	if string(r.body) != raw || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("GET /openapi.json does not serve the embedded document as JSON")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
