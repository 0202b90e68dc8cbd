package journal

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// rec is a record that encodes as its text.
type rec string

func (r rec) MarshalBinary() ([]byte, error) { return []byte(r), nil }

// badRec is a record that cannot be encoded.
type badRec struct{ err error }

func (r badRec) MarshalBinary() ([]byte, error) { return nil, r.err }

// contents is everything a journal file holds, as read back by Read.
type contents struct {
	Versions   map[string]string
	Machines   map[string]string
	Executions map[uint64]string
	Events     map[uint64][]string // by seq, in id order as "id:record"
	Last       map[uint64]string   // by seq: "id:record" of LastEvent
	Retries    map[uint64]map[int64]time.Time
}

func readAll(t *testing.T, j *Journal[rec]) contents {
	t.Helper()
	c := contents{Versions: map[string]string{}, Machines: map[string]string{}, Executions: map[uint64]string{},
		Events: map[uint64][]string{}, Last: map[uint64]string{}, Retries: map[uint64]map[int64]time.Time{}}
	require.NoError(t, j.Read(func(s *Snapshot) error {
		require.NoError(t, s.Versions(func(key string, v []byte) error { c.Versions[key] = string(v); return nil }))
		require.NoError(t, s.StateMachines(func(arn, ver string) error { c.Machines[arn] = ver; return nil }))
		var seqs []uint64
		require.NoError(t, s.Executions(func(seq uint64, v []byte) error {
			c.Executions[seq] = string(v)
			seqs = append(seqs, seq)
			return nil
		}))
		for _, seq := range seqs {
			id, v, ok, err := s.LastEvent(seq)
			require.NoError(t, err)
			if ok {
				c.Last[seq] = eventText(id, v)
			}
			require.NoError(t, s.Events(seq, func(id int64, v []byte) error {
				c.Events[seq] = append(c.Events[seq], eventText(id, v))
				return nil
			}))
		}
		return s.Retries(func(seq uint64, id int64, at time.Time) error {
			if c.Retries[seq] == nil {
				c.Retries[seq] = map[int64]time.Time{}
			}
			c.Retries[seq][id] = at
			return nil
		})
	}))
	return c
}

func eventText(id int64, v []byte) string { return fmt.Sprintf("%d:%s", id, v) }

func openTemp(t *testing.T) (*Journal[rec], string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "j.bolt")
	j, err := Open[rec](file)
	require.NoError(t, err)
	return j, file
}

func reopen(t *testing.T, file string) *Journal[rec] {
	t.Helper()
	j, err := Open[rec](file)
	require.NoError(t, err)
	t.Cleanup(func() { _ = j.Close() })
	return j
}

// putExecutions writes executions 1 to n, each with events 1 to events.
func putExecutions(j *Journal[rec], n uint64, events int64) {
	for seq := uint64(1); seq <= n; seq++ {
		j.PutExecution(seq, rec("ex"))
		for id := int64(1); id <= events; id++ {
			j.Event(seq, id, rec("e"))
		}
	}
}

