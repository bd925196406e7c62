package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
)

func TestListArticles(t *testing.T) {
	env := newEnv(t, Options{})
	var all recommend.ArticleList
	r := env.get("/v1/articles?limit=100")
	r.expectStatus(t, http.StatusOK)
	r.decode(t, &all)
	if all.Total != len(env.arts) || len(all.Articles) != len(env.arts) {
		t.Fatalf("listed %d of %d, want %d", len(all.Articles), all.Total, len(env.arts))
	}
	for i, a := range all.Articles {
		if a.Body != "" || a.Summary == "" {
			t.Errorf("listed %+v: want a summary and no body", a)
		}
		if i > 0 && a.Published.After(all.Articles[i-1].Published) && !all.Articles[i-1].Published.IsZero() {
			t.Errorf("not newest first at %d: %v after %v", i, a.Published, all.Articles[i-1].Published)
		}
	}
	var page recommend.ArticleList
	env.get("/v1/articles?category=sport&limit=2&offset=1").decode(t, &page)
	for _, a := range page.Articles {
		if a.Category != "sport" {
			t.Errorf("category filter let through %+v", a)
		}
	}
	for _, bad := range []struct{ path, field string }{
		{"/v1/articles?limit=0", "limit"}, {"/v1/articles?limit=101", "limit"}, {"/v1/articles?offset=-1", "offset"},
		{"/v1/articles?lang=de", "lang"}, {"/v1/articles?colour=red", "colour"}, {"/v1/articles?limit=x", "limit"},
	} {
		env.get(bad.path).expectError(t, 400, "invalid", bad.field)
	}
}

// Reads are counted, many at once on one article, without the API key, and
// must be declared JSON.
func TestReads(t *testing.T) {
	env := newEnv(t, Options{APIKey: "secret"})
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			body := ""
			if i%2 == 0 {
				body = fmt.Sprintf(`{"reader": "r%d"}`, i%4)
			}
			env.do("POST", "/v1/articles/moon-01/reads", "application/json", body).expectStatus(t, http.StatusOK)
		})
	}
	wg.Wait()
	var res recommend.ReadResult
	r := env.do("POST", "/v1/articles/moon-01/reads", "application/json", `{"at": "2026-01-02T03:04:05Z", "reader": "r0"}`)
	r.expectStatus(t, http.StatusOK)
	r.decode(t, &res)
	if res.ReadCount != 41 || res.LastRead.IsZero() {
		t.Errorf("after 41 reads: %+v", res)
	}
	var a recommend.Article
	env.get("/v1/articles/moon-01").decode(t, &a)
	if a.ReadCount != 41 || !a.LastRead.Equal(res.LastRead) || a.Summary == "" {
		t.Errorf("the article after the reads: %+v", a)
	}
	env.do("POST", "/v1/articles/moon-01/reads", "", "").expectError(t, 415, "unsupported_media_type", "")
	env.do("POST", "/v1/articles/moon-01/reads", "application/x-www-form-urlencoded", "").expectError(t, 415, "unsupported_media_type", "")
	env.do("POST", "/v1/articles/nope/reads", "application/json", "").expectError(t, 404, "not_found", "")
	env.do("POST", "/v1/articles/moon-01/reads", "application/json", `{"when": "now"}`).expectError(t, 400, "invalid", "when")
	env.do("POST", "/v1/articles/moon-01/reads", "application/json", `{"at": "tomorrow"}`).expectError(t, 400, "invalid", "at")
	env.do("POST", "/v1/articles/moon-01/reads", "application/json", `{"reader": "a\u0000b"}`).expectError(t, 400, "invalid", "reader")

	// The reads of r0 make its history.
	var rec recommendResponse
	r = env.postJSON("/v1/recommend", `{"reader": "r0", "k": 3}`)
	r.expectStatus(t, http.StatusOK)
	r.decode(t, &rec)
	if len(rec.Neighbors) == 0 || slices.ContainsFunc(rec.Neighbors, func(n recommend.Neighbor) bool { return n.ID == "moon-01" }) {
		t.Errorf("recommend for r0: %+v", rec)
	}
}

