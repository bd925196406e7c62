package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/readalike/readalike/recommend"
	"github.com/readalike/readalike/vectorize"
)

// What each shuffle of the scoring moves, in bytes of keys and values,
// and how many queries needed the second round.
var (
	articlesScored  = beam.NewCounter("readalike", "articles")
	taskBytes       = beam.NewCounter("readalike", "shuffle_task_bytes")
	candidateBytes  = beam.NewCounter("readalike", "shuffle_candidate_bytes")
	joinBytes       = beam.NewCounter("readalike", "shuffle_join_bytes")
	listsAnswered   = beam.NewCounter("readalike", "lists")
	pendingQueries  = beam.NewCounter("readalike", "second_round_queries")
	tasksScored     = beam.NewCounter("readalike", "tasks")
	blockComparison = beam.NewCounter("readalike", "block_queries")
)

// Roles of an article in a task.
const (
	roleBoth      = 'b' // round 1: a query of the other block and a candidate of its own
	roleQuery     = 'q' // round 2: a query of every block
	roleCandidate = 'c' // round 2: a candidate of its block
)

// blocks returns how many blocks n articles make.
func blocks(n, size int) int { return max(1, (n+size-1)/size) }

// blockOf returns the block of an id: a hash, so blocks are even and need
// no numbering of the articles.
func blockOf(id string, nblocks int) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(nblocks))
}

// sharedTermsFn passes the terms in two articles or more. A term in one
// article never adds to a cosine, and a model that lacks it weighs it as
// one with df 1 (QueryVector counts it in the norm and leaves it out), so
// every score is the same to the last bit while the side input every
// worker holds loses the long tail of the vocabulary.
func sharedTermsFn(term string, df int, emit func(string, int)) {
	if df > 1 {
		emit(term, df)
	}
}

// vectorFn weighs an article's counts with the model of the collection:
// vectorize.NewModel of N and the document frequencies, built once per
// worker from the side inputs, as the engine builds a generation's.
type vectorFn struct {
	Settings  settings
	BlockSize int
	model     *vectorize.Model
}

func (f *vectorFn) ProcessElement(ctx context.Context, id string, b []byte, n int, shared func(*string, *int) bool, emit func(string, []byte)) error {
	if f.model == nil {
		df := map[string]uint32{}
		var term string
		var c int
		for shared(&term, &c) {
			df[term] = uint32(c)
		}
		f.model = vectorize.NewModel(vectorize.NewDictionary(), n, df, f.Settings.Model)
	}
	d, err := decodeDoc(b)
	if err != nil {
		return fmt.Errorf("article %s: %w", id, err)
	}
	s := scored{id: id, block: blockOf(id, blocks(n, f.BlockSize)), cat: d.cat, pub: d.pub, vec: f.model.QueryVector(d.counts)}
	articlesScored.Inc(ctx, 1)
	emit(id, encodeScored(&s))
	return nil
}

// pairTasksFn sends an article to every task of round 1 that holds its
// block: task (i, j), i <= j, scores the articles of block i against
// those of block j and the other way round, so each article travels to as
// many tasks as there are blocks.
type pairTasksFn struct {
	BlockSize int
}

func (f *pairTasksFn) ProcessElement(ctx context.Context, id string, b []byte, n int, emit func(string, []byte)) error {
	s, err := decodeScored(b)
	if err != nil {
		return err
	}
	v := append([]byte{roleBoth}, b...)
	for j := range blocks(n, f.BlockSize) {
		key := strconv.Itoa(min(s.block, j)) + "/" + strconv.Itoa(max(s.block, j))
		taskBytes.Inc(ctx, int64(len(key)+len(v)))
		emit(key, v)
	}
	return nil
}

// queryTasksFn sends a query of round 2 to every block's task.
type queryTasksFn struct {
	BlockSize int
}

func (f *queryTasksFn) ProcessElement(ctx context.Context, id string, b []byte, n int, emit func(string, []byte)) {
	v := append([]byte{roleQuery}, b...)
	for j := range blocks(n, f.BlockSize) {
		key := strconv.Itoa(j)
		taskBytes.Inc(ctx, int64(len(key)+len(v)))
		emit(key, v)
	}
}

// candidateTasksFn sends an article to its block's task of round 2, when
// there is a query in round 2.
type candidateTasksFn struct{}

func (f *candidateTasksFn) ProcessElement(ctx context.Context, id string, b []byte, pending int, emit func(string, []byte)) error {
	if pending == 0 {
		return nil
	}
	s, err := decodeScored(b)
	if err != nil {
		return err
	}
	key := strconv.Itoa(s.block)
	v := append([]byte{roleCandidate}, b...)
	taskBytes.Inc(ctx, int64(len(key)+len(v)))
	emit(key, v)
	return nil
}

