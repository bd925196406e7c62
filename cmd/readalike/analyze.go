package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
	"github.com/readalike/readalike/storage"
	"github.com/readalike/readalike/vectorize"
)

func runAnalyze(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("analyze", "[--lang L] [--title T] TEXT | --input FILE.jsonl [--vectors]")
	lang := fs.String("lang", "", "the language of TEXT (ISO 639-1; default en)")
	title := fs.String("title", "", "a title for TEXT")
	input := fs.String("input", "", "a JSONL file of articles: print one JSON line of terms per article")
	vectors := fs.Bool("vectors", false, "with --input: also print each article's TF-IDF weights under a model fitted on the file")
	data := fs.String("data", "", "with TEXT: weigh its terms under this collection's model")
	asJSON := fs.Bool("json", false, "with TEXT: print the whole inspection as JSON")
	if _, err := parse(e, fs, args); err != nil {
		return err
	}
	engineOpts := recommend.Options{}
	analyzer := vectorize.NewAnalyzer(engineOpts.Analyzer)
	if *input != "" {
		if fs.NArg() > 0 {
			return usagef("give either TEXT or --input, not both")
		}
		return analyzeFile(ctx, e, analyzer, engineOpts.Model, *input, *vectors)
	}
	if fs.NArg() != 1 {
		return usagef("give one TEXT (quoted) or --input FILE.jsonl")
	}
	if *vectors {
		return usagef("--vectors goes with --input FILE.jsonl; for TEXT, --data DIR gives the weights")
	}
	var col *storage.Collection
	if *data != "" {
		var err error
		if col, err = openExisting(ctx, e, &storeFlags{data: *data}); err != nil {
			return err
		}
		defer col.Close()
	}
	text := recommend.Text{Title: *title, Body: fs.Arg(0), Lang: *lang}
	var ins vectorize.Inspection
	var err error
	if col != nil {
		ins, err = col.Engine.Inspect(text)
	} else {
		ins, err = analyzer.Inspect(vectorize.Document{Title: text.Title, Body: text.Body, Lang: text.Lang}, nil)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, ins)
	}
	printInspection(e.stdout, ins)
	return nil
}

func printInspection(w io.Writer, ins vectorize.Inspection) {
	fmt.Fprintf(w, "language %s, %d words, %d repeated paragraphs dropped\nsettings: %s\n", ins.Lang, ins.Words, ins.Repeated, ins.Settings)
	if ins.Model != "" {
		fmt.Fprintf(w, "model: %s\n", ins.Model)
	}
	fmt.Fprintln(w, "\nwords:")
	var line []string
	for _, t := range ins.Tokens {
		switch {
		case t.Dropped != "":
			line = append(line, fmt.Sprintf("(%s: %s)", t.Word, t.Dropped))
		case t.Term != t.Word:
			line = append(line, t.Word+"→"+t.Term)
		default:
			line = append(line, t.Word)
		}
	}
	fmt.Fprintln(w, "  "+strings.Join(line, " "))
	fmt.Fprintln(w, "\nterms:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if ins.Model != "" {
		fmt.Fprintln(tw, "  TERM\tCOUNT\tDF\tIDF\tWEIGHT")
	} else {
		fmt.Fprintln(tw, "  TERM\tCOUNT")
	}
	for _, c := range ins.Counts {
		if ins.Model != "" {
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%.4f\t%.4f\n", c.Term, c.Count, c.DF, c.IDF, c.Weight)
		} else {
			fmt.Fprintf(tw, "  %s\t%d\n", c.Term, c.Count)
		}
	}
	tw.Flush()
}

// analyzeFile prints one JSON line per article of a JSONL file: its id, word
// count and term counts (title weight applied), and with vectors its final
// weights under a model fitted on the file, after a first line stating the
// settings. It keeps the articles ingest would: bad lines are reported and
// skipped, and of an id that repeats the later line wins (in the place of
// the first), so the model is the one a collection of the file gets.
func analyzeFile(ctx context.Context, e *env, a *vectorize.Analyzer, mo vectorize.ModelOptions, path string, vectors bool) error {
	type row struct {
		id     string
		words  int
		counts vectorize.Counts
	}
	var rows []row
	at := map[string]int{} // id -> position in rows
	bad := 0
	err := articleio.Read([]string{path}, e.stdin, func(r articleio.Record) error {
		if r.Err == nil {
			r.Err = r.Check(func(a *recommend.Article) error { return recommend.Validate(a, 0) })
		}
		if r.Err == nil {
			recommend.DetectLang(&r.Article) // as a write would
			res, err := a.Analyze(vectorize.Document{Title: r.Article.Title, Body: r.Article.Body, Lang: r.Article.Lang})
			if err == nil {
				x := row{r.Article.ID, res.Words, res.Counts}
				if i, ok := at[x.id]; ok {
					rows[i] = x
				} else {
					at[x.id] = len(rows)
					rows = append(rows, x)
				}
				return nil
			}
			r.Err = err
		}
		bad++
		fmt.Fprintf(e.stderr, "%s: %v\n", r.Where(), r.Err)
		return nil
	})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	var m *vectorize.Model
	if vectors {
		docs := make([]vectorize.Counts, len(rows))
		for i, r := range rows {
			docs[i] = r.counts
		}
		m = vectorize.Fit(docs, mo)
		mo = m.Options() // defaults filled in
		ao := a.Options()
		if err := enc.Encode(map[string]any{"model": map[string]any{
			"articles": len(rows), "tf": mo.TF.String(), "idf": "ln((1+N)/(1+df))+1", "norm": "l2",
			"title_weight": ao.TitleWeight, "min_df": mo.MinDF, "max_df": mo.MaxDF,
			"min_length": ao.MinLength, "max_digits": ao.MaxDigits,
			"stop_words": !ao.KeepStopWords, "stemming": !ao.NoStemming,
		}}); err != nil {
			return err
		}
	}
	for _, r := range rows {
		terms := make(map[string]uint32, len(r.counts))
		for _, tc := range r.counts {
			terms[tc.Term] = tc.Count
		}
		out := map[string]any{"id": r.id, "words": r.words, "terms": terms}
		if m != nil {
			weights := make(map[string]float64, len(r.counts))
			for i, w := range m.Weights64(r.counts) {
				weights[r.counts[i].Term] = w
			}
			out["weights"] = weights
		}
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	if bad > 0 {
		return fmt.Errorf("%w: %d", errSkipped, bad)
	}
	return nil
}
