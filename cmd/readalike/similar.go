package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
)

// queryFlags are the filters of similar and batch.
type queryFlags struct {
	k          int
	categories string
	from, to   string
	exclude    string
	dedup      bool
	minScore   float64
	explain    bool
}

func (q *queryFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&q.k, "k", recommend.DefaultK, fmt.Sprintf("neighbors per article, 1 to %d", recommend.MaxK))
	fs.StringVar(&q.categories, "category", "", "only articles of these categories (comma-separated)")
	fs.StringVar(&q.from, "from", "", "only articles published at or after this time (RFC 3339, or a date YYYY-MM-DD)")
	fs.StringVar(&q.to, "to", "", "only articles published at or before this time (a date YYYY-MM-DD includes that whole day)")
	fs.StringVar(&q.exclude, "exclude", "", "ids never returned (comma-separated)")
	fs.BoolVar(&q.dedup, "dedup", true, "leave out near-duplicates of the query (the same story)")
	fs.Float64Var(&q.minScore, "min-score", 0, "leave out neighbors scoring below this")
	fs.BoolVar(&q.explain, "explain", false, "say why: the shared words of each neighbor, largest part of the score first")
}

func (q *queryFlags) query() (recommend.Query, error) {
	out := recommend.Query{K: q.k, NoDedup: !q.dedup, MinScore: q.minScore, Explain: q.explain,
		Categories: splitList(q.categories), Exclude: splitList(q.exclude)}
	var err error
	if out.From, err = articleio.ParseBound(q.from, false); err != nil {
		return out, usagef("--from: %v", err)
	}
	if out.To, err = articleio.ParseBound(q.to, true); err != nil {
		return out, usagef("--to: %v", err)
	}
	if q.k < 1 {
		return out, usagef("--k must be from 1 to %d", recommend.MaxK)
	}
	if err := out.Validate(); err != nil {
		return out, usagef("--%s", strings.ReplaceAll(err.Error(), "_", "-"))
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func runSimilar(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("similar", "--data DIR (ID | --text TEXT [--title T] [--lang L])")
	var sf storeFlags
	sf.register(fs)
	var qf queryFlags
	qf.register(fs)
	text := fs.String("text", "", "a text that need not be in the collection, instead of an ID")
	title := fs.String("title", "", "the title of --text")
	lang := fs.String("lang", "", "the language of --text (ISO 639-1; default en)")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if _, err := parse(e, fs, args); err != nil {
		return err
	}
	if err := needData(&sf); err != nil {
		return err
	}
	q, err := qf.query()
	if err != nil {
		return err
	}
	if (fs.NArg() == 1) == (*text != "") || fs.NArg() > 1 {
		return usagef("give exactly one of an article ID or --text")
	}
	col, err := openExisting(ctx, e, &sf)
	if err != nil {
		return err
	}
	defer col.Close()
	var res recommend.Result
	id := ""
	if *text != "" {
		res, err = col.Engine.SimilarText(ctx, recommend.Text{Title: *title, Body: *text, Lang: *lang}, q)
	} else {
		id = fs.Arg(0)
		res, err = col.Engine.Similar(ctx, id, q)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, similarJSON{ID: id, Generation: res.Generation, Neighbors: res.Neighbors})
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RANK\tSCORE\tID\tTITLE")
	for i, m := range res.Neighbors {
		fmt.Fprintf(tw, "%d\t%.4f\t%s\t%s\n", i+1, m.Score, m.ID, m.Title)
		if x := m.Explanation; x != nil {
			var parts []string
			for _, ts := range x.Terms {
				parts = append(parts, fmt.Sprintf("%s %.4f", ts.Word, ts.Contribution))
			}
			parts = append(parts, fmt.Sprintf("other %.4f", x.Other))
			fmt.Fprintf(tw, "\t\t\t  why: %s\n", strings.Join(parts, ", "))
		}
	}
	if len(res.Neighbors) == 0 {
		fmt.Fprintln(tw, "-\t-\t-\t(no similar article)")
	}
	return tw.Flush()
}

// similarJSON is the shape of GET /v1/articles/{id}/similar.
type similarJSON struct {
	ID         string               `json:"id,omitempty"`
	Generation uint64               `json:"generation"`
	Neighbors  []recommend.Neighbor `json:"neighbors"`
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runRefit(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("refit", "--data DIR")
	var sf storeFlags
	sf.register(fs)
	if _, err := parse(e, fs, args); err != nil {
		return err
	}
	col, err := openExisting(ctx, e, &sf)
	if err != nil {
		return err
	}
	defer col.Close()
	gen, err := col.Engine.Refit(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "generation %d fitted on %d articles\n", gen, col.Engine.Stats().Articles)
	return nil
}

func runStats(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("stats", "--data DIR [--json]")
	var sf storeFlags
	sf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(e, fs, args); err != nil {
		return err
	}
	col, err := openExisting(ctx, e, &sf)
	if err != nil {
		return err
	}
	defer col.Close()
	st := col.Engine.Stats()
	lsm, vlog, err := col.DB.Size()
	if err != nil {
		return err
	}
	o := col.Engine.Overview(10)
	if *asJSON {
		return printJSON(e.stdout, struct {
			recommend.Stats
			recommend.Overview
			StoreBytes int64 `json:"store_bytes"`
		}{st, o, lsm + vlog})
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "articles\t%d\n", st.Articles)
	fmt.Fprintf(tw, "terms\t%d\n", st.Terms)
	fmt.Fprintf(tw, "generation\t%d (fitted on %d articles, %d changed since)\n", st.Generation, st.FittedArticles, st.ChangedSinceFit)
	fmt.Fprintf(tw, "store size\t%s (index %s, values %s)\n", bytesText(lsm+vlog), bytesText(lsm), bytesText(vlog))
	fmt.Fprintf(tw, "categories\t%s\n", counted(o.Categories))
	fmt.Fprintf(tw, "languages\t%s\n", counted(o.Languages))
	fmt.Fprintf(tw, "reads\t%d\n", o.Reads)
	for i, r := range o.MostRead {
		label := ""
		if i == 0 {
			label = "most read"
		}
		fmt.Fprintf(tw, "%s\t%d  %s  %s\n", label, r.ReadCount, r.ID, r.Title)
	}
	return tw.Flush()
}

// counted shows counts by name, most first, then by name.
func counted(m map[string]int) string {
	names := slices.Collect(maps.Keys(m))
	slices.SortFunc(names, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	var parts []string
	for _, n := range names {
		label := n
		if label == "" {
			label = "(none)"
		}
		parts = append(parts, fmt.Sprintf("%s %d", label, m[n]))
	}
	return strings.Join(parts, ", ")
}

func runShow(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("show", "--data DIR ID [--json]")
	var sf storeFlags
	sf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON, as GET /v1/articles/{id} answers")
	if _, err := parse(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("give one article ID")
	}
	col, err := openExisting(ctx, e, &sf)
	if err != nil {
		return err
	}
	defer col.Close()
	a, err := col.Engine.Get(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, a)
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Format("2006-01-02 15:04")
	}
	fmt.Fprintf(e.stdout, "%s\n\n%s\n\nSummary\n%s\n\n", a.Title, a.Body, a.Summary)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	lang := a.Lang
	if a.LangDetected {
		lang += " (detected)"
	}
	fmt.Fprintf(tw, "words\t%d\nread count\t%d\nid\t%s\ncategory\t%s\nlanguage\t%s\nurl\t%s\n", a.Words, a.ReadCount, a.ID, a.Category, lang, a.URL)
	fmt.Fprintf(tw, "published\t%s\ncreated\t%s\nupdated\t%s\nlast read\t%s\n", when(a.Published), when(a.Created), when(a.Updated), when(a.LastRead))
	return tw.Flush()
}

func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
