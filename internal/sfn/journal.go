package sfn

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The durable store is a write-ahead log in a bbolt file: the history
// events ARE the execution state (an execution is rebuilt by replaying its
// events), plus the few facts that are not events: each state machine
// version, each execution's identity, the state a StateExited event moves
// on to, and the due time of a pending retry backoff.
//
// Buckets (keys are byte strings):
//
//	ver  version key -> storedMachine        a machine definition, immutable
//	sm   state machine ARN -> version key    the current version
//	ex   seq -> storedExecution              ARN, name, input, start, version
//	ev   seq, event id -> storedEvent
//	rt   seq, event id -> unix nanoseconds:  the retry of the attempt that
//	     failed with that event is due then
//
// seq numbers executions in creation order and every number is big-endian,
// so writes land at the end of the B+trees (few pages touched per commit,
// pages filled) rather than all over them, as random ARNs would.
//
// Writes are queued and committed in groups (many executions' events in one
// bbolt transaction, one fsync) by a single goroutine: when the queue holds
// maxBatch operations, every tick, or at once when somebody waits in sync.
// The engine calls sync before a new execution runs anything (and before
// it answers StartExecution) and before it reports a terminal status, so
// whatever a client has been told survives a crash, and no task runs for
// an execution a crash could take back; the intermediate events of a running execution may be lost with
// the last tick, and it then resumes from an earlier event.
var (
	bucketVersions      = []byte("ver")
	bucketStateMachines = []byte("sm")
	bucketExecutions    = []byte("ex")
	bucketEvents        = []byte("ev")
	bucketRetries       = []byte("rt")
)

const (
	// journalTick bounds how long an unsynced event waits for its commit.
	journalTick = 5 * time.Millisecond
	// journalMaxBatch commits early when this many operations are queued.
	journalMaxBatch = 4096
)

type opKind uint8

const (
	opEvent opKind = iota + 1
	opRetry
	opPutMachine
	opDeleteMachine
	opPutExecution
	opDeleteExecution
)

// journalOp is one queued write.
type journalOp struct {
	kind opKind
	arn  string
	seq  uint64  // the execution's
	en   entry   // opEvent: the event, with id
	next *string // opEvent of a StateExited: the state it moves on to
	id   int64
	at   time.Time
	sm   *stateMachine
	ex   *execution
}

// journal queues writes and commits them in groups.
type journal struct {
	db *bolt.DB

	mu      sync.Mutex
	cond    *sync.Cond
	pending []journalOp
	spare   []journalOp
	queued  uint64 // operations ever queued
	durable uint64 // operations committed
	closed  bool
	err     error // the last commit's error; nil once a commit succeeds
	commits uint64
	// failures counts failed commits; their operations stay queued and
	// are tried again from retryAt on, backing off up to a second.
	failures uint64
	retryAt  time.Time
	backoff  time.Duration
	lastSeq  atomic.Uint64 // the last execution seq handed out
	// commit writes a batch in one transaction (tests make it fail).
	commit func([]journalOp) error

	kick    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
}

func openJournal(path string) (*journal, error) {
	// The timeout makes a second runtime on the same file fail instead of
	// waiting for the file lock forever.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketVersions, bucketStateMachines, bucketExecutions, bucketEvents, bucketRetries} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("create buckets in %s: %w", path, err)
	}
	j := &journal{db: db, kick: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	j.commit = func(ops []journalOp) error { return db.Update(func(tx *bolt.Tx) error { return writeOps(tx, ops) }) }
	j.cond = sync.NewCond(&j.mu)
	go j.loop()
	return j, nil
}

// add queues an operation.
func (j *journal) add(op journalOp) {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return
	}
	j.pending = append(j.pending, op)
	j.queued++
	full := len(j.pending) >= journalMaxBatch
	j.mu.Unlock()
	if full {
		j.wake()
	}
}

func (j *journal) wake() {
	select {
	case j.kick <- struct{}{}:
	default:
	}
}

