package lambdart

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
)

// Runtime API paths (version 2018-06-01).
const (
	pathNext      = "/2018-06-01/runtime/invocation/next"
	pathResponse  = "/2018-06-01/runtime/invocation/{id}/response"
	pathError     = "/2018-06-01/runtime/invocation/{id}/error"
	pathInitError = "/2018-06-01/runtime/init/error"

	headerRequestID   = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline    = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID     = "Lambda-Runtime-Trace-Id"
	headerErrorType   = "Lambda-Runtime-Function-Error-Type"
	trailerErrorBody  = "Lambda-Runtime-Function-Error-Body"
)

// Invocation is one event handed to a runtime by invocation/next.
type Invocation struct {
	RequestID   string
	Payload     []byte
	FunctionARN string
	TraceID     string
	// Timeout sets Lambda-Runtime-Deadline-Ms, counted from the moment
	// the runtime receives the event.
	Timeout time.Duration

	done chan Outcome // buffered: the first answer wins
}

// NewInvocation returns an invocation ready to be queued on an API.
func NewInvocation(id string, payload []byte, functionARN, traceID string, timeout time.Duration) *Invocation {
	return &Invocation{RequestID: id, Payload: payload, FunctionARN: functionARN, TraceID: traceID,
		Timeout: timeout, done: make(chan Outcome, 1)}
}

// Done delivers the invocation's answer: the response payload, or a
// messages.InvokeResponse_Error.
func (inv *Invocation) Done() <-chan Outcome { return inv.done }

func (inv *Invocation) answer(o Outcome) {
	select {
	case inv.done <- o:
	default:
	}
}

// Outcome is a runtime's answer to one invocation.
type Outcome struct {
	Payload []byte
	Err     error // messages.InvokeResponse_Error when the function failed
}

// API is the Runtime API of one runtime process: it hands out one
// invocation at a time (the next one only after the previous was answered,
// as in a Lambda sandbox) and routes the answers back to the invoker.
type API struct {
	queue  chan *Invocation
	closed chan struct{}
	once   sync.Once

	mu        sync.Mutex
	current   *Invocation
	firstNext time.Time // when the runtime first asked for an event
	initErr   *messages.InvokeResponse_Error
	initDone  chan struct{} // closed on the first invocation/next or init/error
	now       func() time.Time
}

// NewAPI returns an API with no invocation queued.
func NewAPI() *API {
	return &API{queue: make(chan *Invocation), closed: make(chan struct{}), initDone: make(chan struct{}), now: time.Now}
}

// Offer hands inv to the runtime's next invocation/next call. It blocks
// until the runtime takes it or stop is closed, and reports whether it was
// taken.
func (a *API) Offer(inv *Invocation, stop <-chan struct{}) bool {
	select {
	case a.queue <- inv:
		return true
	case <-stop:
		return false
	case <-a.closed:
		return false
	}
}

// InitDone is closed when the runtime has finished its init: its first
// invocation/next call, or an init/error.
func (a *API) InitDone() <-chan struct{} { return a.initDone }

// InitError is what the runtime posted to init/error, if anything.
func (a *API) InitError() *messages.InvokeResponse_Error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.initErr
}

// FirstNext is when the runtime first called invocation/next (zero before).
func (a *API) FirstNext() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.firstNext
}

// Close ends pending invocation/next calls; the runtime is about to be killed.
func (a *API) Close() { a.once.Do(func() { close(a.closed) }) }

// Handler serves the Runtime API.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathNext, a.next)
	mux.HandleFunc("POST "+pathResponse, a.response)
	mux.HandleFunc("POST "+pathError, a.invocationError)
	mux.HandleFunc("POST "+pathInitError, a.initError)
	return mux
}

func (a *API) markInit() {
	select {
	case <-a.initDone:
	default:
		close(a.initDone)
	}
}

