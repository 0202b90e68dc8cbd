package faults

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// Faults injects failures into the local runtime, for tests and demos; the
// zero value injects none. Task faults wrap the in-process Lambda invokers
// (the handlers are untouched); store faults wrap the HTTP transport of the
// functions' DynamoDB and S3 clients, under the SDK's own retries.
type Faults struct {
	// Tasks maps serverless.yml function keys to their faults.
	Tasks map[string]TaskFault
	// Stores maps "dynamodb" and "s3" to their faults.
	Stores map[string]StoreFault
	// Seed fixes the decisions. A task's decision depends only on the seed,
	// the function, its payload and how often that payload was sent, so it
	// does not depend on how concurrent invocations interleave; store
	// decisions come from one seeded sequence.
	Seed uint64
}

// TaskFault is what happens to a function's invocations.
type TaskFault struct {
	// ErrorRate fails this fraction of invocations (0 to 1) with an error
	// named ErrorType (default Lambda.ServiceException), without calling
	// the handler, as a Lambda service error would.
	ErrorRate float64
	ErrorType string
	// TimeoutRate makes this fraction hang, without calling the handler,
	// until the state's TimeoutSeconds ends the attempt (States.Timeout).
	TimeoutRate float64
	// LostRate makes this fraction call the handler, then drop its answer
	// and hang until the state's TimeoutSeconds ends the attempt
	// (States.Timeout): the work and its writes are done, but the state
	// machine never learns it, as when a Lambda times out after its last
	// write or its response is lost.
	LostRate float64
	// Latency is added before each invocation.
	Latency time.Duration
}

// StoreFault is what happens to a store's requests.
type StoreFault struct {
	// ErrorRate fails this fraction of requests before they reach the
	// store, with Status: 500, 503, or 0 for a connection reset.
	ErrorRate float64
	Status    int
	// Latency is added before each request.
	Latency time.Duration
}

// Enabled reports whether any fault is configured.
func (f Faults) Enabled() bool { return len(f.Tasks) > 0 || len(f.Stores) > 0 }

// Store names accepted by ParseStoreFaults.
const (
	StoreDynamoDB = "dynamodb"
	StoreS3       = "s3"
)

// ParseTaskFaults reads task faults:
//
//	SPEC  = ITEM *(";" ITEM)
//	ITEM  = FUNCTION ":" RULE *("," RULE)
//	RULE  = "error=" RATE [":" ERRORTYPE] | "timeout=" RATE | "lost=" RATE | "latency=" DURATION
//
// e.g. "batchSimulation:error=0.2:Lambda.ServiceException,latency=50ms;
// statusUpdate:timeout=0.05,lost=0.05". RATE is a fraction from 0 to 1;
// DURATION is Go's (50ms, 1s). timeout hangs before the handler runs, lost
// after it ran (its answer lost). A function named twice has its rules
// merged.
func ParseTaskFaults(spec string) (map[string]TaskFault, error) {
	return parseFaultItems(spec, func(f *TaskFault, _, name, value string) error {
		var err error
		switch name {
		case "error":
			rate, typ, _ := strings.Cut(value, ":")
			r, err := parseRate(rate)
			if err != nil {
				return err
			}
			if typ == "" {
				typ = "Lambda.ServiceException"
			}
			if !validErrorType(typ) {
				return fmt.Errorf("error type %q: letters, digits and . _ - only", typ)
			}
			f.ErrorRate, f.ErrorType = r, typ
		case "timeout":
			f.TimeoutRate, err = parseRate(value)
		case "lost":
			f.LostRate, err = parseRate(value)
		case "latency":
			f.Latency, err = parseLatency(value)
		default:
			err = fmt.Errorf("unknown rule %q (want error, timeout, lost or latency)", name)
		}
		return err
	})
}

// ParseStoreFaults reads store faults, in the syntax of ParseTaskFaults:
//
//	ITEM  = ("dynamodb" | "s3") ":" RULE *("," RULE)
//	RULE  = "error=" RATE [":" ("500" | "503" | "reset")] | "latency=" DURATION
//
// e.g. "s3:error=0.1;dynamodb:error=0.05:reset,latency=5ms". The default
// error is 503.
func ParseStoreFaults(spec string) (map[string]StoreFault, error) {
	return parseFaultItems(spec, func(f *StoreFault, target, name, value string) error {
		if target != StoreDynamoDB && target != StoreS3 {
			return fmt.Errorf("unknown store %q (want dynamodb or s3)", target)
		}
		var err error
		switch name {
		case "error":
			rate, kind, _ := strings.Cut(value, ":")
			r, err := parseRate(rate)
			if err != nil {
				return err
			}
			switch kind {
			case "", "503":
				f.Status = http.StatusServiceUnavailable
			case "500":
				f.Status = http.StatusInternalServerError
			case "reset":
				f.Status = 0
			default:
				return fmt.Errorf("store error %q (want 500, 503 or reset)", kind)
			}
			f.ErrorRate = r
		case "latency":
			f.Latency, err = parseLatency(value)
		default:
			err = fmt.Errorf("unknown rule %q (want error or latency)", name)
		}
		return err
	})
}

