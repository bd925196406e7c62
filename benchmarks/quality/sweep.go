package main

import (
	"slices"

	"github.com/readalike/readalike/benchmarks/relevance"
	"github.com/readalike/readalike/vectorize"
)

// knob sets one setting to the i-th of its values.
type knob struct {
	values int
	set    func(s *relevance.Settings, i int)
}

// grid is what -sweep varies: each knob over the values worth trying.
var grid = map[string]knob{
	"title":     {4, func(s *relevance.Settings, i int) { s.TitleWeight = []int{1, 2, 3, 4}[i] }},
	"shortbody": {3, func(s *relevance.Settings, i int) { s.ShortBody = []int{0, 40, 60}[i] }},
	"grams":     {4, func(s *relevance.Settings, i int) { s.Grams = []int{-1, 0, 4, 5}[i] }},
	"gramw":     {3, func(s *relevance.Settings, i int) { s.GramWeight = []float64{0.2, 0.3, 0.5}[i] }},
	"tf": {3, func(s *relevance.Settings, i int) {
		s.TF = []vectorize.TF{vectorize.TFRaw, vectorize.TFSublinear, vectorize.TFBM25}[i]
	}},
	"stop":   {3, func(s *relevance.Settings, i int) { s.Stop = []string{"none", "snowball", "extended"}[i] }},
	"stem":   {2, func(s *relevance.Settings, i int) { s.Stemming = i == 0 }},
	"minlen": {3, func(s *relevance.Settings, i int) { s.MinLength = []int{1, 2, 3}[i] }},
	"mindf":  {4, func(s *relevance.Settings, i int) { s.MinDF = []int{1, 2, 3, 5}[i] }},
	"maxdf":  {4, func(s *relevance.Settings, i int) { s.MaxDF = []float64{1, 0.5, 0.2, 0.1}[i] }},
	"dedup": {5, func(s *relevance.Settings, i int) {
		s.Dedup = []float64{0.8, 0.9, 0.95, 0.9999, relevance.Off}[i]
	}},
}

func knobNames() []string {
	names := make([]string, 0, len(grid))
	for k := range grid {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// sweep returns base, then base with each knob of knobs set to each of its
// other values in turn: one factor at a time.
func sweep(base relevance.Settings, knobs []string) []relevance.Settings {
	out := []relevance.Settings{base}
	for _, name := range knobs {
		k := grid[name]
		for i := range k.values {
			s := base
			k.set(&s, i)
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}
