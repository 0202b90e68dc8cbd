package job

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// isExecutionName answers what the regexp it replaced answered.
func TestIsExecutionName(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"empty", "", false},
		{"one letter", "a", true},
		{"every class", "Az09_-", true},
		{"80 characters", strings.Repeat("k", 80), true},
		{"81 characters", strings.Repeat("k", 81), false},
		{"slash", "a/b", false},
		{"dot", "a.b", false},
		{"space", "a b", false},
		{"non-ASCII letter", "é", false},
		{"byte after z", "{", false},
		{"byte before A", "@", false},
		{"byte after 9", ":", false},
		{"byte before 0", "/", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, isExecutionName(tc.s))
			assert.Equal(t, re.MatchString(tc.s), isExecutionName(tc.s), "same answer as the regexp")
		})
	}
}
