package sfn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asyncjobs/stepjobs/internal/asl"
	"github.com/asyncjobs/stepjobs/internal/sfn/mockconfig"
)

// maxPayload is AWS's 256 KiB limit on inputs, outputs and state data.
const maxPayload = 256 * 1024

// Execution statuses.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// Config configures an Engine. Zero fields get defaults.
type Config struct {
	Region    string // default us-east-1
	AccountID string // default 123456789012
	Partition string // default aws
	Clock     Clock  // default RealClock
	Invokers  *Registry
	// Rand is the source of retry jitter; default a randomly seeded PCG.
	Rand   rand.Source
	Logger *slog.Logger // default slog.Default()
	// RetainClosed bounds how many closed executions stay readable (the
	// oldest are forgotten first); 0 keeps them all, as AWS does for 90 days.
	// A long-running local runtime can bound its memory with it.
	RetainClosed int
	// Mocks is Step Functions Local's mock configuration (SFN_MOCK_CONFIG):
	// StartExecution with stateMachineArn#TestCase runs the test case's
	// mocked states on its responses. Nil: no test cases.
	Mocks *mockconfig.Config
	// DataFile is a bbolt file keeping state machines, executions, their
	// histories and pending retries across restarts (see Open). Empty:
	// memory only. New ignores it.
	DataFile string
	// TaskConcurrency bounds the invocations of the Registry's Lambda
	// functions by tasks (a function ARN, lambda:invoke) running at once,
	// across functions and executions; 0: no bound. A task beyond it
	// waits for a slot, its timeout and heartbeat running as for a
	// throttled invocation, holding no goroutine (see taskslots.go).
	TaskConcurrency int
}

// Engine runs state machines: it keeps their definitions, starts executions
// on goroutines and records their histories. Its methods are the Step
// Functions operations; internal/sfnapi serves them as the AWS JSON 1.0 API.
type Engine struct {
	cfg   Config
	store store
	// journal makes the store durable; nil in memory (the fast path pays
	// one nil check per event).
	journal journal
	// recovered lists the running executions Open found, for Resume.
	recovered []*recovery

	subMu sync.RWMutex
	subs  map[int]func(StatusChange)
	subID int

	// busy counts goroutines doing execution work (running states or
	// tasks); WaitIdle uses it to find out when every execution is waiting
	// on a timer. idle, when a waiter made it, is closed each time busy
	// drops to 0.
	busy   atomic.Int64
	idleMu sync.Mutex
	idle   chan struct{}

	rnd *rand.Rand // shared by executions: its source is locked

	// tokens maps the task tokens of waiting callback tasks to their runs.
	tokens sync.Map // string -> *taskRun

	actMu      sync.Mutex
	activities map[string]*activity // by ARN; see activity.go

	// slots bounds function invocations (Config.TaskConcurrency); nil:
	// no bound.
	slots *taskSlots
}

// lockedSource makes a rand.Source safe for concurrent use.
type lockedSource struct {
	mu  sync.Mutex
	src rand.Source
}

func (s *lockedSource) Uint64() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.src.Uint64()
}

// StatusChange is sent to subscribers when an execution starts or closes.
type StatusChange struct {
	ExecutionARN    string
	StateMachineARN string
	Name            string
	Status          string
	// Input is the execution's input, as its status change event carries it
	// (the callback notifier reads the job's callbackUrl from it).
	Input        string
	Output       *string
	Error, Cause *string
	Time         time.Time
}

