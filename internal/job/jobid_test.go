package job

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// isJobID answers what the regexp of a job id answers.
func TestIsJobID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{16}-[A-Za-z0-9_-]{1,63}$`)
	const prefix = "0123456789abcdef"
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"empty", "", false},
		{"a prefix and a one-letter key", prefix + "-a", true},
		{"every class in the key", prefix + "-Az09_-", true},
		{"a key of 63 characters", prefix + "-" + strings.Repeat("k", 63), true},
		{"a key of 64 characters", prefix + "-" + strings.Repeat("k", 64), false},
		{"an empty key", prefix + "-", false},
		{"the prefix alone", prefix, false},
		{"no dash after the prefix", prefix + "_key", false},
		{"a short prefix", prefix[1:] + "-key", false},
		{"an upper-case prefix", strings.ToUpper(prefix) + "-key", false},
		{"a prefix past f", "0123456789abcdeg-key", false},
		{"no prefix", "key-1", false},
		{"slash", prefix + "-a/b", false},
		{"dot", prefix + "-a.b", false},
		{"space", prefix + "-a b", false},
		{"non-ASCII letter", prefix + "-é", false},
		{"byte after z", prefix + "-{", false},
		{"byte before A", prefix + "-@", false},
		{"byte after 9", prefix + "-:", false},
		{"byte before 0", prefix + "-/", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, isJobID(tc.s))
			assert.Equal(t, re.MatchString(tc.s), isJobID(tc.s), "same answer as the regexp")
		})
	}
}
