package vectorize

// Inspection is every stage of the pipeline for one document, for debugging
// relevance (like Elasticsearch's _analyze).
type Inspection struct {
	Lang     string       `json:"lang"`
	Words    int          `json:"words"`
	Repeated int          `json:"repeated_paragraphs"`
	Tokens   []Token      `json:"tokens"`
	Counts   []TermWeight `json:"terms"`
	Model    string       `json:"model,omitempty"`
	Settings string       `json:"settings"`
}

// Token is one word of the text and what became of it.
type Token struct {
	Field   string `json:"field"`             // "title" or "body"
	Word    string `json:"word"`              // after normalisation
	Term    string `json:"term,omitempty"`    // the stem counted, when kept
	Dropped string `json:"dropped,omitempty"` // "short", "number" or "stop", when not kept
}

// TermWeight is one term of the document with its count and, when a model
// was given, its df, idf and final L2-normalised weight.
type TermWeight struct {
	Term   string  `json:"term"`
	Count  uint32  `json:"count"`
	DF     uint32  `json:"df,omitempty"`
	IDF    float64 `json:"idf,omitempty"`
	Weight float64 `json:"weight,omitempty"`
}

// Inspect returns every stage of the analysis of d: the words in order with
// the term each became or why it was dropped, the term counts and, when m is
// not nil, each term's df, idf and weight under m (computed in float64; m's
// dictionary is not changed). Errors are those of Analyze.
func (a *Analyzer) Inspect(d Document, m *Model) (Inspection, error) {
	var ins Inspection
	var s scratch
	res, err := a.analyze(d, &s, func(field, word, term, dropped string) {
		ins.Tokens = append(ins.Tokens, Token{Field: field, Word: word, Term: term, Dropped: dropped})
	})
	if err != nil {
		return Inspection{}, err
	}
	ins.Lang, ins.Words, ins.Repeated = res.Lang, res.Words, res.Repeated
	ins.Settings = a.opts.String()
	ins.Counts = make([]TermWeight, len(res.Counts))
	for i, tc := range res.Counts {
		ins.Counts[i] = TermWeight{Term: tc.Term, Count: tc.Count}
	}
	if m == nil {
		return ins, nil
	}
	ins.Model = m.opts.String()
	for i, w := range m.Weights64(res.Counts) {
		tw := &ins.Counts[i]
		tw.Weight = w
		if id, ok := m.dict.ID(tw.Term); ok {
			tw.IDF, tw.DF = m.TermIDF(id)
		} else {
			tw.IDF = m.unseen
		}
	}
	return ins, nil
}
