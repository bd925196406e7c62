// Package benchmarks holds readalike's speed and quality benchmarks. They
// run on the real corpora in ../shared/data where present and on the
// deterministic synthetic corpus of benchmarks/corpus. Nothing imports it.
//
//	go test ./benchmarks -run XXX -bench . -benchmem
//
// The relevance benchmark on labelled data is a command, benchmarks/quality
// (on top of benchmarks/relevance); quality_test.go holds its regression
// test with the engine's defaults.
//
//	go run ./benchmarks/quality ../shared/data/bbc_news.jsonl ../shared/data/20newsgroups_bydate_test.jsonl
package benchmarks
