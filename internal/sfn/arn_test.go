package sfn

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseARN(t *testing.T) {
	tests := map[string]struct {
		arn, want string
		ok        bool
		parsed    parsedARN
		message   string
	}{
		"state machine": {arn: "arn:aws:states:us-east-1:123456789012:stateMachine:jobs", want: resourceStateMachine, ok: true,
			parsed: parsedARN{Partition: "aws", Region: "us-east-1", Account: "123456789012", Resource: resourceStateMachine, StateMachine: "jobs"}},
		"execution": {arn: "arn:aws:states:us-east-1:123456789012:execution:jobs:job-1", want: resourceExecution, ok: true,
			parsed: parsedARN{Partition: "aws", Region: "us-east-1", Account: "123456789012", Resource: resourceExecution, StateMachine: "jobs", Execution: "job-1"}},
		"no prefix":         {arn: "not_a_valid_arn", want: resourceStateMachine, message: "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'"},
		"wrong service":     {arn: "arn:aws:lambda:us-east-1:1:function:f", want: resourceStateMachine},
		"wrong resource":    {arn: "arn:aws:states:us-east-1:1:execution:m:e", want: resourceStateMachine},
		"missing exec name": {arn: "arn:aws:states:us-east-1:1:execution:m", want: resourceExecution},
		"empty exec name":   {arn: "arn:aws:states:us-east-1:1:execution:m:", want: resourceExecution},
		"too short":         {arn: "arn:aws:states", want: resourceStateMachine},
		"versioned machine": {arn: "arn:aws:states:us-east-1:1:stateMachine:m:1", want: resourceStateMachine},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := parseARN(tt.arn, tt.want)
			if tt.ok {
				require.NoError(t, err)
				assert.Equal(t, tt.parsed, p)
				return
			}
			require.Error(t, err)
			assert.Equal(t, codeInvalidArn, ErrorCode(err))
			if tt.message != "" {
				assert.Equal(t, tt.message, err.(*APIError).Message)
			}
		})
	}
}

func TestValidName(t *testing.T) {
	for name, ok := range map[string]bool{
		"job-1": true, "a.b_c(d)": true, strings.Repeat("x", 80): true, "ünïcode": true,
		"": false, strings.Repeat("x", 81): false, "a b": false, "a/b": false, "a:b": false,
		"a*": false, "a<b": false, "a\tb": false, "a\x7fb": false, "a$b": false, "a,b": false,
	} {
		err := validName(name)
		if ok {
			assert.NoError(t, err, name)
		} else {
			assert.Equal(t, codeInvalidName, ErrorCode(err), name)
		}
	}
}

func TestARNRoundTrip(t *testing.T) {
	e := New(Config{Region: "eu-west-1", AccountID: "111111111111"})
	p, err := parseARN(e.executionARN("m", "x"), resourceExecution)
	require.NoError(t, err)
	assert.Equal(t, "m", p.StateMachine)
	assert.Equal(t, "x", p.Execution)
	assert.Equal(t, "eu-west-1", p.Region)
}

func FuzzParseARN(f *testing.F) {
	for _, s := range []string{"arn:aws:states:us-east-1:1:stateMachine:m", "arn:aws:states:r:a:execution:m:e", "x", "arn:", "arn:a:b:c:d:e:f:g:h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, want := range []string{resourceStateMachine, resourceExecution} {
			p, err := parseARN(s, want)
			if err != nil {
				if ErrorCode(err) != codeInvalidArn {
					t.Fatalf("error without InvalidArn code: %v", err)
				}
				continue
			}
			if p.Resource != want || p.StateMachine == "" {
				t.Fatalf("accepted %q as %s: %+v", s, want, p)
			}
		}
	})
}

func FuzzValidName(f *testing.F) {
	for _, s := range []string{"job-1", "", "a b", "<x>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if err := validName(s); err == nil && (len(s) == 0 || strings.ContainsAny(s, " /:*<>")) {
			t.Fatalf("accepted invalid name %q", s)
		}
	})
}

// splitARN is strings.SplitN(s, ":", 8).
func TestSplitARN(t *testing.T) {
	for _, s := range []string{
		"", ":", "arn", "arn:", "::::::::::", "arn:aws:states:us-east-1:123:stateMachine:m",
		"arn:aws:states:us-east-1:123:execution:m:e", "arn:aws:states:us-east-1:123:execution:m:e:x:y",
		"arn:aws:states:r:a:stateMachine:m:1", "a:b:c:d:e:f:g:", "a:b:c:d:e:f:g:h:",
	} {
		var buf [arnParts]string
		assert.Equal(t, strings.SplitN(s, ":", arnParts), splitARN(&buf, s), s)
	}
}

func FuzzSplitARN(f *testing.F) {
	f.Add("arn:aws:states:us-east-1:123:execution:m:e")
	f.Fuzz(func(t *testing.T, s string) {
		var buf [arnParts]string
		if got, want := splitARN(&buf, s), strings.SplitN(s, ":", arnParts); !slices.Equal(got, want) {
			t.Fatalf("%q: %q, want %q", s, got, want)
		}
	})
}