// New returns an Engine keeping everything in memory.
func New(cfg Config) *Engine {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "123456789012"
	}
	if cfg.Partition == "" {
		cfg.Partition = "aws"
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.Invokers == nil {
		cfg.Invokers = NewRegistry()
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.NewPCG(rand.Uint64(), rand.Uint64())
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Engine{
		cfg: cfg, store: newMemStore(cfg.RetainClosed), subs: map[int]func(StatusChange){},
		rnd: rand.New(&lockedSource{src: cfg.Rand}), slots: newTaskSlots(cfg.TaskConcurrency),
	}
}

// Logger returns the engine's logger (Config.Logger or its default), so a
// protocol serving the engine logs where the engine does.
func (e *Engine) Logger() *slog.Logger { return e.cfg.Logger }

// Subscribe registers fn to be called (synchronously, keep it short) on every
// execution status change. It returns a function that cancels the subscription.
func (e *Engine) Subscribe(fn func(StatusChange)) (cancel func()) {
	e.subMu.Lock()
	defer e.subMu.Unlock()
	e.subID++
	id := e.subID
	e.subs[id] = fn
	return func() {
		e.subMu.Lock()
		defer e.subMu.Unlock()
		delete(e.subs, id)
	}
}

func (e *Engine) notify(c StatusChange) {
	e.subMu.RLock()
	defer e.subMu.RUnlock()
	for _, fn := range e.subs {
		fn(c)
	}
}

// work marks the start of execution work; workDone marks its end.
func (e *Engine) work() { e.busy.Add(1) }

// workDone marks the end of execution work.
func (e *Engine) workDone() {
	if e.busy.Add(-1) == 0 {
		e.idleMu.Lock()
		if e.idle != nil {
			close(e.idle)
			e.idle = nil
		}
		e.idleMu.Unlock()
	}
}

// idleChan returns a channel closed the next time the engine goes idle
// (made on demand: only WaitIdle needs one).
func (e *Engine) idleChan() <-chan struct{} {
	e.idleMu.Lock()
	defer e.idleMu.Unlock()
	if e.idle == nil {
		e.idle = make(chan struct{})
	}
	return e.idle
}

// WaitIdle blocks until no execution has a state or task in progress:
// every running execution is then waiting on a timer (a Wait state, a
// retry backoff, a timeout). With a FakeClock, tests call it before moving
// time on, so the timers they mean to fire are registered. A task that
// never returns keeps the engine busy.
func (e *Engine) WaitIdle(ctx context.Context) error {
	for {
		ch := e.idleChan()
		if e.busy.Load() == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for the engine to go idle: %w", ctx.Err())
		}
	}
}

// stateMachine is a created state machine.
type stateMachine struct {
	arn, name, definition, roleARN, typ string
	created                             time.Time
	def                                 *asl.StateMachine
	tasks                               map[*asl.State]*task
	ver                                 string // versionKey, set by the journal
	// eventsHint is the longest history seen so far (capped), so a new
	// execution's history is allocated once instead of grown by doubling:
	// an Event is large and the copies showed in profiles.
	eventsHint atomic.Int32
}

// StateMachineInfo describes a state machine (DescribeStateMachine).
type StateMachineInfo struct {
	ARN, Name, Definition, RoleARN, Type string
	CreationDate                         time.Time
}

func (sm *stateMachine) info() StateMachineInfo {
	return StateMachineInfo{ARN: sm.arn, Name: sm.name, Definition: sm.definition, RoleARN: sm.roleARN, Type: sm.typ, CreationDate: sm.created}
}

// CreateStateMachineInput holds the CreateStateMachine parameters.
type CreateStateMachineInput struct {
	Name       string
	Definition string
	RoleARN    string
	Type       string // STANDARD (default) or EXPRESS
}

// CreateStateMachine validates the definition, resolves every Task resource
// to an invoker and stores the machine. Creating the same machine again
// (same definition and role) is idempotent, as on AWS.
func (e *Engine) CreateStateMachine(_ context.Context, in CreateStateMachineInput) (StateMachineInfo, error) {
	if err := validName(in.Name); err != nil {
		return StateMachineInfo{}, err
	}
	return e.createStateMachine(in)
}