// scoreFn scores one task: each query of it against a Block of its
// candidates, N best (recommend.Block.Candidates).
type scoreFn struct {
	Settings settings
	Query    recommend.Query
	N        int
}

func (f *scoreFn) ProcessElement(ctx context.Context, task string, values func(*[]byte) bool, emit func(string, []byte)) error {
	byBlock := map[int][]scored{}
	var queries, cands []scored
	var v []byte
	for values(&v) {
		s, err := decodeScored(v[1:])
		if err != nil {
			return fmt.Errorf("task %s: %w", task, err)
		}
		switch v[0] {
		case roleBoth:
			byBlock[s.block] = append(byBlock[s.block], s)
		case roleQuery:
			queries = append(queries, s)
		default:
			cands = append(cands, s)
		}
	}
	tasksScored.Inc(ctx, 1)
	score := func(qs, cs []scored) {
		if len(qs) == 0 || len(cs) == 0 {
			return
		}
		arts := make([]recommend.BlockArticle, len(cs))
		for i := range cs {
			arts[i] = cs[i].blockArticle()
		}
		b := recommend.NewBlock(arts, f.Settings.blockOptions())
		blockComparison.Inc(ctx, int64(len(qs)))
		for i := range qs {
			ns := b.Candidates(qs[i].vec, qs[i].id, f.Query, f.N)
			if len(ns) == 0 {
				continue
			}
			l := encodeList(ns)
			candidateBytes.Inc(ctx, int64(len(qs[i].id)+len(l)))
			emit(qs[i].id, l)
		}
	}
	if len(byBlock) == 0 {
		score(queries, cands) // round 2
		return nil
	}
	var i, j int
	if _, err := fmt.Sscanf(task, "%d/%d", &i, &j); err != nil {
		return fmt.Errorf("task %q: %w", task, err)
	}
	score(byBlock[i], byBlock[j])
	if i != j {
		score(byBlock[j], byBlock[i])
	}
	return nil
}

// mergeFn merges the candidate lists of one query: the best N.
type mergeFn struct {
	N int
}

func (f *mergeFn) MergeAccumulators(a, b []byte) []byte {
	x, err1 := decodeList(a)
	y, err2 := decodeList(b)
	if err1 != nil || err2 != nil {
		panic(fmt.Sprintf("merge candidates: %v %v", err1, err2)) // our own encoding: a bug
	}
	return encodeList(recommend.MergeCandidates(f.N, x, y))
}

// wantFn asks for the vector of every candidate of a query.
func wantFn(ctx context.Context, q string, list []byte, emit func(string, string)) error {
	ns, err := decodeList(list)
	if err != nil {
		return err
	}
	for _, n := range ns {
		joinBytes.Inc(ctx, int64(len(n.ID)+len(q)))
		emit(n.ID, q)
	}
	return nil
}

// joinFn sends an article's vector to every query that has it among its
// candidates.
func joinFn(ctx context.Context, id string, vecs func(*[]byte) bool, wants func(*string) bool, emit func(string, []byte)) error {
	var v []byte
	if !vecs(&v) {
		return fmt.Errorf("candidate %s has no vector", id)
	}
	var q string
	for wants(&q) {
		joinBytes.Inc(ctx, int64(len(q)+len(v)))
		emit(q, v)
	}
	return nil
}

// nearestFn answers a query from its candidates, joined with their
// vectors, with a Block over them: recommend.Block.Nearest applies the
// engine's near-duplicate rules and minimum score. A query it does not
// settle goes to round 2 with its vector.
type nearestFn struct {
	Settings settings
	Query    recommend.Query
	N        int
}

func (f *nearestFn) ProcessElement(ctx context.Context, q string, own, lists, arts func(*[]byte) bool, emit, pending func(string, []byte)) error {
	var v []byte
	if !own(&v) {
		return fmt.Errorf("query %s has no vector", q)
	}
	self, err := decodeScored(v)
	if err != nil {
		return err
	}
	want := 0
	var l []byte
	if lists(&l) {
		ns, err := decodeList(l)
		if err != nil {
			return err
		}
		want = len(ns)
	}
	var cands []recommend.BlockArticle
	var a []byte
	for arts(&a) {
		s, err := decodeScored(a)
		if err != nil {
			return err
		}
		cands = append(cands, s.blockArticle())
	}
	if len(cands) != want {
		return fmt.Errorf("query %s: %d candidates, %d vectors joined", q, want, len(cands))
	}
	ns, sure := recommend.NewBlock(cands, f.Settings.blockOptions()).Nearest(self.vec, q, f.Query, f.N)
	if !sure {
		pendingQueries.Inc(ctx, 1)
		pending(q, v)
		return nil
	}
	listsAnswered.Inc(ctx, 1)
	emit(q, encodeList(ns))
	return nil
}
