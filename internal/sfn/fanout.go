package sfn

import (
	"context"
	"sync"

	"github.com/asyncjobs/stepjobs/internal/asl"
)

// fanOut runs a Parallel state's branches or a Map state's iterations as
// child frames. Children start in order on the current goroutine and run
// until they finish or wait, so states that never wait complete in a
// deterministic order (as AWS records them); at most limit run at once.
func (r *stateRun) fanOut(env *asl.Env) {
	st := r.st
	r.failEvent = "" // set again if a child of this attempt fails
	in, err := st.EffectiveInput(r.raw, env)
	if err != nil {
		r.f.run(r.fail(r.evalErr(err)))
		return
	}
	fo := &fanout{r: r, env: env}
	if st.Type == asl.TypeParallel {
		fo.n = len(st.Branches)
		fo.input = func(int) (any, error) { return in, nil }
		fo.def = func(i int) *asl.StateMachine { return st.Branches[i] }
		if !r.rec(Event{Type: "ParallelStateStarted"}) {
			return
		}
	} else {
		items, err := st.Items(in, env)
		if err != nil {
			r.f.run(r.fail(r.mapEvalErr(err)))
			return
		}
		limit, err := st.Concurrency(in, env)
		if err != nil {
			r.f.run(r.fail(r.mapEvalErr(err)))
			return
		}
		fo.n, fo.limit, fo.isMap = len(items), limit, true
		fo.distributed = st.ItemProcessor != nil && st.ItemProcessor.ProcessorMode == "DISTRIBUTED"
		fo.input = func(i int) (any, error) { return st.ItemInput(in, i, items[i], env) }
		fo.def = func(int) *asl.StateMachine { return st.ItemProcessor }
		if !r.rec(Event{Type: "MapStateStarted", MapStateStartedEventDetails: &MapStateStartedDetails{Length: len(items)}}) {
			return
		}
		if fo.distributed {
			// A distributed Map runs its items as child executions; the
			// parent history shows only the map run.
			ex := r.f.ex
			label := st.Label
			if label == "" {
				label = st.Name
			}
			arn := "arn:" + ex.e.cfg.Partition + ":states:" + ex.e.cfg.Region + ":" + ex.e.cfg.AccountID + ":mapRun:" + ex.sm.name + "/" + label + ":" + NewUUID()
			if !r.rec(Event{Type: "MapRunStarted", MapRunStartedEventDetails: &MapRunStartedDetails{MapRunARN: arn}}) {
				return
			}
		}
	}
	fo.results = make([]any, fo.n)
	fo.cancels = make([]context.CancelFunc, fo.n)
	fo.frames = make([]*frame, fo.n)
	if fo.n == 0 {
		fo.finish()
		return
	}
	fo.pump()
}

// mapEvalErr is evalErr for a Map state failing before its iterations
// start: a JSONata evaluation failure also fails the state (MapStateFailed).
func (r *stateRun) mapEvalErr(err error) *asl.Error {
	e := r.evalErr(err)
	if e.Name == asl.ErrQueryEvaluationError {
		r.failEvent = "MapStateFailed"
	}
	return e
}

// fanout tracks the children of one Parallel or Map visit.
type fanout struct {
	r     *stateRun
	env   *asl.Env
	n     int
	limit int
	isMap bool
	// distributed Maps run silent children and record MapRun* events.
	distributed bool
	input       func(i int) (any, error)
	def         func(i int) *asl.StateMachine

	mu      sync.Mutex
	next    int // next child to start
	running int
	doneN   int
	pumping bool
	closed  bool // finished or failed: no more children start
	results []any
	cancels []context.CancelFunc
	frames  []*frame
}

// pump starts children while the concurrency limit allows. Only one
// goroutine pumps at a time; children finishing meanwhile just update the
// counters and the pumping loop picks up the freed slots.
func (fo *fanout) pump() {
	fo.mu.Lock()
	if fo.pumping {
		fo.mu.Unlock()
		return
	}
	fo.pumping = true
	for !fo.closed && fo.next < fo.n && (fo.limit <= 0 || fo.running < fo.limit) {
		i := fo.next
		fo.next++
		fo.running++
		fo.mu.Unlock()
		fo.start(i)
		fo.mu.Lock()
	}
	fo.pumping = false
	fo.mu.Unlock()
}

