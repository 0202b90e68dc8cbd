package metrics

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"JobsStarted", true},
		{"a.b-c/d#e:f_9", true},
		{strings.Repeat("x", 255), true},
		{"", false},
		{strings.Repeat("x", 256), false},
		{"bad name", false},
		{"é", false},
		{"a*b", false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, validName(tc.name), "%q", tc.name)
	}
}
