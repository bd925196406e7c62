// Package benchmarks holds readalike's speed and quality benchmarks. They
// run on the real corpora in ../shared/data where present and on the
// deterministic synthetic corpus of benchmarks/corpus. Nothing imports it.
//
//	go test ./benchmarks -run XXX -bench . -benchmem
package benchmarks
