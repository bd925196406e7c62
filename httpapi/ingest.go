package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/recommend/articleio"
)

// record is one article of a request body, or why it could not be read.
// With fetch set, art holds what the request gives of an article whose
// page is to be fetched (url, perhaps id, category, lang).
type record struct {
	art   recommend.Article
	err   error
	fetch bool
}

// readArticles reads the body as one article object (single), a JSON array
// of them or NDJSON. A record that is not a valid article carries its error;
// a body that cannot be read at all is an error.
func (s *Server) readArticles(c echo.Context) (recs []record, single bool, err error) {
	mt := mediaType(c)
	if mt != mediaJSON && mt != mediaNDJSON {
		return nil, false, unsupportedMedia(c, mediaJSON, mediaNDJSON)
	}
	if err := checkCharset(c); err != nil {
		return nil, false, err
	}
	br, err := bodyReader(c)
	if err != nil {
		return nil, false, err
	}
	if mt == mediaNDJSON {
		recs, err = s.readNDJSON(br)
		return recs, false, err
	}
	first, err := firstByte(br)
	if err != nil {
		return nil, false, jsonError(err, "the body")
	}
	dec := json.NewDecoder(br)
	switch first {
	case '[':
		if _, err := dec.Token(); err != nil {
			return nil, false, jsonError(err, "the body")
		}
		recs, err = s.readArray(dec)
		return recs, false, err
	case '{':
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false, jsonError(err, "the body")
		}
		if err := expectEOF(dec); err != nil {
			return nil, false, err
		}
		if a, ok, err := fetchRequest(raw); ok {
			return []record{{art: a, err: err, fetch: true}}, true, nil
		}
		a, err := decodeArticle(raw)
		return []record{{art: a, err: err}}, true, nil
	}
	return nil, false, badRequest("", "the body must be an article object or an array of them")
}

// firstByte returns the first byte of br that is not JSON white space, and
// leaves it unread.
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != ' ' && b != '\t' && b != '\n' && b != '\r' {
			return b, br.UnreadByte()
		}
	}
}

// readArray reads the elements of a JSON array whose '[' dec has read.
func (s *Server) readArray(dec *json.Decoder) ([]record, error) {
	var recs []record
	for dec.More() {
		if len(recs) == s.opts.MaxBatch {
			return nil, s.batchTooLarge()
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, jsonError(err, fmt.Sprintf("article %d", len(recs)))
		}
		a, err := decodeArticle(raw)
		recs = append(recs, record{art: a, err: err})
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return nil, jsonError(err, "the body")
	}
	return recs, expectEOF(dec)
}

// readNDJSON reads one article per line; blank lines are skipped.
func (s *Server) readNDJSON(body io.Reader) ([]record, error) {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64<<10), int(s.opts.MaxRequestBytes)+1)
	var recs []record
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if len(recs) == s.opts.MaxBatch {
			return nil, s.batchTooLarge()
		}
		a, err := decodeArticle(line)
		recs = append(recs, record{art: a, err: err})
	}
	if err := sc.Err(); err != nil {
		return nil, jsonError(err, "the body")
	}
	return recs, nil
}

func (s *Server) batchTooLarge() error {
	return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "batch_too_large",
		Message: fmt.Sprintf("more than %d articles in one request", s.opts.MaxBatch)}
}

// decodeArticle reads one article object: members it does not know, and
// those the engine keeps, are a *recommend.FieldError naming the member. A
// page to fetch is for one article alone, not a batch.
func decodeArticle(raw json.RawMessage) (recommend.Article, error) {
	if _, ok, _ := fetchRequest(raw); ok {
		return recommend.Article{}, badRequest("fetch", "is for one article at a time: post it alone, not in a batch")
	}
	a, _, err := articleio.DecodeArticle(raw, articleio.Strict)
	if err != nil && !utf8.Valid(raw) {
		if nerr := invalidMemberName(raw); nerr != nil {
			return a, nerr // DecodeArticle would name it with U+FFFD in place of its bytes
		}
	}
	var fe *recommend.FieldError
	if err != nil && !errors.As(err, &fe) {
		return a, badRequest("", "an article is %s", err)
	}
	return a, err
}
