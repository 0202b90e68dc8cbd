//go:build unix

package cputime_test

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/asyncjobs/stepjobs/internal/cputime"
)

// Work on this goroutine adds CPU time, and the counter never goes back.
func TestSelfGrowsWithWork(t *testing.T) {
	before := cputime.Self()
	sum := sha256.Sum256(nil)
	for after := before; after <= before; after = cputime.Self() {
		for range 10000 {
			sum = sha256.Sum256(sum[:])
		}
		assert.GreaterOrEqual(t, cputime.Self(), before)
	}
}