// What was written comes back after Close and Open, deletions included.
func TestReopenReturnsWhatWasWritten(t *testing.T) {
	at := time.Unix(0, 1767322800123456789)
	tests := []struct {
		name  string
		write func(j *Journal[rec])
		want  contents
	}{
		{
			name:  "empty",
			write: func(*Journal[rec]) {},
			want: contents{Versions: map[string]string{}, Machines: map[string]string{}, Executions: map[uint64]string{},
				Events: map[uint64][]string{}, Last: map[uint64]string{}, Retries: map[uint64]map[int64]time.Time{}},
		},
		{
			name: "a machine, an execution, its events and a retry",
			write: func(j *Journal[rec]) {
				j.PutMachine("sm:a", "v1", rec("def1"))
				j.PutExecution(1, rec("ex1"))
				j.Event(1, 1, "started")
				j.Event(1, 2, "failed")
				j.Retry(1, 2, at)
				j.PutExecution(2, rec("ex2")) // no events yet
			},
			want: contents{
				Versions:   map[string]string{"v1": "def1"},
				Machines:   map[string]string{"sm:a": "v1"},
				Executions: map[uint64]string{1: "ex1", 2: "ex2"},
				Events:     map[uint64][]string{1: {"1:started", "2:failed"}},
				Last:       map[uint64]string{1: "2:failed"},
				Retries:    map[uint64]map[int64]time.Time{1: {2: at}},
			},
		},
		{
			name: "a version is stored once; the name moves to the new one and a deleted name goes",
			write: func(j *Journal[rec]) {
				j.PutMachine("sm:a", "v1", rec("def1"))
				j.PutMachine("sm:a", "v1", rec("ignored: v1 is immutable"))
				j.PutMachine("sm:a", "v2", rec("def2"))
				j.PutMachine("sm:b", "v3", rec("def3"))
				j.DeleteMachine("sm:b")
			},
			want: contents{
				Versions:   map[string]string{"v1": "def1", "v2": "def2", "v3": "def3"},
				Machines:   map[string]string{"sm:a": "v2"},
				Executions: map[uint64]string{}, Events: map[uint64][]string{}, Last: map[uint64]string{},
				Retries: map[uint64]map[int64]time.Time{},
			},
		},
		{
			name: "a deleted execution takes its events and retries, and only its own",
			write: func(j *Journal[rec]) {
				for seq := uint64(1); seq <= 3; seq++ {
					j.PutExecution(seq, rec("ex"))
					j.Event(seq, 1, "e")
					j.Retry(seq, 1, at)
				}
				j.DeleteExecution(2)
			},
			want: contents{
				Versions: map[string]string{}, Machines: map[string]string{},
				Executions: map[uint64]string{1: "ex", 3: "ex"},
				Events:     map[uint64][]string{1: {"1:e"}, 3: {"1:e"}},
				Last:       map[uint64]string{1: "1:e", 3: "1:e"},
				Retries:    map[uint64]map[int64]time.Time{1: {1: at}, 3: {1: at}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j, file := openTemp(t)
			tc.write(j)
			require.NoError(t, j.Close())
			assert.Equal(t, tc.want, readAll(t, reopen(t, file)))
		})
	}
}

// Events come back in id order past a byte boundary (keys are big-endian),
// and LastEvent finds the last one of each execution, the last execution's
// included.
func TestEventsInIDOrder(t *testing.T) {
	j, file := openTemp(t)
	putExecutions(j, 2, 300)
	require.NoError(t, j.Close())
	j = reopen(t, file)
	require.NoError(t, j.Read(func(s *Snapshot) error {
		for seq := uint64(1); seq <= 2; seq++ {
			id, _, ok, err := s.LastEvent(seq)
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, int64(300), id)
		}
		_, _, ok, err := s.LastEvent(3)
		require.NoError(t, err)
		assert.False(t, ok, "no execution 3")
		return nil
	}))
	var ids []int64
	require.NoError(t, j.Events(1, func(id int64, _ []byte) error { ids = append(ids, id); return nil }))
	require.Len(t, ids, 300)
	for i, id := range ids {
		require.Equal(t, int64(i+1), id)
	}
}

// Abandon (a crash) keeps what a Sync returned for and loses what was
// queued after it and not committed.
func TestAbandonLosesOnlyUnsynced(t *testing.T) {
	j, file := openTemp(t)
	j.PutExecution(1, rec("ex1"))
	j.Event(1, 1, "synced")
	require.NoError(t, j.Sync())
	// Later commits do not reach the disk: the crash comes first.
	j.WrapCommit(func(func() error) error { return errors.New("not yet") })
	j.Event(1, 2, "unsynced")
	j.PutExecution(2, rec("ex2"))
	j.Abandon()
	assert.ErrorIs(t, j.Sync(), ErrClosed, "the writes queued at the crash are lost")

	got := readAll(t, reopen(t, file))
	assert.Equal(t, map[uint64]string{1: "ex1"}, got.Executions)
	assert.Equal(t, map[uint64][]string{1: {"1:synced"}}, got.Events)
}

// A failed commit keeps its writes queued: Sync reports the failure (%w),
// and once commits succeed again everything lands, in order.
func TestFailedCommitRetries(t *testing.T) {
	j, file := openTemp(t)
	disk := errors.New("disk full")
	j.WrapCommit(func(func() error) error { return disk })
	j.PutExecution(1, rec("ex1"))
	j.Event(1, 1, "a")
	err := j.Sync()
	require.ErrorIs(t, err, disk)
	j.Event(1, 2, "b")
	j.WrapCommit(nil)
	require.Eventually(t, func() bool { return j.Sync() == nil }, 10*time.Second, time.Millisecond)
	assert.Positive(t, j.Commits())
	require.NoError(t, j.Close())
	assert.Equal(t, map[uint64][]string{1: {"1:a", "2:b"}}, readAll(t, reopen(t, file)).Events)
}

