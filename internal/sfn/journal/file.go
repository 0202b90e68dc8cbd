package journal

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The buckets (see the package comment).
var (
	bucketVersions      = []byte("ver")
	bucketStateMachines = []byte("sm")
	bucketExecutions    = []byte("ex")
	bucketEvents        = []byte("ev")
	bucketRetries       = []byte("rt")
	bucketActivities    = []byte("act")
)

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

func writeOps[E encoding.BinaryMarshaler](tx *bolt.Tx, ops []op[E]) error {
	ver, sms, exs := tx.Bucket(bucketVersions), tx.Bucket(bucketStateMachines), tx.Bucket(bucketExecutions)
	evs, rts, acts := tx.Bucket(bucketEvents), tx.Bucket(bucketRetries), tx.Bucket(bucketActivities)
	// Keys grow (see seq): fill pages instead of splitting them in half.
	exs.FillPercent, evs.FillPercent, rts.FillPercent = 1, 1, 1
	for i := range ops {
		o := &ops[i]
		var err error
		switch o.kind {
		case opEvent:
			err = put(evs, eventKey(o.seq, o.id), o.ev)
		case opRetry:
			err = rts.Put(eventKey(o.seq, o.id), binary.BigEndian.AppendUint64(nil, uint64(o.at)))
		case opPutMachine:
			key := []byte(o.ver)
			if ver.Get(key) == nil {
				err = put(ver, key, o.rec)
			}
			if err == nil {
				err = sms.Put([]byte(o.key), key)
			}
		case opDeleteMachine:
			err = sms.Delete([]byte(o.key))
		case opPutActivity:
			err = put(acts, []byte(o.key), o.rec)
		case opDeleteActivity:
			err = acts.Delete([]byte(o.key))
		case opPutExecution:
			err = put(exs, seqKey(o.seq), o.rec)
		case opDeleteExecution:
			if err = exs.Delete(seqKey(o.seq)); err == nil {
				err = deletePrefix(evs, seqKey(o.seq))
			}
			if err == nil {
				err = deletePrefix(rts, seqKey(o.seq))
			}
		}
		if err != nil {
			return fmt.Errorf("journal %d: %w", o.kind, err)
		}
	}
	return nil
}

// put stores rec under key. Generic, so that an event record is encoded
// where it lies, not boxed in an interface first; bbolt keeps the value
// slices until the commit: one allocation each.
func put[R encoding.BinaryMarshaler](b *bolt.Bucket, key []byte, rec R) error {
	data, err := rec.MarshalBinary()
	if err != nil {
		return err
	}
	return b.Put(key, data)
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

// Read calls fn with a Snapshot of what is committed, in one read
// transaction: the engine loads the file with it at open.
func (j *Journal[E]) Read(fn func(*Snapshot) error) error {
	return j.db.View(func(tx *bolt.Tx) error {
		return fn(&Snapshot{tx: tx, events: tx.Bucket(bucketEvents).Cursor()})
	})
}

// Events calls fn with execution seq's committed events, oldest first (see
// Snapshot.Events).
func (j *Journal[E]) Events(seq uint64, fn func(id int64, rec []byte) error) error {
	return j.db.View(func(tx *bolt.Tx) error { return eachEvent(tx.Bucket(bucketEvents).Cursor(), seq, fn) })
}

// Snapshot reads a journal's committed records. The records and keys it
// hands out are valid only until the Read that made it returns.
type Snapshot struct {
	tx *bolt.Tx
	// events is shared by LastEvent and Events: executions are read in
	// key order, so its seeks move forward over neighbouring pages.
	events *bolt.Cursor
}

// Versions calls fn with each state machine version, by key order.
func (s *Snapshot) Versions(fn func(key string, rec []byte) error) error {
	return s.tx.Bucket(bucketVersions).ForEach(func(k, v []byte) error { return fn(string(k), v) })
}

// StateMachines calls fn with each state machine's ARN and the key of its
// current version.
func (s *Snapshot) StateMachines(fn func(arn, version string) error) error {
	return s.tx.Bucket(bucketStateMachines).ForEach(func(k, v []byte) error { return fn(string(k), string(v)) })
}

// Activities calls fn with each activity's ARN and record, by ARN.
func (s *Snapshot) Activities(fn func(arn string, rec []byte) error) error {
	return s.tx.Bucket(bucketActivities).ForEach(func(k, v []byte) error { return fn(string(k), v) })
}

// Executions calls fn with each execution's seq and record, in seq
// (creation) order.
func (s *Snapshot) Executions(fn func(seq uint64, rec []byte) error) error {
	return s.tx.Bucket(bucketExecutions).ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			return fmt.Errorf("%w: execution key %x", ErrCorrupt, k)
		}
		return fn(binary.BigEndian.Uint64(k), v)
	})
}

// LastEvent returns execution seq's last event and its id; ok is false
// when it has none. It reads one event, not the whole history: an
// execution that ended needs no more at open.
func (s *Snapshot) LastEvent(seq uint64) (id int64, rec []byte, ok bool, err error) {
	c := s.events
	var k, v []byte
	if k, _ = c.Seek(seqKey(seq + 1)); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k == nil {
		return 0, nil, false, nil
	}
	got, id, ok := splitEventKey(k)
	if !ok {
		return 0, nil, false, fmt.Errorf("%w: event key %x", ErrCorrupt, k)
	}
	if got != seq {
		return 0, nil, false, nil // no events
	}
	return id, v, true, nil
}

// Events calls fn with execution seq's events, oldest first, with the id
// each is stored under.
func (s *Snapshot) Events(seq uint64, fn func(id int64, rec []byte) error) error {
	return eachEvent(s.events, seq, fn)
}

func eachEvent(c *bolt.Cursor, seq uint64, fn func(id int64, rec []byte) error) error {
	for k, v := c.Seek(seqKey(seq)); k != nil; k, v = c.Next() {
		got, id, ok := splitEventKey(k)
		if !ok {
			return fmt.Errorf("%w: event key %x", ErrCorrupt, k)
		}
		if got != seq {
			break
		}
		if err := fn(id, v); err != nil {
			return err
		}
	}
	return nil
}

// Retries calls fn with the due time of each pending retry, by the
// execution and the failure event it follows. Malformed entries are
// skipped: a retry without its time is decided afresh at resumption.
func (s *Snapshot) Retries(fn func(seq uint64, id int64, at time.Time) error) error {
	return s.tx.Bucket(bucketRetries).ForEach(func(k, v []byte) error {
		seq, id, ok := splitEventKey(k)
		if !ok || len(v) != 8 {
			return nil
		}
		return fn(seq, id, time.Unix(0, int64(binary.BigEndian.Uint64(v))))
	})
}

// TruncateEvents deletes execution seq's events after id from the closed
// journal file at path: what a crash right after event id leaves (tests of
// recovery).
func TruncateEvents(path string, seq uint64, id int64) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		for k, _ := c.Seek(eventKey(seq, id+1)); k != nil; k, _ = c.Seek(eventKey(seq, id+1)) {
			if s, _, ok := splitEventKey(k); !ok || s != seq {
				break
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("truncate %s: %w", path, err)
	}
	return nil
}
