package articleio

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/readalike/readalike/recommend"
)

// A snapshot is what a batch scored on a cluster (cmd/readalike-beam)
// leaves for a server: the articles it scored, the model it fitted on them
// (N and every term's document frequency) and every article's list, in
// one folder:
//
//	snapshot.json       the Manifest
//	articles-*.jsonl    the articles, one a line, as ingest reads them
//	df-*.jsonl          {"term": "...", "df": 3} a line
//	lists-*.jsonl       the lists, as batch --format jsonl writes them
//
// readalike import-snapshot loads it into a collection.

// SnapshotFormat names the layout above; a Manifest of another is refused.
const SnapshotFormat = "readalike-snapshot/1"

// SnapshotManifest is the file snapshot.json: what the snapshot holds and
// how it was made. File names are relative to the snapshot's folder.
type SnapshotManifest struct {
	Format   string        `json:"format"`
	Settings string        `json:"settings"` // the analyzer and model settings of the fit
	N        int           `json:"n"`        // articles the model was fitted on
	Terms    int           `json:"terms"`    // terms with a document frequency
	Query    SnapshotQuery `json:"query"`    // what every list answers
	FittedAt time.Time     `json:"fitted_at"`
	Articles []string      `json:"articles"`
	DF       []string      `json:"df"`
	Lists    []string      `json:"lists"`
}

// SnapshotQuery is the query every list of a snapshot answers.
type SnapshotQuery struct {
	K          int       `json:"k"`
	Categories []string  `json:"categories,omitempty"`
	From       time.Time `json:"from,omitzero"`
	To         time.Time `json:"to,omitzero"`
	Exclude    []string  `json:"exclude,omitempty"`
	NoDedup    bool      `json:"no_dedup,omitempty"`
	MinScore   float64   `json:"min_score,omitempty"`
}

// NewSnapshotQuery returns the part of q a batch answers (k, filters,
// near-duplicates, minimum score), k filled in.
func NewSnapshotQuery(q recommend.Query) SnapshotQuery {
	k := q.K
	if k == 0 {
		k = recommend.DefaultK
	}
	return SnapshotQuery{K: k, Categories: q.Categories, From: q.From, To: q.To, Exclude: q.Exclude,
		NoDedup: q.NoDedup, MinScore: q.MinScore}
}

// Query returns the query as the engine takes it.
func (s SnapshotQuery) Query() recommend.Query {
	return recommend.Query{K: s.K, Categories: s.Categories, From: s.From, To: s.To, Exclude: s.Exclude,
		NoDedup: s.NoDedup, MinScore: s.MinScore}
}

// ReadSnapshotManifest reads the manifest of the snapshot in dir.
func ReadSnapshotManifest(dir string) (SnapshotManifest, error) {
	var m SnapshotManifest
	b, err := os.ReadFile(filepath.Join(dir, "snapshot.json"))
	if err != nil {
		return m, fmt.Errorf("snapshot: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("snapshot %s: snapshot.json: %w", dir, err)
	}
	if m.Format != SnapshotFormat {
		return m, fmt.Errorf("snapshot %s: format %q, want %q", dir, m.Format, SnapshotFormat)
	}
	return m, nil
}

// WriteSnapshotArticle writes a as one JSONL line of the fields a client
// gives (Fields), which ReadJSONL reads back as the same article.
func WriteSnapshotArticle(w io.Writer, a *recommend.Article) error {
	b, err := json.Marshal(struct {
		ID        string    `json:"id"`
		Title     string    `json:"title,omitempty"`
		Body      string    `json:"body"`
		URL       string    `json:"url,omitempty"`
		Category  string    `json:"category,omitempty"`
		Lang      string    `json:"lang,omitempty"`
		Published time.Time `json:"published,omitzero"`
	}{a.ID, a.Title, a.Body, a.URL, a.Category, a.Lang, a.Published})
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// dfLine is a line of a df file.
type dfLine struct {
	Term string `json:"term"`
	DF   uint32 `json:"df"`
}

// WriteSnapshotDF writes a term's document frequency as one JSONL line.
func WriteSnapshotDF(w io.Writer, term string, df uint32) error {
	b, err := json.Marshal(dfLine{term, df})
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ReadSnapshotDF reads the document frequencies of the snapshot in dir.
func ReadSnapshotDF(dir string, m SnapshotManifest) (map[string]uint32, error) {
	df := make(map[string]uint32, m.Terms)
	for _, name := range m.DF {
		err := readLines(filepath.Join(dir, name), func(line []byte) error {
			var l dfLine
			if err := json.Unmarshal(line, &l); err != nil {
				return err
			}
			if _, dup := df[l.Term]; dup || l.DF == 0 {
				return fmt.Errorf("term %q: a second line, or df 0", l.Term)
			}
			df[l.Term] = l.DF
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("snapshot df: %w", err)
		}
	}
	return df, nil
}

// ReadLists reads the lists of a JSONL list file (batch --format jsonl,
// or a snapshot's lists-*.jsonl) and calls fn with each, in file order.
// fn may keep ns.
func ReadLists(path string, fn func(id string, ns []recommend.Neighbor) error) error {
	return readLines(path, func(line []byte) error {
		var l struct {
			ID        string      `json:"id"`
			Neighbors []listEntry `json:"neighbors"`
		}
		if err := json.Unmarshal(line, &l); err != nil {
			return err
		}
		if l.ID == "" {
			return errors.New("a list without an id")
		}
		ns := make([]recommend.Neighbor, len(l.Neighbors))
		for i, n := range l.Neighbors {
			ns[i] = recommend.Neighbor{ID: n.ID, Score: n.Score}
		}
		return fn(l.ID, ns)
	})
}

// readLines calls fn with every line of a file, naming the line in its
// error.
func readLines(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), MaxLine)
	for line := 1; sc.Scan(); line++ {
		if err := fn(sc.Bytes()); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
	return sc.Err()
}