// createStateMachine is CreateStateMachine without the name check (the
// conformance test uses the corpus' placeholder names, e.g. <ArnPart_0idx>).
func (e *Engine) createStateMachine(in CreateStateMachineInput) (StateMachineInfo, error) {
	if in.Type == "" {
		in.Type = "STANDARD"
	}
	if in.Type != "STANDARD" && in.Type != "EXPRESS" {
		return StateMachineInfo{}, apiErrorf(codeValidationException,
			"1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]", in.Type)
	}
	def, err := parseDefinition(in.Definition)
	if err != nil {
		return StateMachineInfo{}, err
	}
	tasks, err := e.resolveTasks(def, []byte(in.Definition))
	if err != nil {
		return StateMachineInfo{}, err
	}
	sm := &stateMachine{
		arn: e.stateMachineARN(in.Name), name: in.Name, definition: in.Definition,
		roleARN: in.RoleARN, typ: in.Type, created: e.cfg.Clock.Now(), def: def, tasks: tasks,
	}
	got, ok := e.store.PutStateMachine(sm)
	if !ok && (got.definition != sm.definition || got.roleARN != sm.roleARN || got.typ != sm.typ) {
		return StateMachineInfo{}, apiErrorf(codeStateMachineAlreadyExists, "State Machine Already Exists: '%s'", sm.arn)
	}
	return got.info(), nil
}

// parseDefinition parses a definition, answering InvalidDefinition with
// the validator's messages when it is not valid.
func parseDefinition(definition string) (*asl.StateMachine, error) {
	def, err := asl.Parse([]byte(definition))
	if err != nil {
		var de *asl.DefinitionError
		if errors.As(err, &de) {
			return nil, &APIError{Code: codeInvalidDefinition, Message: de.Error()}
		}
		return nil, apiErrorf(codeInvalidDefinition, "Invalid State Machine Definition: '%s'", err)
	}
	return def, nil
}

