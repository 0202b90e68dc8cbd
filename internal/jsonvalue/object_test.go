package jsonvalue

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestObjectKeepsOrder(t *testing.T) {
	for _, n := range []int{3, indexAbove + 5} { // searched in order, then indexed
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			o := NewObject(0)
			var want []string
			for i := n; i > 0; i-- {
				k := fmt.Sprintf("k%02d", i)
				o.Set(k, i)
				want = append(want, k)
			}
			o.Set(want[1], "again") // a repeated key keeps its place
			assert.Equal(t, want, o.Keys())
			v, ok := o.Get(want[1])
			require.True(t, ok)
			assert.Equal(t, "again", v)
			_, ok = o.Get("missing")
			assert.False(t, ok)
			assert.Equal(t, n, o.Len())
		})
	}
}

func TestObjectWithCopies(t *testing.T) {
	o := NewObject(2)
	o.Set("b", 1)
	o.Set("a", 2)
	c := o.With("a", 3).With("z", 4)
	assert.Equal(t, []string{"b", "a"}, o.Keys(), "the original is untouched")
	v, _ := o.Get("a")
	assert.Equal(t, 2, v)
	assert.Equal(t, []string{"b", "a", "z"}, c.Keys())
	v, _ = c.Get("a")
	assert.Equal(t, 3, v)
}

func TestMapsConvert(t *testing.T) {
	m := map[string]any{"b": 1, "a": map[string]any{"y": []any{map[string]any{"d": 1, "c": 2}}, "x": nil}}
	o := FromMap(m)
	text, err := json.Marshal(o)
	require.NoError(t, err)
	assert.Equal(t, `{"a":{"x":null,"y":[{"c":2,"d":1}]},"b":1}`, string(text), "a map's keys sorted, nested ones too")
	assert.Equal(t, map[string]any{"b": 1, "a": map[string]any{"y": []any{map[string]any{"d": 1, "c": 2}}, "x": nil}}, ToPlain(o))

	plain := []any{1, "x"}
	assert.Equal(t, plain, Normalize(plain), "nothing to convert")
	got := Normalize([]any{1, map[string]any{"k": 1}})
	require.IsType(t, []any{}, got)
	assert.IsType(t, &Object{}, got.([]any)[1])
}

func TestMarshalInOrder(t *testing.T) {
	o := NewObject(3)
	o.Set("z", "<&>")
	o.Set("a", []any{NewObject(0), 1.5})
	text, err := json.Marshal(map[string]any{"o": o})
	require.NoError(t, err)
	assert.Equal(t, `{"o":{"z":"\u003c\u0026\u003e","a":[{},1.5]}}`, string(text))
}
