package sfn

import (
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	sfnjournal "github.com/asyncjobs/stepjobs/internal/sfn/journal"
)

// The durable store is a write-ahead log (package journal, on a bbolt
// file): the history events ARE the execution state (an execution is
// rebuilt by replaying its events), plus the few facts that are not events:
// each state machine version, each execution's identity, the state a
// StateExited event moves on to, and the due time of a pending retry
// backoff. The journal keys and commits them; this file encodes and decodes
// them.
//
// Writes are committed in groups. The engine syncs before a new execution
// runs anything (and before it answers StartExecution) and before it
// reports a terminal status, so whatever a client has been told survives a
// crash, and no task runs for an execution a crash could take back; the
// intermediate events of a running execution may be lost with the last
// tick, and it then resumes from an earlier event.

// journal is where a durable engine writes every change: a
// *sfnjournal.Journal[eventRecord]; nil in memory. One method per kind of
// write keeps the journal's package (and its name, which this type takes)
// out of the files that record events.
type journal interface {
	Event(seq uint64, id int64, ev eventRecord)
	Retry(seq uint64, id int64, at time.Time)
	PutMachine(arn, version string, rec encoding.BinaryMarshaler)
	DeleteMachine(arn string)
	PutExecution(seq uint64, rec encoding.BinaryMarshaler)
	DeleteExecution(seq uint64)
	PutActivity(arn string, rec encoding.BinaryMarshaler)
	DeleteActivity(arn string)
	// Sync waits until everything written so far is committed.
	Sync() error
	// Events reads an execution's committed events, oldest first.
	Events(seq uint64, fn func(id int64, rec []byte) error) error
	Close() error
	// Abandon closes without committing what is queued (a test's crash).
	Abandon()
}

// errJournalClosed: the journal closed with writes not committed.
var errJournalClosed = sfnjournal.ErrClosed

// eventRecord is a history event as the journal holds it until its commit,
// which encodes it: recording an event costs the execution no encoding.
type eventRecord struct {
	en   entry
	id   int64
	next *string // a StateExited's: the state it moves on to ("" at the end)
}

// MarshalBinary encodes the event as a storedEvent.
func (r eventRecord) MarshalBinary() ([]byte, error) {
	return json.Marshal(storedEvent{plainEvent: plainEvent(r.en.expand(r.id)), TS: r.en.ts, Next: r.next})
}

// machineRecord encodes a state machine version; a single pointer, so
// passing it as an interface allocates nothing.
type machineRecord struct{ sm *stateMachine }

// MarshalBinary encodes the version as a storedMachine.
func (r machineRecord) MarshalBinary() ([]byte, error) {
	sm := r.sm
	return json.Marshal(storedMachine{ARN: sm.arn, Name: sm.name, Definition: sm.definition, RoleARN: sm.roleARN, Type: sm.typ, Created: sm.created})
}

// executionRecord encodes an execution's identity (see machineRecord).
type executionRecord struct{ ex *execution }

// MarshalBinary encodes the execution as a storedExecution.
func (r executionRecord) MarshalBinary() ([]byte, error) {
	ex := r.ex
	return json.Marshal(storedExecution{ARN: ex.arn, StateMachineARN: ex.sm.arn, Version: versionKey(ex.sm),
		Name: ex.name, Input: ex.input, Start: ex.start.UnixNano()})
}

// activityRecord encodes an activity (see machineRecord).
type activityRecord struct{ a *activity }

// MarshalBinary encodes the activity as a storedActivity.
func (r activityRecord) MarshalBinary() ([]byte, error) {
	return json.Marshal(storedActivity{ARN: r.a.arn, Name: r.a.name, Created: r.a.created})
}

