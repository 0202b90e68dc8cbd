// Package syncbuf holds Buffer, for output that one goroutine writes
// while another reads it: a process's stderr, a test's logs.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer's Write and String, safe for concurrent use.
// The zero value is an empty buffer.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
