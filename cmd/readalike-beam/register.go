package main

import (
	"context"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

// Beam finds a pipeline's functions on a worker by their registered
// names, and registration must happen when the binary starts, on the
// launcher and on every worker alike: the one init of this project.
func init() {
	register.DoFn3x1[context.Context, []byte, func(int, string), error](&expandFn{})
	register.DoFn5x0[context.Context, int, string, func(string, []byte), func(string)](&readFn{})
	register.DoFn6x1[context.Context, string, []byte, int, func(*string, *int) bool, func(string, []byte), error](&vectorFn{})
	register.DoFn5x1[context.Context, string, []byte, int, func(string, []byte), error](&pairTasksFn{})
	register.DoFn5x0[context.Context, string, []byte, int, func(string, []byte)](&queryTasksFn{})
	register.DoFn5x1[context.Context, string, []byte, int, func(string, []byte), error](&candidateTasksFn{})
	register.DoFn4x1[context.Context, string, func(*[]byte) bool, func(string, []byte), error](&scoreFn{})
	register.DoFn7x1[context.Context, string, func(*[]byte) bool, func(*[]byte) bool, func(*[]byte) bool, func(string, []byte), func(string, []byte), error](&nearestFn{})
	register.DoFn2x2[string, []byte, int, []byte](&shardFn{})
	register.DoFn2x0[[]byte, func(int, []byte)](&markersFn{})
	register.DoFn3x1[context.Context, int, func(*[]byte) bool, error](&writeListsFn{})
	register.DoFn3x1[context.Context, int, func(*[]byte) bool, error](&writeLinesFn{})
	register.DoFn3x1[context.Context, int, int, error](&manifestFn{})
	register.Combiner1[[]byte](&mergeFn{})

	register.Function2x1(latestFn)
	register.Function3x1(termsFn)
	register.Function2x1(sumFn)
	register.Function2x1(oneFn)
	register.Function2x1(oneTermFn)
	register.Function2x3(articleLineFn)
	register.Function1x2(badLineFn)
	register.Function3x0(sharedTermsFn)
	register.Function4x1(wantFn)
	register.Function5x1(joinFn)
	register.Function2x3(dfLineFn)

	register.Emitter1[string]()
	register.Emitter2[int, string]()
	register.Emitter2[string, []byte]()
	register.Emitter2[string, int]()
	register.Emitter2[string, string]()
	register.Emitter2[int, []byte]()
	register.Iter1[[]byte]()
	register.Iter1[string]()
	register.Iter2[string, int]()
}