func TestRecommend(t *testing.T) {
	env := newEnv(t, Options{})
	ref := reference(t, env)
	for _, tc := range []struct {
		body     string
		history  []string
		negative []string
		strategy recommend.Strategy
		q        recommend.Query
	}{
		{`{"history": ["moon-01", "nope"]}`, []string{"moon-01", "nope"}, nil, recommend.Centroid, recommend.Query{}},
		{`{"history": ["moon-01", "rates-01"], "negative": ["rates-02", "gone"], "k": 8, "dedup": false}`,
			[]string{"moon-01", "rates-01"}, []string{"rates-02", "gone"}, recommend.Centroid, recommend.Query{K: 8, NoDedup: true}},
		{`{"history": ["moon-01", "rates-01"], "strategy": "max", "k": 8}`, []string{"moon-01", "rates-01"}, nil, recommend.MaxSim, recommend.Query{K: 8}},
		{`{"history": ["moon-01", "rates-01"], "negative": ["moon-02"], "strategy": "max", "category": ["business", "science"]}`,
			[]string{"moon-01", "rates-01"}, []string{"moon-02"}, recommend.MaxSim, recommend.Query{Categories: []string{"business", "science"}}},
	} {
		t.Run(tc.body, func(t *testing.T) {
			r := env.postJSON("/v1/recommend", tc.body)
			r.expectStatus(t, http.StatusOK)
			var got recommendResponse
			r.decode(t, &got)
			want, missing := ref.Recommend(tc.history, tc.negative, tc.strategy, tc.q)
			checkNeighbors(t, tc.body, got.Neighbors, want)
			if got.Strategy != tc.strategy || !slices.Equal(got.Missing, missing) && len(missing) > 0 || got.Missing == nil {
				t.Errorf("strategy %q missing %v, want %q %v", got.Strategy, got.Missing, tc.strategy, missing)
			}
		})
	}
	for _, bad := range []struct{ body, field string }{
		{`{}`, "history"}, {`{"history": ["moon-01"], "strategy": "median"}`, "strategy"},
		{`{"history": ["moon-01"], "colour": 1}`, "colour"}, {`{"history": "moon-01"}`, "history"},
		{`{"history": ["moon-01"], "freshness": 0.8, "popularity": 0.5}`, "popularity"},
		{`{"history": ["moon-01"], "half_life": "soon"}`, "half_life"},
		{`{"history": ["moon-01"], "explain": "yes"}`, "explain"},
	} {
		env.postJSON("/v1/recommend", bad.body).expectError(t, 400, "invalid", bad.field)
	}
	env.postJSON("/v1/recommend", `{"history": ["nope"]}`).expectError(t, 404, "not_found", "")
	// A history on POST /v1/similar lists the ids it lacks too.
	var rec recommendResponse
	env.postJSON("/v1/similar", `{"history": ["moon-01", "nope"]}`).decode(t, &rec)
	if !slices.Equal(rec.Missing, []string{"nope"}) || len(rec.Neighbors) == 0 {
		t.Errorf("similar with a history: %+v", rec)
	}
}

// Explanations add up to the score and show words; news-aware options
// are read from the URL and blend the score.
func TestExplainAndRanking(t *testing.T) {
	env := newEnv(t, Options{})
	var res similarResponse
	env.get("/v1/articles/moon-01/similar?explain=true&k=3").decode(t, &res)
	if len(res.Neighbors) == 0 {
		t.Fatal("no neighbors")
	}
	for _, n := range res.Neighbors {
		x := n.Explanation
		if x == nil || len(x.Terms) == 0 {
			t.Fatalf("no explanation: %+v", n)
		}
		sum := x.Other
		for _, ts := range x.Terms {
			sum += ts.Contribution
		}
		if d := sum - n.Score; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s: explanation adds up to %.12f, score %.12f", n.ID, sum, n.Score)
		}
	}
	now := time.Now().UTC().Format(time.RFC3339)
	_ = now
	var blended similarResponse
	env.get("/v1/articles/moon-01/similar?freshness=0.5&half_life=24h&popularity=0.2&diversity=0.7&fill=true").decode(t, &blended)
	for _, n := range blended.Neighbors {
		if n.Parts == nil {
			t.Fatalf("blended neighbor without parts: %+v", n)
		}
		want := 0.3*n.Parts.Cosine + 0.5*n.Parts.Freshness + 0.2*n.Parts.Popularity
		if d := want - n.Score; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s: score %.9f, parts give %.9f", n.ID, n.Score, want)
		}
	}
	var plain similarResponse
	env.get("/v1/articles/moon-01/similar").decode(t, &plain)
	for _, n := range plain.Neighbors {
		if n.Parts != nil || n.Explanation != nil || n.Weak {
			t.Errorf("a plain query got ranking fields: %+v", n)
		}
	}
	var filled similarResponse
	env.get("/v1/articles/moon-01/similar?min_score=0.99&fill=true&k=4").decode(t, &filled)
	if len(filled.Neighbors) == 0 || !filled.Neighbors[0].Weak {
		t.Errorf("fill with min_score 0.99: %+v", filled.Neighbors)
	}
	for _, p := range []string{"freshness=2", "diversity=-1", "fill=maybe", "half_life=0s", "explain=1x"} {
		env.get("/v1/articles/moon-01/similar?"+p).expectStatus(t, http.StatusBadRequest)
	}
}

func TestStatsOverviewAndConfig(t *testing.T) {
	env := newEnv(t, Options{APIKey: "k"})
	env.do("POST", "/v1/articles/cup-01/reads", "application/json", "").expectStatus(t, http.StatusOK)
	var st statsResult
	env.get("/v1/stats").decode(t, &st)
	if st.Categories["sport"] == 0 || st.Languages["en"] == 0 || st.Reads != 1 || len(st.MostRead) != 1 || st.MostRead[0].ID != "cup-01" {
		t.Errorf("stats %+v", st)
	}
	var cfg configResult
	env.get("/v1/config").decode(t, &cfg)
	if !cfg.WritesNeedKey || cfg.ReadsNeedKey || cfg.MaxK != 100 {
		t.Errorf("config %+v", cfg)
	}
}