// event queues a history event; next is set for StateExited events.
func (j *journal) event(seq uint64, id int64, en entry, next *string) {
	j.add(journalOp{kind: opEvent, seq: seq, id: id, en: en, next: next})
}

// sync waits until every operation queued so far is committed. When a
// commit fails first it returns that error instead of waiting for the
// retries: the operations stay queued, and a later sync succeeds once a
// commit does.
func (j *journal) sync() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	target, failures := j.queued, j.failures
	if j.durable >= target {
		return nil
	}
	j.wake()
	for j.durable < target && !j.closed && j.failures == failures {
		j.cond.Wait()
	}
	switch {
	case j.durable >= target:
		return nil
	case j.closed:
		// Checked before j.err: nothing will retry a closed journal's
		// commits, and runOnceDurable stops waiting on this error.
		if j.err != nil {
			return fmt.Errorf("%w: %w", errJournalClosed, j.err)
		}
		return errJournalClosed
	case j.err != nil:
		return fmt.Errorf("journal: commit failed, retrying: %w", j.err)
	}
	return errJournalClosed
}

// errJournalClosed: the journal closed with operations not committed.
var errJournalClosed = errors.New("journal: closed before the commit")

func (j *journal) loop() {
	defer close(j.stopped)
	tick := time.NewTicker(journalTick)
	defer tick.Stop()
	for {
		select {
		case <-j.stop:
			return
		case <-j.kick:
		case <-tick.C:
		}
		_ = j.flush() // a failure stays in j.err, for sync
	}
}

// flush commits what is queued in one transaction. A failed commit loses
// nothing: its batch goes back in front of what was queued meanwhile, in
// order, to be tried again after a backoff.
func (j *journal) flush() error {
	j.mu.Lock()
	if len(j.pending) == 0 || j.closed || time.Now().Before(j.retryAt) {
		err := j.err
		j.mu.Unlock()
		return err
	}
	batch := j.pending
	j.pending = j.spare[:0]
	upto := j.queued
	j.mu.Unlock()

	err := j.commit(batch)

	j.mu.Lock()
	defer j.mu.Unlock()
	defer j.cond.Broadcast()
	if err != nil {
		rest := j.pending
		j.pending = append(batch, rest...)
		clear(rest)
		j.spare = rest[:0]
		j.err = err
		j.failures++
		j.backoff = min(max(2*j.backoff, journalTick), time.Second)
		j.retryAt = time.Now().Add(j.backoff)
		return err
	}
	clear(batch) // drop references to events and executions
	j.spare = batch[:0]
	j.durable = upto
	j.err, j.backoff, j.retryAt = nil, 0, time.Time{}
	j.commits++
	return nil
}

// close commits what is queued (one last try, whatever the backoff) and
// closes the file; it reports operations it could not commit.
func (j *journal) close() error {
	j.mu.Lock()
	j.retryAt = time.Time{}
	j.mu.Unlock()
	ferr := j.flush()
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	lost := len(j.pending)
	j.cond.Broadcast()
	j.mu.Unlock()
	close(j.stop)
	<-j.stopped
	err := j.db.Close()
	if ferr != nil && lost > 0 {
		err = errors.Join(fmt.Errorf("journal: %d operations not committed: %w", lost, ferr), err)
	}
	return err
}

// abandon closes the file without committing what is queued: what a crash
// leaves behind (tests).
func (j *journal) abandon() {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return
	}
	j.closed = true
	j.pending = nil
	j.cond.Broadcast()
	j.mu.Unlock()
	close(j.stop)
	<-j.stopped
	_ = j.db.Close()
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

// history reads the n events of an execution kept on disk (see
// execution.stored).
func (j *journal) history(ex *execution, n int64) ([]Event, error) {
	out := make([]Event, 0, n)
	err := j.db.View(func(tx *bolt.Tx) error {
		return eachStoredEvent(tx.Bucket(bucketEvents).Cursor(), ex, func(ev Event, _ *string) { out = append(out, ev) })
	})
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

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 16), seq) }

func eventKey(seq uint64, id int64) []byte {
	return binary.BigEndian.AppendUint64(seqKey(seq), uint64(id))
}

