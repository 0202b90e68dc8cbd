package jsonata

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTopLevelReferences(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{`phone`, []string{"phone"}},
		{`phone.number & account`, []string{"phone", "account"}},
		{`($f := function($x){ $x & name }; $f(other, other))`, []string{"name", "other"}},
		{`{"a": phone, "b": [1, code]}`, []string{"phone", "code"}},
		{`a ? b : c`, []string{"a", "b", "c"}},
		{`-n`, []string{"n"}},
		// Not at the top level: below a path's first step, in its
		// predicates, or on variables.
		{`$states.input.phone`, nil},
		{`$states.input.items[price > 5].name`, nil},
		{`$states.input.(a + b)`, nil},
		{`$sum($states.input.items.price) + $count($x)`, nil},
		{`"phone" & 1`, nil},
		{`$states.input ~> $keys()`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			e, err := Compile(tt.src)
			require.NoError(t, err)
			got, err := e.TopLevelReferences()
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
