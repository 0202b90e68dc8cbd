// Package memstore keeps jobs and results in memory. It implements the
// stores internal/job declares, for handler tests and for running without
// any emulator; the contract test in internal/job/jobtest holds it to the
// same behaviour as the DynamoDB store.
package memstore

import (
	"context"
	"sync"

	"github.com/asyncjobs/stepjobs/internal/job"
)

// Jobs is an in-memory job store, safe for concurrent use. The zero value is
// ready to use.
type Jobs struct {
	mu   sync.Mutex
	jobs map[string]job.Job
}

var _ job.Store = (*Jobs)(nil)

// NewJobs returns an empty job store.
func NewJobs() *Jobs { return &Jobs{} }

// Create implements job.Creator.
func (s *Jobs) Create(ctx context.Context, j job.Job) (job.Job, error) {
	if err := j.Validate(); err != nil {
		return job.Job{}, err
	}
	if err := ctx.Err(); err != nil {
		return job.Job{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if existing, ok := s.jobs[j.ID]; ok {
		return job.ResolveCreate(clone(existing), j)
	}
	if s.jobs == nil {
		s.jobs = make(map[string]job.Job)
	}
	s.jobs[j.ID] = clone(j)
	return clone(j), nil
}

// Finish implements job.Finisher.
func (s *Jobs) Finish(ctx context.Context, o job.Outcome) (job.Job, error) {
	if err := o.Validate(); err != nil {
		return job.Job{}, err
	}
	if err := ctx.Err(); err != nil {
		return job.Job{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var existing *job.Job
	if j, ok := s.jobs[o.JobID]; ok {
		existing = &j
	}
	next, write, err := job.ResolveFinish(existing, o)
	if err != nil {
		return job.Job{}, err
	}
	if write {
		if s.jobs == nil {
			s.jobs = make(map[string]job.Job)
		}
		s.jobs[o.JobID] = clone(next)
	}
	return clone(next), nil
}

// Get implements job.Getter.
func (s *Jobs) Get(ctx context.Context, id string) (job.Job, error) {
	if err := ctx.Err(); err != nil {
		return job.Job{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return job.Job{}, &job.JobNotFound{JobID: id}
	}
	return clone(j), nil
}

// clone copies the parts of a job that share memory, so callers can never
// change what the store holds.
func clone(j job.Job) job.Job {
	// UTC and no monotonic reading: what a round trip through a database gives.
	j.CreatedAt, j.UpdatedAt = j.CreatedAt.UTC(), j.UpdatedAt.UTC()
	if j.Request != nil {
		j.Request = append([]byte(nil), j.Request...)
	}
	if j.Result != nil {
		r := *j.Result
		j.Result = &r
	}
	return j
}

// Objects is an in-memory result store for one bucket, safe for concurrent use.
type Objects struct {
	bucket  string
	mu      sync.Mutex
	objects map[string][]byte
}

var _ job.ResultStore = (*Objects)(nil)

// NewObjects returns an empty result store that reports bucket as its bucket.
func NewObjects(bucket string) *Objects {
	return &Objects{bucket: bucket, objects: make(map[string][]byte)}
}

// PutResult implements job.ResultStore.
func (s *Objects) PutResult(ctx context.Context, key string, body []byte) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.objects[key] = append([]byte(nil), body...)
	return s.bucket, nil
}

// Object returns a copy of the object stored under key.
func (s *Objects) Object(key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.objects[key]
	return append([]byte(nil), b...), ok
}

// Len returns the number of stored objects.
func (s *Objects) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.objects)
}
