package sfn

import (
	"encoding/json"
	"testing"

	"github.com/asyncjobs/stepjobs/internal/asl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	for _, text := range []string{
		`{"b":1,"a":[true,false,null,"x\"y\\z\n\t\u0001<&>"],"c":{"d":1.5e10,"e":-0}}`,
		`"\u2028 ünï"`, `[]`, `{}`, `12345678901234567890`, `null`,
	} {
		v, err := asl.DecodeJSON([]byte(text))
		require.NoError(t, err)
		got := marshalValue(v)
		var a, b any
		require.NoError(t, json.Unmarshal([]byte(got), &a), got)
		require.NoError(t, json.Unmarshal([]byte(text), &b))
		assert.Equal(t, b, a, text)
	}
	assert.Equal(t, `"a\ufffdb"`, marshalValue("a\xffb"))
	assert.Equal(t, `{"a":1,"b":[2]}`, marshalValue(map[string]any{"b": []any{json.Number("2")}, "a": 1}))
}

func FuzzAppendJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,"x"]}`, `"\u0000"`, `[null,true]`, `"\xff"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := asl.DecodeJSON([]byte(s))
		if err != nil {
			v = s // any string must encode too
		}
		out := marshalValue(v)
		if !json.Valid([]byte(out)) {
			t.Fatalf("invalid JSON %q from %q", out, s)
		}
	})
}
