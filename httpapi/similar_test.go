package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/recommendtest"
	"github.com/readalike/readalike/vectorize"
)

// reference is the brute-force reference over the fixture, fitted from
// scratch as the refit that setEngine runs does.
func reference(t *testing.T, env *testEnv) *recommendtest.Reference {
	t.Helper()
	ref, err := recommendtest.Fit(env.engine.Analyzer(), vectorize.ModelOptions{}, 0, env.arts)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// checkNeighbors compares ids, scores (to 1e-6) and the fields shown.
func checkNeighbors(t *testing.T, what string, got, want []recommend.Neighbor) {
	t.Helper()
	recommendtest.CheckNeighbors(t, what, got, want, true)
}

func TestSimilarByIDMatchesBruteForce(t *testing.T) {
	env := newEnv(t, Options{})
	ref := reference(t, env)
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	for _, tc := range []struct {
		id, params string
		q          recommend.Query
	}{
		{"moon-01", "", recommend.Query{}},
		{"moon-01", "k=20&dedup=false", recommend.Query{K: 20, NoDedup: true}},
		{"cup-01", "k=20", recommend.Query{K: 20}},
		{"cup-01", "k=20&dedup=false", recommend.Query{K: 20, NoDedup: true}},
		{"rates-01", "k=3&category=business,sport", recommend.Query{K: 3, Categories: []string{"business", "sport"}}},
		{"rates-01", "category=business&category=science&k=10", recommend.Query{K: 10, Categories: []string{"business", "science"}}},
		{"moon-02", "from=2026-01-06&to=2026-01-31&k=10", recommend.Query{K: 10, From: day("2026-01-06"), To: day("2026-01-31").Add(24*time.Hour - 1)}},
		{"moon-02", "from=2026-01-06T09:30:00Z&k=10", recommend.Query{K: 10, From: time.Date(2026, 1, 6, 9, 30, 0, 0, time.UTC)}},
		{"moon-02", "exclude=moon-01,%20moon-03&k=10", recommend.Query{K: 10, Exclude: []string{"moon-01", "moon-03"}}},
		{"moon-02", "min_score=0.1&k=10", recommend.Query{K: 10, MinScore: 0.1}},
		{"note-01", "k=100&dedup=true", recommend.Query{K: 100}},
		{"soup-01", "", recommend.Query{}},
	} {
		t.Run(tc.id+"?"+tc.params, func(t *testing.T) {
			r := env.get("/v1/articles/" + tc.id + "/similar?" + tc.params)
			r.expectStatus(t, http.StatusOK)
			var got similarResponse
			r.decode(t, &got)
			if got.ID != tc.id || got.Generation != 2 || got.Neighbors == nil {
				t.Fatalf("got id %q generation %d similar %v, want %q 2 and a list", got.ID, got.Generation, got.Neighbors, tc.id)
			}
			checkNeighbors(t, tc.params, got.Neighbors, ref.SimilarID(tc.id, tc.q))
		})
	}
}

func TestSimilarDedupDropsNearDuplicate(t *testing.T) {
	env := newEnv(t, Options{})
	ref := reference(t, env)
	s := recommendtest.Dot(ref.Vecs["cup-01"], ref.Vecs["cup-02"])
	if s < recommend.DefaultDedup {
		t.Skipf("cup-01 and cup-02 score %.3f, not near-duplicates under this analyzer", s)
	}
	var on, off similarResponse
	env.get("/v1/articles/cup-01/similar").decode(t, &on)
	env.get("/v1/articles/cup-01/similar?dedup=false").decode(t, &off)
	ids := func(ms []recommend.Neighbor) (out []string) {
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	if slices.Contains(ids(on.Neighbors), "cup-02") || !slices.Contains(ids(off.Neighbors), "cup-02") {
		t.Errorf("dedup: got %v with it, %v without it; want cup-02 only without", ids(on.Neighbors), ids(off.Neighbors))
	}
}

func TestSimilarJSONShape(t *testing.T) {
	env := newEnv(t, Options{})
	r := env.get("/v1/articles/moon-02/similar?k=20&dedup=false")
	var raw struct {
		Neighbors []map[string]any `json:"neighbors"`
	}
	r.decode(t, &raw)
	sawBare := false
	for _, m := range raw.Neighbors {
		if _, ok := m["score"].(float64); !ok {
			t.Errorf("score is not a JSON number: %v", m)
		}
		if m["id"] == "moon-03" { // no url
			sawBare = true
			if _, ok := m["url"]; ok {
				t.Errorf("empty url not left out: %v", m)
			}
		}
		if m["id"] == "soup-01" { // no published
			if _, ok := m["published"]; ok {
				t.Errorf("zero published not left out: %v", m)
			}
		}
	}
	if !sawBare {
		t.Fatalf("moon-03 not among the neighbors of moon-02: %s", r.body)
	}
}

func TestSimilarByIDErrors(t *testing.T) {
	env := newEnv(t, Options{MaxK: 50})
	for _, tc := range []struct {
		path   string
		status int
		code   string
		field  string
	}{
		{"/v1/articles/nope/similar", 404, "not_found", ""},
		{"/v1/articles/moon-01/similar?k=0", 400, "invalid", "k"},
		{"/v1/articles/moon-01/similar?k=51", 400, "invalid", "k"},
		{"/v1/articles/moon-01/similar?k=five", 400, "invalid", "k"},
		{"/v1/articles/moon-01/similar?k=5&k=6", 400, "invalid", "k"},
		{"/v1/articles/moon-01/similar?from=last+week", 400, "invalid", "from"},
		{"/v1/articles/moon-01/similar?to=2026-13-01", 400, "invalid", "to"},
		{"/v1/articles/moon-01/similar?from=2026-02-01&to=2026-01-01", 400, "invalid", "to"},
		{"/v1/articles/moon-01/similar?dedup=maybe", 400, "invalid", "dedup"},
		{"/v1/articles/moon-01/similar?min_score=high", 400, "invalid", "min_score"},
		{"/v1/articles/moon-01/similar?min_score=1.5", 400, "invalid", "min_score"},
		{"/v1/articles/moon-01/similar?min_score=NaN", 400, "invalid", "min_score"},
		{"/v1/articles/moon-01/similar?categroy=sport", 400, "invalid", "categroy"},
		{"/v1/articles/%ff/similar", 400, "invalid", "id"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			env.get(tc.path).expectError(t, tc.status, tc.code, tc.field)
		})
	}
	env.get("/v1/articles/moon-01/similar?k=50").expectStatus(t, http.StatusOK)
}

func TestSimilarText(t *testing.T) {
	env := newEnv(t, Options{})
	ref := reference(t, env)
	title, body := "Ice on the moon", "Scientists say water ice in lunar craters near the south pole could help astronauts. Interest rates rose."
	for _, tc := range []struct {
		extra string
		q     recommend.Query
	}{
		{``, recommend.Query{}},
		{`, "k": 20, "dedup": false`, recommend.Query{K: 20, NoDedup: true}},
		{`, "k": 20, "category": ["business"], "min_score": 0.01`, recommend.Query{K: 20, Categories: []string{"business"}, MinScore: 0.01}},
		{`, "k": 20, "exclude": ["moon-02"], "from": "2026-01-07", "to": "2026-02-14T10:00:00Z"`,
			recommend.Query{K: 20, Exclude: []string{"moon-02"}, From: time.Date(2026, 1, 7, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 2, 14, 10, 0, 0, 0, time.UTC)}},
	} {
		t.Run(tc.extra, func(t *testing.T) {
			r := env.postJSON("/v1/similar", fmt.Sprintf(`{"title": %q, "body": %q, "lang": "en"%s}`, title, body, tc.extra))
			r.expectStatus(t, http.StatusOK)
			var got similarResponse
			r.decode(t, &got)
			if got.Generation != 2 || strings.Contains(string(r.body), `"id":""`) {
				t.Errorf("got %s", r.body)
			}
			v, err := ref.Text(env.engine.Analyzer(), recommend.Text{Title: title, Body: body, Lang: "en"})
			if err != nil {
				t.Fatal(err)
			}
			checkNeighbors(t, "text"+tc.extra, got.Neighbors, ref.Similar(v, tc.q))
		})
	}
}

func TestSimilarHistory(t *testing.T) {
	env := newEnv(t, Options{})
	ref := reference(t, env)
	history := []string{"moon-01", "rates-02", "not-there"}
	r := env.postJSON("/v1/similar", `{"history": ["moon-01", "rates-02", "not-there"], "k": 20, "dedup": false}`)
	r.expectStatus(t, http.StatusOK)
	var got similarResponse
	r.decode(t, &got)
	checkNeighbors(t, "history", got.Neighbors, ref.Similar(ref.History(history), recommend.Query{K: 20, NoDedup: true}, history...))

	env.postJSON("/v1/similar", `{"history": ["nope", "nada"]}`).expectError(t, 404, "not_found", "")
}

func TestSimilarBodyErrors(t *testing.T) {
	env := newEnv(t, Options{MaxBatch: 2})
	for _, tc := range []struct {
		body   string
		status int
		code   string
		field  string
	}{
		{`{}`, 400, "invalid", "body"},
		{`{"title": "", "body": ""}`, 400, "invalid", "body"},
		{`{"body": "moon", "history": ["moon-01"]}`, 400, "invalid", "history"},
		{`{"history": ["moon-01"], "lang": "en"}`, 400, "invalid", "lang"},
		{`{"history": ["a", "b", "c"]}`, 400, "invalid", "history"},
		{`{"history": "moon-01"}`, 400, "invalid", "history"},
		{`{"body": "moon", "k": 0}`, 400, "invalid", "k"},
		{`{"body": "moon", "k": 2.5}`, 400, "invalid", "k"},
		{`{"body": "moon", "k": "5"}`, 400, "invalid", "k"},
		{`{"body": "moon", "k": 101}`, 400, "invalid", "k"},
		{`{"body": "moon", "category": "science"}`, 400, "invalid", "category"},
		{`{"body": "moon", "exclude": [1]}`, 400, "invalid", "exclude"},
		{`{"body": "moon", "from": "soon"}`, 400, "invalid", "from"},
		{`{"body": "moon", "to": 2026}`, 400, "invalid", "to"},
		{`{"body": "moon", "dedup": "no"}`, 400, "invalid", "dedup"},
		{`{"body": "moon", "min_score": -0.5}`, 400, "invalid", "min_score"},
		{`{"body": "moon", "lang": "tlh"}`, 400, "invalid", "lang"},
		{`{"body": "moon", "id": "moon-01"}`, 400, "invalid", "id"},
		{`{"body": 5}`, 400, "invalid", "body"},
		{`[{"body": "moon"}]`, 400, "invalid", ""},
		{`{"body": "moon"`, 400, "invalid_json", ""},
	} {
		t.Run(tc.body, func(t *testing.T) {
			env.postJSON("/v1/similar", tc.body).expectError(t, tc.status, tc.code, tc.field)
		})
	}
	env.postJSON("/v1/similar", `{"body": "moon", "k": null, "category": null}`).expectStatus(t, http.StatusOK)
}

func TestAnalyze(t *testing.T) {
	env := newEnv(t, Options{})
	r := env.postJSON("/v1/analyze", `{"title": "Lunar ice", "body": "The drills found water ice on the moon. Zorblax!", "lang": "EN"}`)
	r.expectStatus(t, http.StatusOK)
	var got vectorize.Inspection
	r.decode(t, &got)
	want, err := env.engine.Analyzer().Inspect(vectorize.Document{Title: "Lunar ice", Body: "The drills found water ice on the moon. Zorblax!", Lang: "en"}, env.engine.Model())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if got.Lang != "en" || got.Model == "" || len(got.Tokens) == 0 {
		t.Errorf("inspection: got %+v", got)
	}
	var sawIDF, sawStop bool
	for _, c := range got.Counts {
		sawIDF = sawIDF || (c.Term == "ice" && c.DF > 0 && c.IDF > 0 && c.Weight > 0)
	}
	for _, tok := range got.Tokens {
		sawStop = sawStop || tok.Dropped == "stop"
	}
	if !sawIDF || !sawStop {
		t.Errorf("inspection lacks df/idf/weight of a known term or a dropped stop word: %s", r.body)
	}

	env.postJSON("/v1/analyze", `{"body": "x", "lang": "xx"}`).expectError(t, 400, "invalid", "lang")
	env.postJSON("/v1/analyze", `{"title": "only a title"}`).expectError(t, 400, "invalid", "body")
	env.postJSON("/v1/analyze", `{"body": "x", "k": 5}`).expectError(t, 400, "invalid", "k")
}

// similarPath builds a similar URL with escaped query values.
func similarPath(id string, params url.Values) string {
	return "/v1/articles/" + url.PathEscape(id) + "/similar?" + params.Encode()
}

func TestSimilarAfterWrites(t *testing.T) {
	env := newEnv(t, Options{})
	env.postJSON("/v1/articles", `{"id": "moon-04", "title": "Lunar lander drill finds ice", "body": "The lunar lander drill found water ice near the south pole crater."}`).
		expectStatus(t, http.StatusCreated)
	r := env.get(similarPath("moon-01", url.Values{"k": {"3"}, "dedup": {"false"}}))
	if !strings.Contains(string(r.body), "moon-04") {
		t.Errorf("a new article is not searchable at once: %s", r.body)
	}
}
