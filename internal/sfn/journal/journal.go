// Package journal is the step functions engine's write-ahead log: a bbolt
// file holding state machine versions, activities, executions, their
// history events and the due times of pending retries, written in groups (one transaction and
// one fsync for many executions' writes) by a single goroutine.
//
// The journal does not interpret what it stores: records are bytes the
// engine encodes (on the commit goroutine, through encoding.BinaryMarshaler,
// so the engine does not pay for the encoding) and decodes when it reads
// them back with Read or Events. It only knows how records are keyed:
//
//	ver  version key -> machine record        a machine definition, immutable
//	sm   state machine ARN -> version key     the current version
//	ex   seq -> execution record
//	ev   seq, event id -> event record
//	rt   seq, event id -> unix nanoseconds:   a retry due then
//	act  activity ARN -> activity record
//
// seq numbers executions in creation order and every number is big-endian,
// so writes land at the end of the B+trees (few pages touched per commit,
// pages filled) rather than all over them, as random ARNs would.
//
// Writes are queued and committed when the queue holds maxBatch of them,
// every tick, or at once when somebody waits in Sync. Whatever was queued
// before a Sync that returned nil survives a crash; later writes may not.
package journal

import (
	"encoding"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

const (
	// tick bounds how long an unsynced write waits for its commit.
	tick = 5 * time.Millisecond
	// maxBatch commits early when this many writes are queued.
	maxBatch = 4096
)

// ErrClosed is what Sync returns when the journal closed with writes not
// committed: nothing will commit them any more.
var ErrClosed = errors.New("journal: closed before the commit")

// ErrCorrupt marks a data file the journal (or the engine reading its
// records) cannot read.
var ErrCorrupt = errors.New("corrupt data file")

type opKind uint8

const (
	opEvent opKind = iota + 1
	opRetry
	opPutMachine
	opDeleteMachine
	opPutExecution
	opDeleteExecution
	opPutActivity
	opDeleteActivity
)

// op is one queued write.
type op[E encoding.BinaryMarshaler] struct {
	kind opKind
	key  string // opPutMachine, opDeleteMachine, opPutActivity, opDeleteActivity: the ARN
	ver  string // opPutMachine: the version key
	seq  uint64 // the execution's
	id   int64  // opEvent, opRetry: the event's
	at   int64  // opRetry: unix nanoseconds
	rec  encoding.BinaryMarshaler
	ev   E // opEvent
}

// Journal queues writes and commits them in groups. Its event records are
// of type E, held by value until the commit encodes them: the engine's
// events are the bulk of the writes, and boxing each in an interface would
// cost an allocation per event.
type Journal[E encoding.BinaryMarshaler] struct {
	db *bolt.DB

	mu      sync.Mutex
	cond    *sync.Cond
	pending []op[E]
	spare   []op[E]
	queued  uint64 // writes ever queued
	durable uint64 // writes committed
	closed  bool
	err     error // the last commit's error; nil once a commit succeeds
	commits uint64
	// failures counts failed commits; their writes stay queued and are
	// tried again from retryAt on, backing off up to a second.
	failures uint64
	retryAt  time.Time
	backoff  time.Duration
	// wrap, when set, commits a batch instead of write (see WrapCommit).
	wrap func(write func() error) error

	kick    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
}

// Open opens the journal in the bbolt file at path, creating it when
// missing, and starts its commit goroutine. It fails, rather than waits,
// when another process holds the file.
func Open[E encoding.BinaryMarshaler](path string) (*Journal[E], error) {
	// The timeout makes a second runtime on the same file fail instead of
	// waiting for the file lock forever.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketVersions, bucketStateMachines, bucketExecutions, bucketEvents, bucketRetries, bucketActivities} {
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
	j := &Journal[E]{db: db, kick: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	j.cond = sync.NewCond(&j.mu)
	go j.loop()
	return j, nil
}

// Event queues the id'th event of execution seq.
func (j *Journal[E]) Event(seq uint64, id int64, ev E) {
	j.add(op[E]{kind: opEvent, seq: seq, id: id, ev: ev})
}

// Retry queues the due time of the retry that follows the failure recorded
// as event id of execution seq.
func (j *Journal[E]) Retry(seq uint64, id int64, at time.Time) {
	j.add(op[E]{kind: opRetry, seq: seq, id: id, at: at.UnixNano()})
}

// PutMachine queues a state machine's current version: the version is
// stored under its key, once (versions are immutable), and arn points at
// it.
func (j *Journal[E]) PutMachine(arn, version string, rec encoding.BinaryMarshaler) {
	j.add(op[E]{kind: opPutMachine, key: arn, ver: version, rec: rec})
}

// DeleteMachine queues the deletion of a state machine's name; its versions
// stay, for the executions that refer to them.
func (j *Journal[E]) DeleteMachine(arn string) {
	j.add(op[E]{kind: opDeleteMachine, key: arn})
}

// PutExecution queues execution seq's record.
func (j *Journal[E]) PutExecution(seq uint64, rec encoding.BinaryMarshaler) {
	j.add(op[E]{kind: opPutExecution, seq: seq, rec: rec})
}

// DeleteExecution queues the deletion of execution seq with its events and
// retries.
func (j *Journal[E]) DeleteExecution(seq uint64) {
	j.add(op[E]{kind: opDeleteExecution, seq: seq})
}

// PutActivity stores an activity's record under its ARN.
func (j *Journal[E]) PutActivity(arn string, rec encoding.BinaryMarshaler) {
	j.add(op[E]{kind: opPutActivity, key: arn, rec: rec})
}

// DeleteActivity deletes an activity's record.
func (j *Journal[E]) DeleteActivity(arn string) {
	j.add(op[E]{kind: opDeleteActivity, key: arn})
}

// add queues a write; a closed journal drops it.
func (j *Journal[E]) add(o op[E]) {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return
	}
	j.pending = append(j.pending, o)
	j.queued++
	full := len(j.pending) >= maxBatch
	j.mu.Unlock()
	if full {
		j.wake()
	}
}

func (j *Journal[E]) wake() {
	select {
	case j.kick <- struct{}{}:
	default:
	}
}

// Sync waits until every write queued so far is committed. When a commit
// fails first it returns that error instead of waiting for the retries:
// the writes stay queued, and a later Sync succeeds once a commit does.
// Once the journal is closed with writes lost, it returns ErrClosed.
func (j *Journal[E]) Sync() error {
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
		// commits, and a caller waiting for them stops on ErrClosed.
		if j.err != nil {
			return fmt.Errorf("%w: %w", ErrClosed, j.err)
		}
		return ErrClosed
	case j.err != nil:
		return fmt.Errorf("journal: commit failed, retrying: %w", j.err)
	}
	return ErrClosed
}

