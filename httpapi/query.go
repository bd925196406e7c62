package httpapi

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/readalike/readalike/recommend"
)

// The options of a query, one decoder for all routes: as URL parameters on
// GET routes and as JSON members on POST ones. Each option has a kind that
// its JSON value must be; its text is then read the same way.

type optionKind int

const (
	kindNumber optionKind = iota
	kindBool
	kindString
	kindList // comma-separated in a URL (repeatable), an array of strings in JSON
)

// queryOptions are the query options every similar and recommend route
// takes, with their kinds.
var queryOptions = map[string]optionKind{
	"k": kindNumber, "category": kindList, "exclude": kindList, "from": kindString, "to": kindString,
	"dedup": kindBool, "min_score": kindNumber, "explain": kindBool,
	"freshness": kindNumber, "half_life": kindString, "popularity": kindNumber,
	"diversity": kindNumber, "fill": kindBool,
}

// queryOptionNames lists them for error messages.
const queryOptionNames = "k, category, exclude, from, to, dedup, min_score, explain, freshness, half_life, popularity, diversity, fill"

// queryParams reads the options of a query from a URL. Any other
// parameter, or one given twice (but for lists), is a 400 naming it.
func (s *Server) queryParams(v url.Values) (recommend.Query, error) {
	q := recommend.Query{K: recommend.DefaultK}
	for name, vals := range v {
		kind, ok := queryOptions[name]
		if !ok {
			return q, badRequest(name, "is not a query parameter of this route (%s)", queryOptionNames)
		}
		if kind == kindList {
			setList(&q, name, splitList(vals))
			continue
		}
		if len(vals) > 1 {
			return q, badRequest(name, "is given more than once")
		}
		if err := s.setOption(&q, name, vals[0]); err != nil {
			return q, err
		}
	}
	return q, q.Validate()
}

// queryMember reads one JSON member of a query body, if it is a query
// option, and reports whether it was.
func (s *Server) queryMember(q *recommend.Query, name string, raw json.RawMessage) (bool, error) {
	kind, ok := queryOptions[name]
	if !ok {
		return false, nil
	}
	if string(raw) == "null" {
		return true, nil
	}
	switch kind {
	case kindList:
		var items []string
		if err := decodeStrings(raw, name, &items); err != nil {
			return true, err
		}
		setList(q, name, items)
		return true, nil
	case kindString:
		var v string
		if err := decodeString(raw, name, &v); err != nil {
			return true, err
		}
		return true, s.setOption(q, name, v)
	case kindBool:
		var v bool
		if err := decodeBool(raw, name, &v); err != nil {
			return true, err
		}
		return true, s.setOption(q, name, strconv.FormatBool(v))
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil {
		return true, s.setOption(q, name, "not a number") // the option's own message
	}
	return true, s.setOption(q, name, string(raw))
}

func setList(q *recommend.Query, name string, items []string) {
	if name == "category" {
		q.Categories = append(q.Categories, items...)
	} else {
		q.Exclude = append(q.Exclude, items...)
	}
}

// setOption sets option name of q from its text.
func (s *Server) setOption(q *recommend.Query, name, val string) error {
	var err error
	switch name {
	case "k":
		if q.K, err = strconv.Atoi(val); err != nil || q.K < 1 || q.K > s.opts.MaxK {
			return kError(s.opts.MaxK)
		}
	case "from":
		q.From, err = parseBound(name, val, false)
	case "to":
		q.To, err = parseBound(name, val, true)
	case "dedup":
		var dedup bool
		dedup, err = parseBool(name, val)
		q.NoDedup = !dedup
	case "explain":
		q.Explain, err = parseBool(name, val)
	case "fill":
		q.Fill, err = parseBool(name, val)
	case "min_score":
		q.MinScore, err = parseShare(name, val)
	case "freshness":
		q.Freshness, err = parseShare(name, val)
	case "popularity":
		q.Popularity, err = parseShare(name, val)
	case "diversity":
		q.Diversity, err = parseShare(name, val)
	case "half_life":
		q.HalfLife, err = time.ParseDuration(val)
		if err != nil || q.HalfLife <= 0 {
			return badRequest(name, "must be a positive duration such as 48h or 90m")
		}
	default:
		return badRequest(name, "is not a query option (%s)", queryOptionNames)
	}
	return err
}

func parseBool(name, val string) (bool, error) {
	b, err := strconv.ParseBool(val)
	if err != nil {
		return false, badRequest(name, "must be true or false")
	}
	return b, nil
}

// parseShare reads a number from 0 to 1.
func parseShare(name, val string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
	if err != nil || f < 0 || f > 1 || math.IsNaN(f) {
		return 0, badRequest(name, "must be a number from 0 to 1")
	}
	return f, nil
}

func kError(maxK int) error {
	return &recommend.FieldError{Field: "k", Message: fmt.Sprintf("must be an integer from 1 to %d", maxK)}
}

// splitList splits comma-separated values, trimming space and dropping
// empty items.
func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}
