// Package recommend is readalike's domain: articles, the engine that keeps
// their TF-IDF vectors in an in-memory index, and exact top-k cosine search
// over it. It declares the Store it persists through and knows no database.
package recommend

import (
	"errors"
	"time"
)

// ErrNotFound is returned when an article id is not in the collection.
var ErrNotFound = errors.New("not found")

// Article is one article of the collection. ID, Title, Body, URL, Category,
// Lang and Published come from the client; Created, Updated, Words and
// Summary are kept by the engine when it writes the article, ReadCount and
// LastRead by the reads it records (Engine.Read). An article written
// without Lang gets the language detected in its text (see DetectLang),
// with LangDetected set.
type Article struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	URL      string `json:"url,omitempty"`
	Category string `json:"category,omitempty"`
	Lang     string `json:"lang,omitempty"`
	// LangDetected says that Lang was not given but detected by the
	// engine. Written back with the article, it is detected again.
	LangDetected bool      `json:"lang_detected"`
	Published    time.Time `json:"published,omitzero"`

	Created   time.Time `json:"created,omitzero"`
	Updated   time.Time `json:"updated,omitzero"`
	ReadCount uint64    `json:"read_count"`
	LastRead  time.Time `json:"last_read,omitzero"`
	Words     int       `json:"words"`
	// Summary is the article's most central sentences, in their order,
	// within about 300 characters (vectorize.Analyzer.Summarize).
	Summary string `json:"summary"`
}

// Text is a text to search with that need not be an article of the
// collection: analysed as an article in language Lang ("" = English).
type Text struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	Lang  string `json:"lang,omitempty"`
}