func (a *API) next(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	if a.firstNext.IsZero() {
		a.firstNext = a.now()
		a.markInit()
	}
	// Asking for the next event completes the previous one; an unanswered
	// one is a runtime bug that Lambda reports as an exit.
	prev := a.current
	a.current = nil
	a.mu.Unlock()
	if prev != nil {
		prev.answer(Outcome{Err: messages.InvokeResponse_Error{Type: "Runtime.InvalidResponse",
			Message: fmt.Sprintf("RequestId: %s Error: runtime asked for the next event without answering this one", prev.RequestID)}})
	}
	var inv *Invocation
	select {
	case inv = <-a.queue:
	case <-a.closed:
		http.Error(w, `{"errorMessage":"runtime shutting down","errorType":"Runtime.Shutdown"}`, http.StatusGone)
		return
	case <-r.Context().Done():
		return
	}
	a.mu.Lock()
	a.current = inv
	a.mu.Unlock()
	deadline := a.now().Add(inv.Timeout)
	h := w.Header()
	h.Set(headerRequestID, inv.RequestID)
	h.Set(headerDeadline, strconv.FormatInt(deadline.UnixMilli(), 10))
	h.Set(headerFunctionARN, inv.FunctionARN)
	h.Set(headerTraceID, inv.TraceID)
	h.Set("Content-Type", "application/json")
	_, _ = w.Write(inv.Payload)
}

// take returns the invocation id answers and clears it, or writes the
// Runtime API's 400 for an unknown request id.
func (a *API) take(w http.ResponseWriter, id string) *Invocation {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.current == nil || a.current.RequestID != id {
		writeJSON(w, http.StatusBadRequest, map[string]string{"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"})
		return nil
	}
	inv := a.current
	a.current = nil
	return inv
}

// answerOf reads the body of a runtime's answer and takes the invocation
// it answers; on a failure it has written the Runtime API's 400 and inv is
// nil.
func (a *API) answerOf(w http.ResponseWriter, r *http.Request) (body []byte, inv *Invocation) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"errorMessage": err.Error(), "errorType": "InvalidRequest"})
		return nil, nil
	}
	return body, a.take(w, r.PathValue("id"))
}

func (a *API) response(w http.ResponseWriter, r *http.Request) {
	body, inv := a.answerOf(w, r)
	if inv == nil {
		return
	}
	// aws-lambda-go reports an error while it streams the body in trailers.
	if typ := r.Trailer.Get(headerErrorType); typ != "" {
		inv.answer(Outcome{Err: decodeTrailerError(typ, r.Trailer.Get(trailerErrorBody))})
	} else {
		inv.answer(Outcome{Payload: body})
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "OK"})
}

func (a *API) invocationError(w http.ResponseWriter, r *http.Request) {
	body, inv := a.answerOf(w, r)
	if inv == nil {
		return
	}
	inv.answer(Outcome{Err: ParseError(body, r.Header.Get(headerErrorType))})
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "OK"})
}

func (a *API) initError(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"errorMessage": err.Error(), "errorType": "InvalidRequest"})
		return
	}
	e := ParseError(body, r.Header.Get(headerErrorType))
	a.mu.Lock()
	if a.initErr == nil {
		a.initErr = &e
	}
	a.markInit()
	a.mu.Unlock()
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "OK"})
}

// ParseError reads an error body a runtime posts
// ({"errorMessage": ..., "errorType": ...}). A body that is not such an
// object keeps its text as the message; the type falls back to the
// Lambda-Runtime-Function-Error-Type header, then to "Unhandled" as Lambda
// does.
func ParseError(body []byte, headerType string) messages.InvokeResponse_Error {
	var e messages.InvokeResponse_Error
	if err := json.Unmarshal(body, &e); err != nil {
		e = messages.InvokeResponse_Error{Message: string(body)}
	}
	e.StackTrace = nil
	if e.Type == "" {
		e.Type = headerType
	}
	if e.Type == "" {
		e.Type = "Unhandled"
	}
	return e
}

func decodeTrailerError(typ, b64 string) messages.InvokeResponse_Error {
	body, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(body) == 0 {
		return messages.InvokeResponse_Error{Type: typ, Message: typ}
	}
	return ParseError(body, typ)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
