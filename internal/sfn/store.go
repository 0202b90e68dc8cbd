package sfn

import (
	"sort"
	"sync"
)

// store keeps state machines and executions. memStore keeps them in
// memory; durableStore (journal.go) also journals every change to a file.
type store interface {
	// PutStateMachine adds sm; it returns the existing machine and false when
	// the ARN is taken.
	PutStateMachine(sm *stateMachine) (*stateMachine, bool)
	StateMachine(arn string) (*stateMachine, bool)
	// ReplaceStateMachine swaps in a new version of an existing machine;
	// running executions keep the version they started with.
	ReplaceStateMachine(sm *stateMachine) bool
	DeleteStateMachine(arn string)
	StateMachines() []*stateMachine
	// PutExecution adds ex; it returns the existing execution and false when
	// the ARN is taken.
	PutExecution(ex *execution) (*execution, bool)
	Execution(arn string) (*execution, bool)
	// Executions returns a state machine's executions, newest first.
	Executions(stateMachineARN string) []*execution
	// Closed notes that ex has closed; the store may then forget the
	// oldest closed executions beyond its retention limit.
	Closed(ex *execution)
}

// memStore is an in-memory store. Its lock is taken only to create and
// list executions, never per state transition, and looking one up takes
// none: executions is a sync.Map (each key written once, read by every
// describe), because under a saturated scheduler a start waiting for the
// write lock held every describe behind it (make load's mutex profile: 9 s
// of waiting in 18 s of run).
type memStore struct {
	mu            sync.RWMutex
	stateMachines map[string]*stateMachine
	executions    sync.Map // ARN -> *execution
	bySM          map[string][]*execution
	// retain bounds how many closed executions are kept (0: all); closed
	// lists them oldest first.
	retain int
	closed []*execution
	// onEvict, when set, hears of each execution forgotten (under mu).
	onEvict func(*execution)
}

// newMemStore returns an empty in-memory store keeping at most retain
// closed executions (0: all).
func newMemStore(retain int) store {
	return &memStore{
		retain:        retain,
		stateMachines: map[string]*stateMachine{},
		bySM:          map[string][]*execution{},
	}
}

func (s *memStore) PutStateMachine(sm *stateMachine) (*stateMachine, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.stateMachines[sm.arn]; ok {
		return old, false
	}
	s.stateMachines[sm.arn] = sm
	return sm, true
}

func (s *memStore) StateMachine(arn string) (*stateMachine, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sm, ok := s.stateMachines[arn]
	return sm, ok
}

func (s *memStore) ReplaceStateMachine(sm *stateMachine) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.stateMachines[sm.arn]; !ok {
		return false
	}
	s.stateMachines[sm.arn] = sm
	return true
}

func (s *memStore) DeleteStateMachine(arn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.stateMachines, arn)
}

func (s *memStore) StateMachines() []*stateMachine {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*stateMachine, 0, len(s.stateMachines))
	for _, sm := range s.stateMachines {
		out = append(out, sm)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (s *memStore) PutExecution(ex *execution) (*execution, bool) {
	if old, loaded := s.executions.LoadOrStore(ex.arn, ex); loaded {
		return old.(*execution), false
	}
	s.mu.Lock()
	s.bySM[ex.sm.arn] = append(s.bySM[ex.sm.arn], ex)
	s.mu.Unlock()
	return ex, true
}

func (s *memStore) Execution(arn string) (*execution, bool) {
	ex, ok := s.executions.Load(arn)
	if !ok {
		return nil, false
	}
	return ex.(*execution), true
}

func (s *memStore) Executions(smARN string) []*execution {
	s.mu.RLock()
	list := s.bySM[smARN]
	out := make([]*execution, len(list))
	for i, ex := range list {
		out[len(list)-1-i] = ex
	}
	s.mu.RUnlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].start.After(out[j].start) })
	return out
}

func (s *memStore) Closed(ex *execution) {
	if s.retain <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = append(s.closed, ex)
	for len(s.closed) > s.retain {
		old := s.closed[0]
		s.closed[0] = nil
		s.closed = s.closed[1:]
		s.executions.Delete(old.arn)
		if s.onEvict != nil {
			s.onEvict(old)
		}
		list := s.bySM[old.sm.arn]
		for i, x := range list {
			if x == old {
				s.bySM[old.sm.arn] = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(s.bySM[old.sm.arn]) == 0 {
			delete(s.bySM, old.sm.arn)
		}
	}
}