// Errors carry their cause with %w: a record that cannot be encoded fails
// its commit, and Close reports what it could not commit.
func TestErrorsWrapTheirCause(t *testing.T) {
	encode := errors.New("cannot encode")
	j, _ := openTemp(t)
	j.PutExecution(1, badRec{encode})
	assert.ErrorIs(t, j.Sync(), encode)
	err := j.Close()
	require.Error(t, err)
	assert.ErrorIs(t, err, encode)
	assert.ErrorContains(t, err, "1 operations not committed")
	assert.NoError(t, j.Close(), "closing twice")
}

// Keys of the wrong shape make Read fail with ErrCorrupt.
func TestCorruptKeys(t *testing.T) {
	tests := []struct {
		name   string
		bucket []byte
		key    []byte
		read   func(s *Snapshot) error
	}{
		{
			name: "execution key", bucket: bucketExecutions, key: []byte("short"),
			read: func(s *Snapshot) error { return s.Executions(func(uint64, []byte) error { return nil }) },
		},
		{
			name: "event key, read from the start", bucket: bucketEvents, key: []byte{0, 0, 0, 0, 0, 0, 0, 1, 9},
			read: func(s *Snapshot) error { return s.Events(1, func(int64, []byte) error { return nil }) },
		},
		{
			name: "event key, read from the end", bucket: bucketEvents, key: []byte{0, 0, 0, 0, 0, 0, 0, 1, 9},
			read: func(s *Snapshot) error { _, _, _, err := s.LastEvent(1); return err },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j, file := openTemp(t)
			require.NoError(t, j.Close())
			db, err := bolt.Open(file, 0o600, nil)
			require.NoError(t, err)
			require.NoError(t, db.Update(func(tx *bolt.Tx) error { return tx.Bucket(tc.bucket).Put(tc.key, []byte("x")) }))
			require.NoError(t, db.Close())

			err = reopen(t, file).Read(tc.read)
			assert.ErrorIs(t, err, ErrCorrupt)
		})
	}
}

// A malformed retry is skipped, not an error: the retry is decided afresh.
func TestMalformedRetrySkipped(t *testing.T) {
	j, file := openTemp(t)
	require.NoError(t, j.Close())
	db, err := bolt.Open(file, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRetries)
		if err := b.Put([]byte("short"), make([]byte, 8)); err != nil {
			return err
		}
		return b.Put(eventKey(1, 2), []byte("not 8 bytes"))
	}))
	require.NoError(t, db.Close())
	assert.Empty(t, readAll(t, reopen(t, file)).Retries)
}

// TruncateEvents leaves an execution's first events and the other
// executions' events.
func TestTruncateEvents(t *testing.T) {
	j, file := openTemp(t)
	putExecutions(j, 2, 4)
	require.NoError(t, j.Close())
	require.NoError(t, TruncateEvents(file, 1, 2))
	got := readAll(t, reopen(t, file))
	assert.Equal(t, map[uint64][]string{1: {"1:e", "2:e"}, 2: {"1:e", "2:e", "3:e", "4:e"}}, got.Events)
}

// A second Open of a file in use fails instead of waiting for it.
func TestOpenLockedFileFails(t *testing.T) {
	j, file := openTemp(t)
	defer j.Close()
	_, err := Open[rec](file)
	require.Error(t, err)
	assert.ErrorContains(t, err, file)
}

func TestSplitEventKey(t *testing.T) {
	for _, id := range []int64{1, 0x100, 0xff00, 25000} {
		seq, got, ok := splitEventKey(eventKey(0x1200, id))
		require.True(t, ok)
		assert.Equal(t, uint64(0x1200), seq)
		assert.Equal(t, id, got)
	}
	_, _, ok := splitEventKey([]byte("short"))
	assert.False(t, ok)
}

// Activities come back after Close and Open, a deleted one gone.
func TestReopenReturnsActivities(t *testing.T) {
	j, file := openTemp(t)
	j.PutActivity("act:a", rec("a"))
	j.PutActivity("act:b", rec("b"))
	j.DeleteActivity("act:a")
	require.NoError(t, j.Close())

	got := map[string]string{}
	require.NoError(t, reopen(t, file).Read(func(s *Snapshot) error {
		return s.Activities(func(arn string, v []byte) error { got[arn] = string(v); return nil })
	}))
	assert.Equal(t, map[string]string{"act:b": "b"}, got)
}