func (fo *fanout) start(i int) {
	r := fo.r
	in, err := fo.input(i)
	if err != nil {
		fo.childDone(i, nil, r.evalErr(err), r.f.lastID())
		return
	}
	if fo.isMap && !fo.distributed {
		if !r.rec(Event{Type: "MapIterationStarted", MapIterationStartedEventDetails: &MapIterationDetails{Name: r.st.Name, Index: i}}) {
			return
		}
	}
	child, cancel := r.f.child(fo.def(i), r.f.lastID())
	child.silent = child.silent || fo.distributed
	fo.mu.Lock()
	fo.cancels[i], fo.frames[i] = cancel, child
	fo.mu.Unlock()
	child.onDone = func(out any, e *asl.Error) { fo.childDone(i, out, e, child.lastID()) }
	def := fo.def(i)
	child.run(def.StartAt, in)
}

// childDone collects a child's outcome; the first failure fails the state.
func (fo *fanout) childDone(i int, out any, e *asl.Error, last int64) {
	r := fo.r
	fo.mu.Lock()
	if fo.closed {
		fo.mu.Unlock()
		return
	}
	fo.running--
	fo.doneN++
	if e != nil {
		fo.closed = true
		var others []int
		for j := 0; j < fo.next; j++ {
			if j != i && fo.frames[j] != nil && fo.frames[j].ctx.Err() == nil && fo.results[j] == nil {
				others = append(others, j)
			}
		}
		cancels := append([]context.CancelFunc(nil), fo.cancels...)
		fo.mu.Unlock()
		// What follows a child's end is caused by the child's last event:
		// AWS chains previousEventId to it, not to MapIterationFailed.
		fo.setPrev(last)
		if fo.distributed {
			r.rec(Event{Type: "MapRunFailed", MapRunFailedEventDetails: &FailureDetails{Error: nonEmpty(e.Name), Cause: nonEmpty(e.Cause)}})
		} else if fo.isMap {
			r.rec(Event{Type: "MapIterationFailed", MapIterationFailedEventDetails: &MapIterationDetails{Name: r.st.Name, Index: i}})
			fo.setPrev(last)
		}
		for _, c := range cancels {
			if c != nil {
				c()
			}
		}
		if fo.isMap && !fo.distributed {
			for _, j := range others {
				r.rec(Event{Type: "MapIterationAborted", MapIterationAbortedEventDetails: &MapIterationDetails{Name: r.st.Name, Index: j}})
			}
			r.failEvent = "MapStateFailed"
		} else {
			r.failEvent = "ParallelStateFailed"
		}
		r.f.run(r.fail(e))
		return
	}
	fo.results[i] = out
	if fo.results[i] == nil {
		// Remember that a child finished even when its output is null.
		fo.results[i] = nullOutput{}
	}
	all := fo.doneN == fo.n
	if all {
		fo.closed = true
	}
	fo.mu.Unlock()
	if fo.cancels[i] != nil {
		fo.cancels[i]()
	}
	fo.setPrev(last)
	if fo.isMap && !fo.distributed {
		r.rec(Event{Type: "MapIterationSucceeded", MapIterationSucceededEventDetails: &MapIterationDetails{Name: r.st.Name, Index: i}})
		if !all {
			// The next iteration starts from the finished child's last event.
			fo.setPrev(last)
		}
	}
	if all {
		fo.finish()
		return
	}
	fo.pump()
}

// nullOutput marks a finished child whose output is JSON null.
type nullOutput struct{}

func (fo *fanout) finish() {
	r := fo.r
	results := make([]any, fo.n)
	for i, v := range fo.results {
		if _, ok := v.(nullOutput); !ok {
			results[i] = v
		}
	}
	typ := EventType("ParallelStateSucceeded")
	if fo.isMap {
		typ = "MapStateSucceeded"
	}
	if fo.distributed && !r.rec(Event{Type: "MapRunSucceeded"}) {
		return
	}
	if _, ok := r.f.ex.recordSide(r.f, Event{Type: typ}); !ok {
		return
	}
	r.f.run(r.succeed(results, r.env()))
}

// setPrev points the state's frame's previousEventId chain at id.
func (fo *fanout) setPrev(id int64) {
	f := fo.r.f
	f.ex.mu.Lock()
	f.prev = id
	f.ex.mu.Unlock()
}