// parseFaultItems splits SPEC into items and rules and applies each rule to
// the fault of its item's target (so a target named twice has its rules
// merged); it returns the faults by target.
func parseFaultItems[F any](spec string, rule func(f *F, target, name, value string) error) (map[string]F, error) {
	out := map[string]F{}
	for _, item := range strings.Split(spec, ";") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		target, rules, ok := strings.Cut(item, ":")
		target = strings.TrimSpace(target)
		if !ok || target == "" || strings.TrimSpace(rules) == "" {
			return nil, fmt.Errorf("fault %q: want TARGET:RULE[,RULE...]", item)
		}
		for _, r := range strings.Split(rules, ",") {
			name, value, ok := strings.Cut(strings.TrimSpace(r), "=")
			if !ok || value == "" {
				return nil, fmt.Errorf("fault %q: rule %q: want NAME=VALUE", item, r)
			}
			f := out[target]
			if err := rule(&f, target, name, value); err != nil {
				return nil, fmt.Errorf("fault %q: %w", item, err)
			}
			out[target] = f
		}
	}
	return out, nil
}

func parseRate(s string) (float64, error) {
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || !(r >= 0 && r <= 1) {
		return 0, fmt.Errorf("rate %q: want a number from 0 to 1", s)
	}
	return r, nil
}

func parseLatency(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > time.Hour {
		return 0, fmt.Errorf("latency %q: want a duration from 0 to 1h, e.g. 50ms", s)
	}
	return d, nil
}