// resolveTasks walks the parsed definition together with its raw JSON and
// resolves every Task's Resource.
func (e *Engine) resolveTasks(def *asl.StateMachine, raw []byte) (map[*asl.State]*task, error) {
	tasks := map[*asl.State]*task{}
	var walk func(m *asl.StateMachine, raw json.RawMessage, loc string) error
	walk = func(m *asl.StateMachine, raw json.RawMessage, loc string) error {
		var rm struct {
			States map[string]json.RawMessage
		}
		if err := json.Unmarshal(raw, &rm); err != nil {
			return apiErrorf(codeInvalidDefinition, "Invalid State Machine Definition: '%s'", err)
		}
		for name, st := range m.States {
			var rs struct {
				Parameters    map[string]json.RawMessage
				Branches      []json.RawMessage
				ItemProcessor json.RawMessage
				Iterator      json.RawMessage
			}
			_ = json.Unmarshal(rm.States[name], &rs)
			at := loc + "/States/" + name
			switch st.Type {
			case asl.TypeTask:
				t, err := e.resolveTask(st.Resource, rs.Parameters)
				if err != nil && e.cfg.Mocks != nil {
					t, err = unresolvedTask(st.Resource, err)
				}
				if err != nil {
					return apiErrorf(codeInvalidDefinition, "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: %s at %s/Resource'", err, at)
				}
				tasks[st] = t
			case asl.TypeParallel:
				for i, b := range st.Branches {
					if i < len(rs.Branches) {
						if err := walk(b, rs.Branches[i], fmt.Sprintf("%s/Branches[%d]", at, i)); err != nil {
							return err
						}
					}
				}
			case asl.TypeMap:
				proc := rs.ItemProcessor
				if proc == nil {
					proc = rs.Iterator
				}
				if st.ItemProcessor != nil && proc != nil {
					if err := walk(st.ItemProcessor, proc, at+"/ItemProcessor"); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	if err := walk(def, raw, ""); err != nil {
		return nil, err
	}
	return tasks, nil
}

// UpdateStateMachine replaces a machine's definition and/or role (empty
// means unchanged). Running executions finish with the version they started
// with, as on AWS; new executions use the new one.
func (e *Engine) UpdateStateMachine(_ context.Context, arn, definition, roleARN string) (time.Time, error) {
	old, err := e.stateMachine(arn)
	if err != nil {
		return time.Time{}, err
	}
	in := CreateStateMachineInput{Name: old.name, Definition: old.definition, RoleARN: old.roleARN, Type: old.typ}
	if definition != "" {
		in.Definition = definition
	}
	if roleARN != "" {
		in.RoleARN = roleARN
	}
	def, err := parseDefinition(in.Definition)
	if err != nil {
		return time.Time{}, err
	}
	tasks, err := e.resolveTasks(def, []byte(in.Definition))
	if err != nil {
		return time.Time{}, err
	}
	now := e.cfg.Clock.Now()
	sm := &stateMachine{arn: old.arn, name: old.name, definition: in.Definition, roleARN: in.RoleARN, typ: old.typ,
		created: old.created, def: def, tasks: tasks}
	if !e.store.ReplaceStateMachine(sm) {
		return time.Time{}, apiErrorf(codeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", arn)
	}
	return now, nil
}

// DescribeStateMachine returns a state machine.
func (e *Engine) DescribeStateMachine(_ context.Context, arn string) (StateMachineInfo, error) {
	sm, err := e.stateMachine(arn)
	if err != nil {
		return StateMachineInfo{}, err
	}
	return sm.info(), nil
}

func (e *Engine) stateMachine(arn string) (*stateMachine, error) {
	if _, err := parseARN(arn, resourceStateMachine); err != nil {
		return nil, err
	}
	sm, ok := e.store.StateMachine(arn)
	if !ok {
		return nil, apiErrorf(codeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", arn)
	}
	return sm, nil
}

// ListStateMachines lists every state machine, by name.
func (e *Engine) ListStateMachines(_ context.Context) []StateMachineInfo {
	sms := e.store.StateMachines()
	out := make([]StateMachineInfo, len(sms))
	for i, sm := range sms {
		out[i] = sm.info()
	}
	return out
}

// DeleteStateMachine deletes a state machine; its executions keep running
// and stay readable, as on AWS.
func (e *Engine) DeleteStateMachine(_ context.Context, arn string) error {
	if _, err := parseARN(arn, resourceStateMachine); err != nil {
		return err
	}
	e.store.DeleteStateMachine(arn)
	return nil
}

// ExecutionInfo describes an execution (DescribeExecution).
type ExecutionInfo struct {
	ExecutionARN    string
	StateMachineARN string
	Name            string
	Status          string
	StartDate       time.Time
	StopDate        time.Time // zero while RUNNING
	Input           string
	Output          *string // SUCCEEDED only
	Error, Cause    *string
	RedriveCount    int
	RedriveStatus   string
	RedriveReason   string
}

// StartExecution starts an execution of the state machine with the given
// name (a UUID when empty) and JSON input ("{}" when empty is meant: pass
// "{}"). Starting again with the same name and input while the first one is
// RUNNING returns it; otherwise a taken name is ExecutionAlreadyExists.
func (e *Engine) StartExecution(_ context.Context, smARN, name, input string) (ExecutionInfo, error) {
	if name != "" {
		if err := validName(name); err != nil {
			return ExecutionInfo{}, err
		}
	}
	ex, err := e.startExecution(smARN, name, input)
	if err != nil {
		return ExecutionInfo{}, err
	}
	return ex.describe(), nil
}

// startExecution is StartExecution without the name check.
func (e *Engine) startExecution(smARN, name, input string) (*execution, error) {
	// Step Functions Local's test cases: arn#TestCase ('#' cannot be in a
	// state machine's name, so the suffix is unambiguous).
	smARN, testCase, mocked := strings.Cut(smARN, "#")
	sm, err := e.stateMachine(smARN)
	if err != nil {
		return nil, err
	}
	var tc *mockconfig.TestCase
	if mocked {
		if tc, err = e.testCase(sm, testCase); err != nil {
			return nil, err
		}
	}
	if name == "" {
		name = NewUUID()
	}
	if len(input) > maxPayload {
		return nil, apiErrorf(codeInvalidExecutionInput,
			"Invalid State Machine Execution Input: 'Input size exceeds the maximum number of bytes service limit (%d bytes).'", maxPayload)
	}
	val, err := asl.DecodeJSONString(input)
	if err != nil {
		return nil, apiErrorf(codeInvalidExecutionInput, "Invalid State Machine Execution Input: '%s'", inputErrorText(input))
	}
	ex := e.newExecution(sm, name, input, val)
	ex.mock = tc
	got, ok := e.store.PutExecution(ex)
	if !ok {
		got.mu.Lock()
		same := got.status == StatusRunning && got.input == input
		got.mu.Unlock()
		if same {
			// The first call may not have been answered yet, or was
			// answered InternalFailure: this one too waits for the disk.
			if err := e.syncStart(got); err != nil {
				return nil, err
			}
			return got, nil
		}
		return nil, apiErrorf(codeExecutionAlreadyExists, "Execution Already Exists: '%s'", ex.arn)
	}
	ex.begin()
	if e.journal == nil {
		ex.run()
		return ex, nil
	}
	// Nothing runs, and the caller learns nothing, before the start is on
	// disk: a task run earlier (Track writes the job record) would outlive
	// a kill -9 that took the execution back. When the disk fails, the
	// caller learns that instead; the journal keeps trying and the
	// execution runs once the commit goes through, so calling again with
	// the same name and input returns it then.
	if err := e.syncStart(ex); err != nil {
		go ex.runOnceDurable(e.journal)
		return nil, err
	}
	ex.run()
	return ex, nil
}

// testCase looks up a test case of the mock configuration for sm.
func (e *Engine) testCase(sm *stateMachine, name string) (*mockconfig.TestCase, error) {
	if e.cfg.Mocks == nil {
		return nil, apiErrorf(codeValidationException,
			"Test case '%s' cannot run: no mock configuration file is loaded (set SFN_MOCK_CONFIG)", name)
	}
	tc, ok := e.cfg.Mocks.TestCase(sm.name, name)
	if !ok {
		return nil, apiErrorf(codeValidationException,
			"Test case '%s' is not defined for state machine '%s' in the mock configuration file", name, sm.name)
	}
	return tc, nil
}

// syncStart waits until ex's start is on disk (no-op in memory).
func (e *Engine) syncStart(ex *execution) error {
	if e.journal == nil {
		return nil
	}
	if err := e.journal.Sync(); err != nil {
		e.cfg.Logger.Error("journal: commit failed", "executionArn", ex.arn, "err", err)
		return apiErrorf(codeInternalFailure, "The execution %s is not on disk yet: %v", ex.arn, err)
	}
	return nil
}

// inputErrorText mimics the Jackson parser messages AWS reports.
func inputErrorText(input string) string {
	s := bytes.TrimSpace([]byte(input))
	switch {
	case len(s) == 0:
		return "Invalid execution input."
	case s[0] == '{' && len(s) > 1:
		rest := bytes.TrimSpace(s[1:])
		if len(rest) > 0 && rest[0] != '"' && rest[0] != '}' {
			return fmt.Sprintf("Unexpected character ('%c' (code %d)): was expecting double-quote to start field name", rest[0], rest[0])
		}
	case s[0] != '[' && s[0] != '"' && s[0] != '-' && (s[0] < '0' || s[0] > '9'):
		tok := s
		if i := bytes.IndexAny(tok, " \t\r\n,:{}[]\""); i > 0 {
			tok = tok[:i]
		}
		return fmt.Sprintf("Unrecognized token '%s': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')", tok)
	}
	return "Invalid execution input."
}

// DescribeExecution returns an execution.
func (e *Engine) DescribeExecution(_ context.Context, arn string) (ExecutionInfo, error) {
	ex, err := e.execution(arn)
	if err != nil {
		return ExecutionInfo{}, err
	}
	return ex.describe(), nil
}

// DescribeStateMachineForExecution returns the machine an execution runs.
func (e *Engine) DescribeStateMachineForExecution(_ context.Context, arn string) (StateMachineInfo, error) {
	ex, err := e.execution(arn)
	if err != nil {
		return StateMachineInfo{}, err
	}
	return ex.sm.info(), nil
}

func (e *Engine) execution(arn string) (*execution, error) {
	if _, err := parseARN(arn, resourceExecution); err != nil {
		return nil, err
	}
	ex, ok := e.store.Execution(arn)
	if !ok {
		return nil, apiErrorf(codeExecutionDoesNotExist, "Execution Does Not Exist: '%s'", arn)
	}
	return ex, nil
}

// StopExecution aborts a running execution: running tasks see their context
// cancelled, pending timers are stopped and ExecutionAborted is recorded.
// Stopping a closed execution changes nothing and returns its stop date.
func (e *Engine) StopExecution(_ context.Context, arn string, errName, cause *string) (time.Time, error) {
	ex, err := e.execution(arn)
	if err != nil {
		return time.Time{}, err
	}
	ex.close(StatusAborted, "ExecutionAborted", nil, errName, cause, 0)
	ex.mu.Lock()
	defer ex.mu.Unlock()
	return ex.stop, nil
}

// ListExecutions lists a state machine's executions, newest first,
// optionally only those with the given status.
func (e *Engine) ListExecutions(_ context.Context, smARN, status string) ([]ExecutionInfo, error) {
	if _, err := parseARN(smARN, resourceStateMachine); err != nil {
		return nil, err
	}
	exs := e.store.Executions(smARN)
	if _, ok := e.store.StateMachine(smARN); !ok && len(exs) == 0 {
		return nil, apiErrorf(codeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", smARN)
	}
	out := make([]ExecutionInfo, 0, len(exs))
	for _, ex := range exs {
		d := ex.describe()
		if status == "" || d.Status == status {
			out = append(out, d)
		}
	}
	return out, nil
}

// History returns a copy of an execution's history events, oldest first.
func (e *Engine) History(_ context.Context, arn string) ([]Event, error) {
	ex, err := e.execution(arn)
	if err != nil {
		return nil, err
	}
	ex.mu.Lock()
	stored := ex.stored
	if stored == 0 {
		defer ex.mu.Unlock()
		return ex.history(), nil
	}
	ex.mu.Unlock()
	return e.storedHistory(ex, stored)
}

// Wait blocks until the execution closes or ctx is done, and describes it.
func (e *Engine) Wait(ctx context.Context, arn string) (ExecutionInfo, error) {
	ex, err := e.execution(arn)
	if err != nil {
		return ExecutionInfo{}, err
	}
	select {
	case <-ex.done:
		return ex.describe(), nil
	case <-ctx.Done():
		return ex.describe(), fmt.Errorf("wait for %s: %w", arn, ctx.Err())
	}
}

// NewUUID returns a random version 4 UUID (default execution names, request ids).
func NewUUID() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := rand.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	// 8-4-4-4-12 hex digits, written out (fmt made it seven allocations).
	var out [36]byte
	o := 0
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[o] = '-'
			o++
		}
		out[o], out[o+1] = hexDigits[x>>4], hexDigits[x&0x0f]
		o += 2
	}
	return string(out[:])
}

// Diagnostic is one finding of ValidateStateMachineDefinition.
type Diagnostic struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Location string `json:"location,omitempty"`
}

// ValidateStateMachineDefinition checks a definition as AWS's operation of
// that name does: the language rules only (Task resources are not resolved).
// It reports "OK" or "FAIL" with the diagnostics.
func (e *Engine) ValidateStateMachineDefinition(_ context.Context, definition string) (string, []Diagnostic) {
	_, err := asl.Parse([]byte(definition))
	if err == nil {
		return "OK", []Diagnostic{}
	}
	var de *asl.DefinitionError
	if !errors.As(err, &de) {
		return "FAIL", []Diagnostic{{Severity: "ERROR", Code: asl.CodeSchemaValidationFailed, Message: err.Error()}}
	}
	out := make([]Diagnostic, len(de.Problems))
	for i, p := range de.Problems {
		out[i] = Diagnostic{Severity: "ERROR", Code: p.Code, Message: p.Message, Location: p.Location}
	}
	return "FAIL", out
}
