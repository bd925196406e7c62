package vectorize

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The corpus of the hand computation below: N = 4, df(appl) = 3,
// df(banana) = df(cherri) = 2, df(date) = 1, so
//
//	idf(appl)   = ln(5/4) + 1 = 1.2231435513142097
//	idf(banana) = ln(5/3) + 1 = 1.5108256237659907 = idf(cherri)
//	idf(date)   = ln(5/2) + 1 = 1.916290731874155
//
// and d1 raw = (2*1.22314, 1*1.51083) / 2.87520 = (0.85082, 0.52546).
var handCorpus = []Counts{
	{{Term: "appl", Count: 2}, {Term: "banana", Count: 1}},
	{{Term: "appl", Count: 1}, {Term: "cherri", Count: 1}},
	{{Term: "banana", Count: 3}},
	{{Term: "appl", Count: 1}, {Term: "cherri", Count: 1}, {Term: "date", Count: 4}},
}

var handWeights = map[bool][]map[string]float64{
	false: { // raw tf
		{"appl": 0.8508160982744233, "banana": 0.5254635733493682},
		{"appl": 0.6292275146695526, "cherri": 0.7772211620785797},
		{"banana": 1},
		{"appl": 0.1546754611500279, "cherri": 0.19105496637920943, "date": 0.9693159967419631},
	},
	true: { // sublinear tf: 1 + ln(tf)
		{"appl": 0.8078683906158031, "banana": 0.5893629301574982},
		{"appl": 0.6292275146695526, "cherri": 0.7772211620785797},
		{"banana": 1},
		{"appl": 0.24616223879979263, "cherri": 0.30405933758366444, "date": 0.9202999899039754},
	},
}

func TestTFIDFByHand(t *testing.T) {
	for _, sublinear := range []bool{false, true} {
		m := Fit(handCorpus, ModelOptions{TF: tfOf(sublinear)})
		if got, want := m.N(), 4; got != want {
			t.Fatalf("N = %d, want %d", got, want)
		}
		for i, c := range handCorpus {
			want := handWeights[sublinear][i]
			w64 := m.Weights64(c)
			v := m.IndexVector(c)
			if len(v) != len(want) {
				t.Fatalf("sublinear=%v doc %d: %d entries, want %d", sublinear, i, len(v), len(want))
			}
			for j, tc := range c {
				if d := math.Abs(w64[j] - want[tc.Term]); d > 1e-12 {
					t.Errorf("sublinear=%v doc %d %s: float64 weight %.17g, want %.17g", sublinear, i, tc.Term, w64[j], want[tc.Term])
				}
			}
			for _, e := range v {
				term := m.Dictionary().Term(e.ID)
				if d := math.Abs(float64(e.Weight) - want[term]); d > 1e-6 {
					t.Errorf("sublinear=%v doc %d %s: float32 weight %g, want %g", sublinear, i, term, e.Weight, want[term])
				}
			}
		}
	}
}

// tfOf maps the keys of handWeights to a TF.
func tfOf(sublinear bool) TF {
	if sublinear {
		return TFSublinear
	}
	return TFRaw
}