func splitEventKey(k []byte) (uint64, int64, bool) {
	if len(k) != 16 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint64(k), int64(binary.BigEndian.Uint64(k[8:])), true
}

func writeOps(tx *bolt.Tx, ops []journalOp) error {
	ver, sms, exs := tx.Bucket(bucketVersions), tx.Bucket(bucketStateMachines), tx.Bucket(bucketExecutions)
	evs, rts := tx.Bucket(bucketEvents), tx.Bucket(bucketRetries)
	// Keys grow (see seq): fill pages instead of splitting them in half.
	exs.FillPercent, evs.FillPercent, rts.FillPercent = 1, 1, 1
	// bbolt keeps the value slices until the commit: one allocation each.
	put := func(b *bolt.Bucket, key []byte, v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		return b.Put(key, data)
	}
	for i := range ops {
		op := &ops[i]
		var err error
		switch op.kind {
		case opEvent:
			err = put(evs, eventKey(op.seq, op.id), storedEvent{plainEvent: plainEvent(op.en.expand(op.id)), TS: op.en.ts, Next: op.next})
		case opRetry:
			err = rts.Put(eventKey(op.seq, op.id), binary.BigEndian.AppendUint64(nil, uint64(op.at.UnixNano())))
		case opPutMachine:
			sm := op.sm
			key := []byte(versionKey(sm))
			if ver.Get(key) == nil {
				err = put(ver, key, storedMachine{ARN: sm.arn, Name: sm.name, Definition: sm.definition, RoleARN: sm.roleARN, Type: sm.typ, Created: sm.created})
			}
			if err == nil {
				err = sms.Put([]byte(sm.arn), key)
			}
		case opDeleteMachine:
			err = sms.Delete([]byte(op.arn))
		case opPutExecution:
			ex := op.ex
			err = put(exs, seqKey(op.seq), storedExecution{ARN: ex.arn, StateMachineARN: ex.sm.arn, Version: versionKey(ex.sm),
				Name: ex.name, Input: ex.input, Start: ex.start.UnixNano()})
		case opDeleteExecution:
			if err = exs.Delete(seqKey(op.seq)); err == nil {
				err = deletePrefix(evs, seqKey(op.seq))
			}
			if err == nil {
				err = deletePrefix(rts, seqKey(op.seq))
			}
		}
		if err != nil {
			return fmt.Errorf("journal %d: %w", op.kind, err)
		}
	}
	return nil
}

func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// durableStore is the in-memory store with every change journalled.
type durableStore struct {
	*memStore
	j *journal
}

func newDurableStore(retain int, j *journal) *durableStore {
	ms := newMemStore(retain).(*memStore)
	ms.onEvict = func(ex *execution) { j.add(journalOp{kind: opDeleteExecution, seq: ex.seq}) }
	return &durableStore{memStore: ms, j: j}
}

func (s *durableStore) PutStateMachine(sm *stateMachine) (*stateMachine, bool) {
	got, ok := s.memStore.PutStateMachine(sm)
	if ok {
		s.j.add(journalOp{kind: opPutMachine, sm: sm})
	}
	return got, ok
}

func (s *durableStore) ReplaceStateMachine(sm *stateMachine) bool {
	ok := s.memStore.ReplaceStateMachine(sm)
	if ok {
		s.j.add(journalOp{kind: opPutMachine, sm: sm})
	}
	return ok
}

func (s *durableStore) DeleteStateMachine(arn string) {
	s.memStore.DeleteStateMachine(arn)
	s.j.add(journalOp{kind: opDeleteMachine, arn: arn})
}

func (s *durableStore) PutExecution(ex *execution) (*execution, bool) {
	ex.seq = s.j.lastSeq.Add(1) // before anyone can see ex
	got, ok := s.memStore.PutExecution(ex)
	if ok {
		s.j.add(journalOp{kind: opPutExecution, seq: ex.seq, ex: ex})
	}
	return got, ok
}

// errCorrupt marks a data file this engine cannot read.
var errCorrupt = errors.New("corrupt data file")