func validErrorType(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// String writes the faults back in the flag syntax, sorted (for logs).
func (f Faults) String() string {
	var items []string
	for k, t := range f.Tasks {
		var rules []string
		if t.ErrorRate > 0 {
			rules = append(rules, fmt.Sprintf("error=%g:%s", t.ErrorRate, t.ErrorType))
		}
		if t.TimeoutRate > 0 {
			rules = append(rules, fmt.Sprintf("timeout=%g", t.TimeoutRate))
		}
		if t.LostRate > 0 {
			rules = append(rules, fmt.Sprintf("lost=%g", t.LostRate))
		}
		if t.Latency > 0 || len(rules) == 0 {
			rules = append(rules, "latency="+t.Latency.String())
		}
		items = append(items, k+":"+strings.Join(rules, ","))
	}
	for k, s := range f.Stores {
		var rules []string
		if s.ErrorRate > 0 {
			kind := strconv.Itoa(s.Status)
			if s.Status == 0 {
				kind = "reset"
			}
			rules = append(rules, fmt.Sprintf("error=%g:%s", s.ErrorRate, kind))
		}
		if s.Latency > 0 || len(rules) == 0 {
			rules = append(rules, "latency="+s.Latency.String())
		}
		items = append(items, k+":"+strings.Join(rules, ","))
	}
	sort.Strings(items)
	return strings.Join(items, ";")
}

// faultyInvoker applies a TaskFault to a function's invocations.
type faultyInvoker struct {
	inv   sfn.Invoker
	fault TaskFault
	key   string
	seed  uint64

	mu   sync.Mutex
	seen map[uint64]uint64 // payload hash -> invocations so far
}

// NewInvoker wraps inv, function key's invoker, with its task fault f. A
// run-a-job invoker (sfn.JobInvoker, a .sync integration) stays one: the
// fault applies to its submission.
func NewInvoker(key string, inv sfn.Invoker, f TaskFault, seed uint64) sfn.Invoker {
	fi := &faultyInvoker{inv: inv, fault: f, key: key, seed: seed, seen: map[uint64]uint64{}}
	if job, ok := inv.(sfn.JobInvoker); ok {
		return &faultyJob{faultyInvoker: fi, job: job}
	}
	return fi
}

// faultyJob applies a TaskFault to a run-a-job invoker's submissions.
type faultyJob struct {
	*faultyInvoker
	job sfn.JobInvoker
}

// Submit implements sfn.JobInvoker.
func (j *faultyJob) Submit(ctx context.Context, payload []byte) (submitted []byte, wait func(context.Context) ([]byte, error), err error) {
	err = j.apply(ctx, payload, func() (err error) {
		submitted, wait, err = j.job.Submit(ctx, payload)
		return err
	})
	return submitted, wait, err
}

// draw returns a number in [0, 1) fixed by the seed, the function, the
// payload and how often this payload came before.
func (f *faultyInvoker) draw(payload []byte) float64 {
	h := fnv.New64a()
	_ = binary.Write(h, binary.BigEndian, f.seed)
	_, _ = io.WriteString(h, f.key)
	_, _ = h.Write(payload)
	sum := h.Sum64()
	f.mu.Lock()
	n := f.seen[sum]
	f.seen[sum] = n + 1
	f.mu.Unlock()
	return float64(splitmix(sum^splitmix(n))>>11) / (1 << 53)
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (f *faultyInvoker) Invoke(ctx context.Context, payload []byte) (out []byte, err error) {
	err = f.apply(ctx, payload, func() (err error) {
		out, err = f.inv.Invoke(ctx, payload)
		return err
	})
	return out, err
}

// apply runs call, the invocation, under the fault: delayed, replaced by
// an error or a hang, or run with its answer lost.
func (f *faultyInvoker) apply(ctx context.Context, payload []byte, call func() error) error {
	if d := f.fault.Latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	p := f.draw(payload)
	switch {
	case p < f.fault.ErrorRate:
		return messages.InvokeResponse_Error{Type: f.fault.ErrorType,
			Message: fmt.Sprintf("injected fault: %s failed with %s", f.key, f.fault.ErrorType)}
	case p < f.fault.ErrorRate+f.fault.TimeoutRate:
		// Hang like a function that never answers: the engine's task
		// timeout cancels ctx.
		<-ctx.Done()
		return ctx.Err()
	case p < f.fault.ErrorRate+f.fault.TimeoutRate+f.fault.LostRate:
		// The handler runs and writes; its answer, success or error, is
		// lost: hang until the task timeout cancels ctx.
		_ = call()
		<-ctx.Done()
		return ctx.Err()
	}
	return call()
}

// faultyTransport applies a StoreFault to HTTP requests.
type faultyTransport struct {
	base  http.RoundTripper
	fault StoreFault
	store string

	mu  sync.Mutex
	rnd *rand.Rand
}

func newFaultyTransport(store string, base http.RoundTripper, f StoreFault, seed uint64) *faultyTransport {
	return &faultyTransport{base: base, fault: f, store: store, rnd: rand.New(rand.NewPCG(seed, uint64(len(store))))}
}

func (t *faultyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if d := t.fault.Latency; d > 0 {
		tm := time.NewTimer(d)
		select {
		case <-tm.C:
		case <-req.Context().Done():
			tm.Stop()
			return nil, req.Context().Err()
		}
	}
	t.mu.Lock()
	p := t.rnd.Float64()
	t.mu.Unlock()
	if p >= t.fault.ErrorRate {
		return t.base.RoundTrip(req)
	}
	if req.Body != nil {
		_ = req.Body.Close()
	}
	if t.fault.Status == 0 {
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	}
	return t.errorResponse(req), nil
}

// errorResponse is the store's own error document for the status.
func (t *faultyTransport) errorResponse(req *http.Request) *http.Response {
	status := t.fault.Status
	h := http.Header{}
	var body string
	if t.store == StoreS3 {
		code := "InternalError"
		if status == http.StatusServiceUnavailable {
			code = "SlowDown"
		}
		h.Set("Content-Type", "application/xml")
		body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>injected fault</Message></Error>`
	} else {
		code := "InternalServerError"
		if status == http.StatusServiceUnavailable {
			code = "ServiceUnavailable"
		}
		h.Set("Content-Type", "application/x-amz-json-1.0")
		body = `{"__type":"com.amazonaws.dynamodb.v20120810#` + code + `","message":"injected fault"}`
	}
	h.Set("X-Amzn-Requestid", "injected-fault")
	return &http.Response{
		Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h,
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req,
	}
}

// HTTPClient is the HTTP client of a store's SDK client: base, with the
// store's faults when configured.
func HTTPClient(store string, f Faults, base http.RoundTripper) *http.Client {
	rt := base
	if sf, ok := f.Stores[store]; ok {
		rt = newFaultyTransport(store, base, sf, f.Seed)
	}
	return &http.Client{Transport: rt}
}