func TestCosineByHand(t *testing.T) {
	m := Fit(handCorpus, ModelOptions{TF: TFRaw})
	v := make([]Vector, len(handCorpus))
	for i, c := range handCorpus {
		v[i] = m.IndexVector(c)
	}
	w := handWeights[false]
	tests := []struct {
		a, b int
		want float64
	}{
		{0, 1, w[0]["appl"] * w[1]["appl"]},
		{0, 2, w[0]["banana"]},
		{1, 3, w[1]["appl"]*w[3]["appl"] + w[1]["cherri"]*w[3]["cherri"]},
		{2, 3, 0},
		{3, 3, 1},
	}
	for _, tt := range tests {
		if got := Cosine(v[tt.a], v[tt.b]); math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("Cosine(d%d, d%d) = %g, want %g", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestQueryUnseenTerm(t *testing.T) {
	m := Fit(handCorpus, ModelOptions{})
	// "elder" is not in the table: df counts as 1, so
	// w = (1.2231435513142097, ln(5/2)+1) / norm.
	q := m.QueryVector(Counts{{Term: "appl", Count: 1}, {Term: "elder", Count: 1}})
	if len(q) != 1 || m.Dictionary().Term(q[0].ID) != "appl" {
		t.Fatalf("query vector = %v, want only appl", q)
	}
	if d := math.Abs(float64(q[0].Weight) - 0.5380289691033573); d > 1e-6 {
		t.Errorf("appl weight = %g, want 0.5380289691033573", q[0].Weight)
	}
	if _, ok := m.Dictionary().ID("elder"); ok {
		t.Error("Query added a term to the dictionary")
	}
	// Vector, for an article joining the collection, adds it.
	v := m.IndexVector(Counts{{Term: "appl", Count: 1}, {Term: "elder", Count: 1}})
	if len(v) != 2 || math.Abs(float64(v[1].Weight)-0.8429263481500496) > 1e-6 {
		t.Errorf("article vector = %v, want elder at 0.8429263481500496", v)
	}
}

func TestPruning(t *testing.T) {
	// max_df 0.5: appl (3 of 4) goes; min_df 2: date (1 of 4) goes.
	m := Fit(handCorpus, ModelOptions{MinDF: 2, MaxDF: 0.5})
	v := m.IndexVector(handCorpus[3])
	if len(v) != 1 || m.Dictionary().Term(v[0].ID) != "cherri" || v[0].Weight != 1 {
		t.Errorf("pruned vector of d4 = %v, want cherri alone at weight 1", v)
	}
	if err := (ModelOptions{MaxDF: 1.5}).Validate(); err == nil {
		t.Error("MaxDF 1.5 validated")
	}
	if err := (ModelOptions{MinDF: -1}).Validate(); err == nil {
		t.Error("MinDF -1 validated")
	}
	if err := (ModelOptions{TF: 7}).Validate(); err == nil {
		t.Error("TF 7 validated")
	}
}

func TestModelOptionsDefaults(t *testing.T) {
	tests := []struct {
		opts ModelOptions
		want ModelOptions
		str  string
	}{
		{ModelOptions{}, ModelOptions{TF: DefaultTF, MinDF: DefaultMinDF, MaxDF: DefaultMaxDF, GramWeight: DefaultGramWeight, K1: DefaultK1}, "tf=bm25(k1=1.6) min_df=1 max_df=1 gram_weight=0.7"},
		{ModelOptions{TF: TFRaw, MinDF: 2, MaxDF: 0.5, GramWeight: 1}, ModelOptions{TF: TFRaw, MinDF: 2, MaxDF: 0.5, GramWeight: 1, K1: DefaultK1}, "tf=raw min_df=2 max_df=0.5 gram_weight=1"},
		{ModelOptions{TF: TFBM25, K1: 2}, ModelOptions{TF: TFBM25, MinDF: 1, MaxDF: 1, GramWeight: DefaultGramWeight, K1: 2}, "tf=bm25(k1=2) min_df=1 max_df=1 gram_weight=0.7"},
	}
	for _, tt := range tests {
		if got := tt.opts.WithDefaults(); got != tt.want {
			t.Errorf("%+v.WithDefaults() = %+v, want %+v", tt.opts, got, tt.want)
		}
		if got := tt.opts.String(); got != tt.str {
			t.Errorf("%+v.String() = %q, want %q", tt.opts, got, tt.str)
		}
		if got := Fit(handCorpus, tt.opts).Options(); got != tt.want {
			t.Errorf("Fit(%+v).Options() = %+v, want %+v", tt.opts, got, tt.want)
		}
	}
	// BM25's tf, k1 = 1.6 by default, is the zero value's: tf·idf by the
	// formulas, normalised.
	bm := Fit(handCorpus, ModelOptions{})
	idf := map[string]float64{"appl": 1.2231435513142097, "banana": 1.5108256237659907, "cherri": 1.5108256237659907, "date": 1.916290731874155}
	for i, c := range handCorpus {
		want := make([]float64, len(c))
		var norm float64
		for j, tc := range c {
			n := float64(tc.Count)
			want[j] = n * 2.6 / (n + 1.6) * idf[tc.Term]
			norm += want[j] * want[j]
		}
		for j, w := range bm.Weights64(c) {
			if d := math.Abs(w - want[j]/math.Sqrt(norm)); d > 1e-12 {
				t.Errorf("bm25, doc %d %s: weight %g, want %g", i, c[j].Term, w, want[j]/math.Sqrt(norm))
			}
		}
	}
}

func TestTFBM25(t *testing.T) {
	m := Fit(nil, ModelOptions{TF: TFBM25, K1: 1.2})
	for _, tt := range []struct {
		count uint32
		want  float64
	}{{0, 0}, {1, 1}, {2, 2 * 2.2 / 3.2}, {1000, 1000 * 2.2 / 1001.2}} {
		if got := m.TF(tt.count); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("TF(%d) = %g, want %g", tt.count, got, tt.want)
		}
	}
}

// TestGramWeight checks that a character n-gram term weighs GramWeight
// times a word term of the same count and df.
func TestGramWeight(t *testing.T) {
	docs := []Counts{{{Term: "#verk", Count: 1}, {Term: "verk", Count: 1}}, {{Term: "#verk", Count: 1}, {Term: "verk", Count: 1}}, {{Term: "x", Count: 1}}}
	for _, gw := range []float64{0.5, 1, 2} {
		m := Fit(docs, ModelOptions{GramWeight: gw})
		w := m.Weights64(docs[0])
		if got := w[0] / w[1]; math.Abs(got-gw) > 1e-12 {
			t.Errorf("gram weight %g: gram/word = %g, want %g", gw, got, gw)
		}
	}
	if err := (ModelOptions{GramWeight: -1}).Validate(); err == nil {
		t.Error("a negative gram weight validated")
	}
}

// TestMaxDFOneKeepsAll checks that MaxDF 1 prunes nothing, not even in an
// empty collection, where every term of a new article is unseen.
func TestMaxDFOneKeepsAll(t *testing.T) {
	m := NewModel(NewDictionary(), 0, nil, ModelOptions{MaxDF: 1})
	if v := m.IndexVector(Counts{{Term: "appl", Count: 1}, {Term: "banana", Count: 2}}); len(v) != 2 {
		t.Errorf("vector in an empty collection = %v, want both terms", v)
	}
}

// TestVectorMatchesFloat64 checks the float32 vectors against the float64
// path on random counts.
func TestVectorMatchesFloat64(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	docs := make([]Counts, 200)
	for i := range docs {
		m := map[string]uint32{}
		for range 1 + r.IntN(40) {
			m[string(rune('a'+r.IntN(26)))+string(rune('a'+r.IntN(26)))] += uint32(1 + r.IntN(5))
		}
		docs[i] = CountsFromMap(m)
	}
	for _, sub := range []bool{false, true} {
		m := Fit(docs, ModelOptions{TF: tfOf(sub)})
		for _, c := range docs {
			w := m.Weights64(c)
			v := m.IndexVector(c)
			var norm float64
			for i, tc := range c {
				id, _ := m.Dictionary().ID(tc.Term)
				var got float32
				for _, e := range v {
					if e.ID == id {
						got = e.Weight
					}
				}
				if math.Abs(float64(got)-w[i]) > 1e-6 {
					t.Fatalf("term %s: float32 %g, float64 %g", tc.Term, got, w[i])
				}
				norm += w[i] * w[i]
			}
			if math.Abs(norm-1) > 1e-12 {
				t.Fatalf("float64 norm² = %.15g, want 1", norm)
			}
		}
	}
}
