package asl

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/jsonvalue"
)

// referenceDecode is encoding/json with UseNumber and nothing after the value.
// DecodeJSON's objects are ordered; compared as plain maps.
func referenceDecode(data []byte) (any, error) {
	return slowDecodeJSON(data, false)
}

func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		`{"a":1,"b":[true,false,null],"c":{"d":"e"}}`, `[]`, `{}`, ` 1 `, `-0.5e+10`, `0`, `-0`, `1E5`,
		`"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"`, `"\ud800"`, `"\ud800\u0041"`, `"\udc00x"`, "\"\xff\xfe\"",
		"\"\xed\xa0\x80\"", `{"a":1,"a":2}`, `"é😀"`, ` [ 1 , 2 ] `,
		// errors: each must fail the same way as encoding/json.
		``, ` `, `01`, `1.`, `.5`, `-`, `1e`, `+1`, `[1,]`, `{"a"}`, `{"a":}`, `{a:1}`, `tru`, `truex`, `nul`,
		`[1 2]`, `{"a":1 "b":2}`, "\"a\x01\"", `"\x"`, `"\u12"`, `"\u12g4"`, `1 2`, `{}}`, `[`, `"abc`,
		"\xef\xbb\xbf{}", strings.Repeat("[", 600) + strings.Repeat("]", 600),
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	}
	for _, c := range cases {
		got, gotErr := DecodeJSON([]byte(c))
		want, wantErr := referenceDecode([]byte(c))
		if wantErr != nil {
			require.Error(t, gotErr, "%q", c)
			assert.Equal(t, wantErr.Error(), gotErr.Error(), "%q", c)
			continue
		}
		require.NoError(t, gotErr, "%q", c)
		assert.True(t, reflect.DeepEqual(want, jsonvalue.ToPlain(got)), "%q: got %#v want %#v", c, got, want)
	}
}

// TestDecodeJSONKeepsKeyOrder: objects come out in the text's order, at
// any depth, the fast decoder's and the deep fallback's alike; a repeated
// key keeps its first place and its last value.
func TestDecodeJSONKeepsKeyOrder(t *testing.T) {
	deep := strings.Repeat(`{"z":1,"a":`, 600) + `{"y":2,"b":3}` + strings.Repeat(`}`, 600)
	for _, c := range []string{`{"b":1,"a":{"d":2,"c":3},"c":[{"z":0,"y":1}]}`, `{"b":1,"a":2,"b":3}`, deep} {
		v, err := DecodeJSON([]byte(c))
		require.NoError(t, err)
		want := c
		if c == `{"b":1,"a":2,"b":3}` {
			want = `{"b":3,"a":2}`
		}
		assert.Equal(t, want, jsonText(v))
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":[true,false,null],"c":{"d":"e"}}`, `"\ud83d\ude00\u00e9"`, `-1.5e-3`, `[1,]`, "\"\xff\"",
		`{"jobId":"j","status":"RUNNING","createdAt":"2026-01-01T00:00:00Z"}`,
	} {
		f.Add([]byte(s))
	}
	for _, d := range conformanceDefinitions(f) {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, gotErr := DecodeJSON(data)
		want, wantErr := referenceDecode(data)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: error %v, encoding/json %v", data, gotErr, wantErr)
		}
		if wantErr != nil {
			if gotErr.Error() != wantErr.Error() {
				t.Fatalf("%q: error %q, encoding/json %q", data, gotErr, wantErr)
			}
			return
		}
		if !reflect.DeepEqual(want, jsonvalue.ToPlain(got)) {
			t.Fatalf("%q: got %#v, encoding/json %#v", data, got, want)
		}
		// The value survives a round trip through encoding/json too.
		var buf bytes.Buffer
		require.NoError(t, json.NewEncoder(&buf).Encode(got))
	})
}

// DecodeCompactJSON decodes as DecodeJSONString does, and tells compact
// text (what the engine's encoder writes) from any other.
func TestDecodeCompactJSON(t *testing.T) {
	cases := []struct {
		text    string
		compact bool
	}{
		{`{"a":1,"b":[true,false,null],"c":{"d":"e"}}`, true},
		{`{}`, true},
		{`[]`, true},
		{`"é😀"`, true},
		{`-0.5e+10`, true},
		{`{"a":"x y"}`, true},
		{` 1`, false},
		{`1 `, false},
		{`[1, 2]`, false},
		{`{"a": 1}`, false},
		{"{\"a\":1\n}", false},
		{`"a\/b"`, false},
		{`"\u00e9"`, false},
		{"\"\xff\"", false},
		{`{"a":1,"a":2}`, false},
		{`{"a":{"b":1,"b":1}}`, false},
		{strings.Repeat("[", 600) + strings.Repeat("]", 600), false}, // encoding/json's
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			want, wantErr := DecodeJSONString(c.text)
			require.NoError(t, wantErr)
			got, compact, err := DecodeCompactJSON(c.text)
			require.NoError(t, err)
			assert.Equal(t, want, got)
			assert.Equal(t, c.compact, compact)
		})
	}
	_, compact, err := DecodeCompactJSON(`{"a":}`)
	require.Error(t, err)
	assert.False(t, compact)
}
