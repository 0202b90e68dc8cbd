package dynalite_test

import (
	"strings"
	"sync"
)

// syncWriter lets the test read dynalite's log while the copier writes it.
type syncWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