func (j *Journal[E]) loop() {
	defer close(j.stopped)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-j.stop:
			return
		case <-j.kick:
		case <-t.C:
		}
		_ = j.flush() // a failure stays in j.err, for Sync
	}
}

// flush commits what is queued in one transaction. A failed commit loses
// nothing: its batch goes back in front of what was queued meanwhile, in
// order, to be tried again after a backoff.
func (j *Journal[E]) flush() error {
	j.mu.Lock()
	if len(j.pending) == 0 || j.closed || time.Now().Before(j.retryAt) {
		err := j.err
		j.mu.Unlock()
		return err
	}
	batch := j.pending
	j.pending = j.spare[:0]
	upto := j.queued
	wrap := j.wrap
	j.mu.Unlock()

	write := func() error { return j.db.Update(func(tx *bolt.Tx) error { return writeOps(tx, batch) }) }
	var err error
	if wrap != nil {
		err = wrap(write)
	} else {
		err = write()
	}

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
		j.backoff = min(max(2*j.backoff, tick), time.Second)
		j.retryAt = time.Now().Add(j.backoff)
		return err
	}
	clear(batch) // drop references to the records
	j.spare = batch[:0]
	j.durable = upto
	j.err, j.backoff, j.retryAt = nil, 0, time.Time{}
	j.commits++
	return nil
}

// Close commits what is queued (one last try, whatever the backoff) and
// closes the file; it reports writes it could not commit.
func (j *Journal[E]) Close() error {
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

// Abandon closes the file without committing what is queued: what a crash
// leaves behind (tests).
func (j *Journal[E]) Abandon() {
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

// Commits returns how many commits succeeded so far (tests and benchmarks
// measure the grouping with it).
func (j *Journal[E]) Commits() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.commits
}

// WrapCommit makes every later commit go through fn, which gets the
// batch's write and decides whether and when to call it; an error fails the
// commit as a disk error would. Tests simulate failing and slow disks with
// it; nil restores plain commits.
func (j *Journal[E]) WrapCommit(fn func(write func() error) error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.wrap = fn
}
