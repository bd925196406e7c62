module github.com/readalike/readalike/benchmarks/langcompare

go 1.26.8

replace github.com/readalike/readalike => ../..

require (
	github.com/abadojack/whatlanggo v1.0.1
	github.com/kljensen/snowball v0.10.0
	github.com/pemistahl/lingua-go v1.4.0
	github.com/readalike/readalike v0.0.0-00010101000000-000000000000
)

require (
	github.com/clipperhouse/uax29/v2 v2.7.0 // indirect
	github.com/shopspring/decimal v1.3.1 // indirect
	golang.org/x/exp v0.0.0-20221106115401-f9659909a136 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/text v0.44.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