// storedActivity is an activity on disk; its queue is not: the tasks in it
// are scheduled again when their executions resume.
type storedActivity struct {
	ARN     string    `json:"arn"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

// storedMachine is a state machine version on disk.
type storedMachine struct {
	ARN        string    `json:"arn"`
	Name       string    `json:"name"`
	Definition string    `json:"definition"`
	RoleARN    string    `json:"roleArn"`
	Type       string    `json:"type"`
	Created    time.Time `json:"created"`
}

// storedExecution is an execution's identity on disk; its status is in
// its events.
type storedExecution struct {
	ARN             string `json:"arn"`
	StateMachineARN string `json:"sm"`
	Version         string `json:"v"`
	Name            string `json:"name"`
	Input           string `json:"input"`
	Start           int64  `json:"start"` // unix nanoseconds
}

// plainEvent is Event without its MarshalJSON (which writes the timestamp
// in AWS's lossy form).
type plainEvent Event

// storedEvent is a history event on disk.
type storedEvent struct {
	plainEvent
	TS   int64   `json:"ts"` // unix nanoseconds
	Next *string `json:"next,omitempty"`
}

// decodeStoredEvent decodes an event as the journal wrote it, with the
// state a StateExited moves on to.
func decodeStoredEvent(v []byte) (Event, *string, error) {
	var se storedEvent
	if err := json.Unmarshal(v, &se); err != nil {
		return Event{}, nil, err
	}
	ev := Event(se.plainEvent)
	ev.Timestamp = time.Unix(0, se.TS)
	return ev, se.Next, nil
}

// eachStoredEvent calls fn with each of ex's events that read (a
// Snapshot's or the journal's Events) hands out, oldest first, with the
// state a StateExited moves on to; the ids must run 1, 2, ...
func eachStoredEvent(read func(uint64, func(int64, []byte) error) error, ex *execution, fn func(ev Event, next *string)) error {
	n := int64(0)
	return read(ex.seq, func(id int64, v []byte) error {
		ev, next, err := decodeStoredEvent(v)
		if err != nil {
			return fmt.Errorf("%w: event %s/%d: %w", sfnjournal.ErrCorrupt, ex.arn, id, err)
		}
		if ev.ID != n+1 {
			return fmt.Errorf("%w: execution %s: event %d follows %d", sfnjournal.ErrCorrupt, ex.arn, ev.ID, n)
		}
		n++
		fn(ev, next)
		return nil
	})
}

// storedHistory reads the n events of an execution kept on disk (see
// execution.stored).
func (e *Engine) storedHistory(ex *execution, n int64) ([]Event, error) {
	out := make([]Event, 0, n)
	err := eachStoredEvent(e.journal.Events, ex, func(ev Event, _ *string) { out = append(out, ev) })
	switch {
	case err != nil:
		return nil, fmt.Errorf("sfn: read history: %w", err)
	case int64(len(out)) != n:
		// Deleted meanwhile (retention), or a damaged file.
		return nil, apiErrorf(codeExecutionDoesNotExist, "Execution Does Not Exist: '%s'", ex.arn)
	}
	return out, nil
}

// versionKey names a state machine version by its content.
func versionKey(sm *stateMachine) string {
	if sm.ver == "" {
		h := sha256.New()
		for _, s := range []string{sm.arn, sm.definition, sm.roleARN, sm.typ, sm.created.UTC().Format(time.RFC3339Nano)} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		sm.ver = hex.EncodeToString(h.Sum(nil)[:16])
	}
	return sm.ver
}

// durableStore is the in-memory store with every change journalled.
type durableStore struct {
	*memStore
	j journal
	// lastSeq is the last execution seq handed out.
	lastSeq atomic.Uint64
}

func newDurableStore(retain int, j journal) *durableStore {
	ms := newMemStore(retain).(*memStore)
	ms.onEvict = func(ex *execution) { j.DeleteExecution(ex.seq) }
	return &durableStore{memStore: ms, j: j}
}

func (s *durableStore) PutStateMachine(sm *stateMachine) (*stateMachine, bool) {
	// The key is computed before sm is shared: the commit goroutine reads
	// it for sm's executions.
	ver := versionKey(sm)
	got, ok := s.memStore.PutStateMachine(sm)
	if ok {
		s.j.PutMachine(sm.arn, ver, machineRecord{sm})
	}
	return got, ok
}

func (s *durableStore) ReplaceStateMachine(sm *stateMachine) bool {
	ver := versionKey(sm) // before sm is shared (see PutStateMachine)
	ok := s.memStore.ReplaceStateMachine(sm)
	if ok {
		s.j.PutMachine(sm.arn, ver, machineRecord{sm})
	}
	return ok
}

func (s *durableStore) DeleteStateMachine(arn string) {
	s.memStore.DeleteStateMachine(arn)
	s.j.DeleteMachine(arn)
}

func (s *durableStore) PutExecution(ex *execution) (*execution, bool) {
	ex.seq = s.lastSeq.Add(1) // before anyone can see ex
	got, ok := s.memStore.PutExecution(ex)
	if ok {
		s.j.PutExecution(ex.seq, executionRecord{ex})
	}
	return got, ok
}
