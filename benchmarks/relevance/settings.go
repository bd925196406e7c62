package relevance

import (
	"fmt"
	"strconv"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// Settings are the knobs of the model that the benchmark turns, every one
// explicit: no field's zero value stands for a default here.
type Settings struct {
	TitleWeight int          `json:"title_weight"` // each title term counts this many times
	ShortBody   int          `json:"short_body"`   // a body of fewer words counts its title once; 0 = never
	Grams       int          `json:"grams"`        // character n-grams; 0 = each language's default, -1 = none
	GramWeight  float64      `json:"gram_weight"`  // an n-gram term's share of a word's weight
	TF          vectorize.TF `json:"-"`            // TFRaw, TFSublinear or TFBM25
	K1          float64      `json:"k1"`           // TFBM25's saturation
	Stop        string       `json:"stop"`         // "none", "snowball" or "extended"
	Stemming    bool         `json:"stemming"`
	MinLength   int          `json:"min_length"` // runes; 1 keeps all
	MinDF       int          `json:"min_df"`     // 1 keeps all
	MaxDF       float64      `json:"max_df"`     // 1 keeps all
	// Dedup is the near-duplicate threshold: a neighbour scoring at or
	// above it against the query is left out. Off (2) keeps them.
	Dedup float64 `json:"dedup"`
}

// Off is the Dedup that keeps near-duplicates.
const Off = 2

// Stop lists by name.
var stopLists = map[string]vectorize.StopList{"snowball": vectorize.StopSnowball, "extended": vectorize.StopExtended}

// Defaults returns the engine's defaults: what recommend.Options{} gives.
func Defaults() Settings {
	ao := vectorize.NewAnalyzer(vectorize.Options{StemCacheSize: -1}).Options()
	mo := vectorize.ModelOptions{}.WithDefaults()
	s := Settings{
		TitleWeight: ao.TitleWeight,
		ShortBody:   max(ao.ShortBody, 0),
		Grams:       ao.Grams,
		GramWeight:  mo.GramWeight,
		K1:          mo.K1,
		TF:          mo.TF,
		Stop:        ao.StopList.String(),
		Stemming:    !ao.NoStemming,
		MinLength:   max(ao.MinLength, 1),
		MinDF:       mo.MinDF,
		MaxDF:       mo.MaxDF,
		Dedup:       recommend.DefaultDedup,
	}
	if ao.KeepStopWords {
		s.Stop = "none"
	}
	return s
}

// Validate reports a setting out of range.
func (s Settings) Validate() error {
	_, known := stopLists[s.Stop]
	switch {
	case s.TitleWeight < 1:
		return fmt.Errorf("title weight must be at least 1, got %d", s.TitleWeight)
	case s.ShortBody < 0:
		return fmt.Errorf("short body must be 0 (off) or a number of words, got %d", s.ShortBody)
	case s.Grams < -1:
		return fmt.Errorf("grams must be -1 (none), 0 (the language's) or a size, got %d", s.Grams)
	case !(s.K1 > 0):
		return fmt.Errorf("k1 must be above 0, got %g", s.K1)
	case !(s.GramWeight > 0):
		return fmt.Errorf("gram weight must be above 0, got %g", s.GramWeight)
	case s.TF != vectorize.TFRaw && s.TF != vectorize.TFSublinear && s.TF != vectorize.TFBM25:
		return fmt.Errorf("tf must be raw, sublinear or bm25, got %v", s.TF)
	case !known && s.Stop != "none":
		return fmt.Errorf("stop must be none, snowball or extended, got %q", s.Stop)
	case s.MinLength < 1:
		return fmt.Errorf("min length must be at least 1, got %d", s.MinLength)
	case s.MinDF < 1:
		return fmt.Errorf("min_df must be at least 1, got %d", s.MinDF)
	case !(s.MaxDF > 0 && s.MaxDF <= 1):
		return fmt.Errorf("max_df must be a share above 0, at most 1, got %g", s.MaxDF)
	case !(s.Dedup > 0):
		return fmt.Errorf("dedup must be above 0 (%d keeps near-duplicates), got %g", Off, s.Dedup)
	}
	return nil
}

// Analyzer returns the analyzer options of s.
func (s Settings) Analyzer() vectorize.Options {
	o := vectorize.Options{
		TitleWeight:   s.TitleWeight,
		ShortBody:     s.ShortBody,
		Grams:         s.Grams,
		MinLength:     s.MinLength,
		StopList:      stopLists[s.Stop],
		KeepStopWords: s.Stop == "none",
		NoStemming:    !s.Stemming,
	}
	if s.Stop == "none" {
		o.StopList = vectorize.StopSnowball
	}
	if s.ShortBody == 0 {
		o.ShortBody = -1
	}
	return o
}

// Options returns the engine options of s, without automatic refits.
func (s Settings) Options() recommend.Options {
	return recommend.Options{
		Analyzer:   s.Analyzer(),
		Model:      vectorize.ModelOptions{TF: s.TF, MinDF: s.MinDF, MaxDF: s.MaxDF, GramWeight: s.GramWeight, K1: s.K1},
		Dedup:      s.Dedup,
		RefitShare: -1,
	}
}

// analyzerKey names what the stored term counts depend on: settings with
// the same key can share a loaded store.
func (s Settings) analyzerKey() string {
	return fmt.Sprintf("%d/%d/%d/%s/%t/%d", s.TitleWeight, s.ShortBody, s.Grams, s.Stop, s.Stemming, s.MinLength)
}

// String is the settings in the form of the quality table.
func (s Settings) String() string {
	tf := s.TF.String()
	if s.TF == vectorize.TFBM25 {
		tf += fmt.Sprintf("(k1=%g)", s.K1)
	}
	return fmt.Sprintf("title=%d short_body=%d grams=%s gram_w=%g tf=%s stop=%s stem=%s minlen=%d min_df=%d max_df=%g dedup=%s",
		s.TitleWeight, s.ShortBody, gramsString(s.Grams), s.GramWeight, tf, s.Stop, onOff(s.Stemming), s.MinLength, s.MinDF, s.MaxDF, DedupString(s.Dedup))
}

// DedupString formats a dedup threshold, "off" for one that keeps
// near-duplicates.
func DedupString(d float64) string {
	if d > 1 {
		return "off"
	}
	return strconv.FormatFloat(d, 'g', -1, 64)
}

// ParseDedup is the inverse of DedupString.
func ParseDedup(s string) (float64, error) {
	if s == "off" {
		return Off, nil
	}
	d, err := strconv.ParseFloat(s, 64)
	if err != nil || !(d > 0) {
		return 0, fmt.Errorf("dedup must be a score above 0 or off, got %q", s)
	}
	return d, nil
}

// ParseTF parses "raw", "sublinear" or "bm25".
func ParseTF(s string) (vectorize.TF, error) {
	switch s {
	case "raw":
		return vectorize.TFRaw, nil
	case "sublinear":
		return vectorize.TFSublinear, nil
	case "bm25":
		return vectorize.TFBM25, nil
	}
	return 0, fmt.Errorf("tf must be raw, sublinear or bm25 (k1 = 1.2), got %q", s)
}

// gramsString formats Settings.Grams.
func gramsString(g int) string {
	switch g {
	case 0:
		return "lang"
	case -1:
		return "off"
	}
	return strconv.Itoa(g)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
