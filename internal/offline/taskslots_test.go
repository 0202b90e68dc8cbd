package offline

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The engine's bound: the flag's value, its default per CPU, and none for
// a process pool, which bounds itself.
func TestTaskConcurrency(t *testing.T) {
	def := defaultTaskSlotsPerCPU * runtime.GOMAXPROCS(0)
	tests := []struct {
		mode string
		n    int
		want int
	}{
		{"", 0, def},
		{"", -1, def},
		{"", 5, 5},
		{LambdaInProcess, 7, 7},
		{LambdaProcess, 0, 0},
		{LambdaProcess, 5, 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, taskConcurrency(tt.mode, tt.n), "mode %q, n %d", tt.mode, tt.n)
	}
}
