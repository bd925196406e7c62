package main

import (
	"strings"
	"testing"

	"github.com/readalike/readalike/recommend"
)

func TestDemoCollection(t *testing.T) {
	arts, err := demoCollection()
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) < 60 {
		t.Errorf("%d articles, want at least 60", len(arts))
	}
	ids := map[string]bool{}
	cats := map[string]int{}
	langs := map[string]int{}
	col, err := openCollection(t.Context(), "", recommend.Options{RefitShare: -1}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer col.Close()
	for _, a := range arts {
		if ids[a.ID] {
			t.Errorf("id %s twice", a.ID)
		}
		ids[a.ID] = true
		cats[a.Category]++
		if err := col.Engine.Validate(&a); err != nil {
			t.Errorf("%s: %v", a.ID, err)
		}
		langs[a.Lang]++
		if !strings.HasPrefix(a.URL, "https://example.com/") {
			t.Errorf("%s: url %q, want one under https://example.com/", a.ID, a.URL)
		}
		if a.Title == "" || a.Category == "" || a.Published.IsZero() {
			t.Errorf("%s lacks a title, category or date", a.ID)
		}
	}
	if len(cats) < 6 || cats[""] > 0 {
		t.Errorf("categories %v, want at least 6", cats)
	}
	if len(langs) < 3 || langs["en"] == len(arts) {
		t.Errorf("languages %v, want several", langs)
	}
	if _, ok := ids["sci-lunar-lander-001"]; !ok {
		t.Error("the article of serve's example curl line is missing")
	}

	n, err := loadDemo(t.Context(), col.Engine)
	if err != nil || n != len(arts) {
		t.Fatalf("loadDemo: %d, %v", n, err)
	}
	if n, err := loadDemo(t.Context(), col.Engine); n != 0 || err != nil {
		t.Errorf("second loadDemo: %d, %v; want 0: the collection has articles", n, err)
	}
	// Most articles find one of their own category among their five nearest.
	hits := 0
	for _, a := range arts {
		res, err := col.Engine.Similar(t.Context(), a.ID, recommend.Query{K: 5})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range res.Neighbors {
			if m.Category == a.Category {
				hits++
				break
			}
		}
	}
	if share := float64(hits) / float64(len(arts)); share < 0.8 {
		t.Errorf("%d of %d articles (%.0f%%) have one of their category in their top 5, want at least 80%%", hits, len(arts), 100*share)
	} else {
		t.Logf("%d of %d articles have one of their category in their top 5", hits, len(arts))
	}
}
