package eventbridge

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// LedgerFile is the file under DataDir where the local EventBridge notes
// each completed delivery.
const LedgerFile = "eventbridge.log"

// ledger is the list of completed deliveries (delivery.key, one a line) of
// a runtime with a data directory. On AWS an event, once on the bus, is
// EventBridge's to deliver whatever happens to its producer; locally the
// deliveries and the dead letters live in this process, so a stop or a
// crash can cut one short. The ledger is what tells a restart which ones:
// every status change a rule matches whose key is not in it is delivered
// again (redeliver), and nothing else is, so a restart adds no second
// delivery of what was already recorded.
//
// Lines are appended without a sync: a line lost in a crash only means one
// more (idempotent) delivery after the restart.
type ledger struct {
	path string
	mu   sync.Mutex
	f    *os.File
	w    *bufio.Writer
}

// openLedger reads the keys already in dir's ledger and opens it for
// appending.
func openLedger(dir string) (*ledger, map[string]bool, error) {
	l := &ledger{path: filepath.Join(dir, LedgerFile)}
	done := map[string]bool{}
	f, err := os.Open(l.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, nil, fmt.Errorf("eventbridge ledger: %w", err)
	default:
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 4096), 1<<20)
		for sc.Scan() {
			if line := sc.Text(); line != "" {
				done[line] = true
			}
		}
		err := sc.Err()
		_ = f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("eventbridge ledger: read: %w", err)
		}
	}
	return l, done, nil
}

// rewrite replaces the ledger with keep (the keys of executions the engine
// still holds), then opens it for appending.
func (l *ledger) rewrite(keep []string) error {
	tmp := l.path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("eventbridge ledger: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, k := range keep {
		_, _ = w.WriteString(k + "\n")
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return fmt.Errorf("eventbridge ledger: write: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("eventbridge ledger: write: %w", err)
	}
	if err := os.Rename(tmp, l.path); err != nil {
		return fmt.Errorf("eventbridge ledger: %w", err)
	}
	if l.f, err = os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		return fmt.Errorf("eventbridge ledger: %w", err)
	}
	l.w = bufio.NewWriterSize(l.f, 512)
	return nil
}

// add notes a completed delivery.
func (l *ledger) add(key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		return errors.New("eventbridge ledger: closed")
	}
	if _, err := l.w.WriteString(key + "\n"); err != nil {
		return fmt.Errorf("eventbridge ledger: write: %w", err)
	}
	// One write per line: a crash loses what the process had not written.
	if err := l.w.Flush(); err != nil {
		return fmt.Errorf("eventbridge ledger: write: %w", err)
	}
	return nil
}

func (l *ledger) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.w.Flush()
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f, l.w = nil, nil
	if err != nil {
		return fmt.Errorf("eventbridge ledger: close: %w", err)
	}
	return nil
}

// executionLister lists a state machine's executions (*sfn.Engine).
type executionLister interface {
	ListExecutions(ctx context.Context, stateMachineARN, status string) ([]sfn.ExecutionInfo, error)
}

var _ executionLister = (*sfn.Engine)(nil)

// Redeliver is the one scan left: at a start with a data directory, it
// delivers every status change of an ended execution that a rule matches
// and the ledger does not list (a delivery, retry or dead letter a stop or
// crash cut short), then keeps in the ledger the keys of the executions
// still held. It runs before the engine resumes running executions, whose
// ends the subscription delivers. It returns how many it delivers.
func (e *Rules) Redeliver(ctx context.Context, dir string, engine executionLister, machines []string) (int, error) {
	l, done, err := openLedger(dir)
	if err != nil {
		return 0, err
	}
	var keep []string
	var todo []delivery
	for _, arn := range machines {
		execs, err := engine.ListExecutions(ctx, arn, "")
		if err != nil {
			return 0, fmt.Errorf("eventbridge: list executions of %s: %w", arn, err)
		}
		for _, ex := range execs {
			if ex.Status == sfn.StatusRunning {
				continue
			}
			c := sfn.StatusChange{ExecutionARN: ex.ExecutionARN, StateMachineARN: ex.StateMachineARN, Name: ex.Name,
				Status: ex.Status, Input: ex.Input, Error: ex.Error, Cause: ex.Cause, Output: ex.Output, Time: ex.StopDate}
			todo = append(todo, e.deliveries(c, func(key string) bool {
				if done[key] {
					keep = append(keep, key)
					return true
				}
				return false
			})...)
		}
	}
	if err := l.rewrite(keep); err != nil {
		return 0, err
	}
	e.ledger = l
	for _, d := range todo {
		e.start(d)
	}
	return len(todo), nil
}
