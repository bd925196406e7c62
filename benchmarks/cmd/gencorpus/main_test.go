package main

import (
	"encoding/json"
	"testing"

	"github.com/readalike/readalike/benchmarks/corpus"
)

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	arts := []corpus.Article{
		{ID: "a0000001", Title: "Plain Title", Body: "One.\n\nTwo, three.", Topic: 7, Story: 12},
		{ID: "x", Title: "quote \" back\\slash\ttab \x01 é", Body: "", Topic: 0, Story: -1},
	}
	arts = append(arts, corpus.New(corpus.Options{Seed: 5}).Chunk(0)[:20]...)
	for _, a := range arts {
		want, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		if got := appendJSON(nil, a); string(got) != string(want) {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}
