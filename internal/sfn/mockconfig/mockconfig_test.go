package mockconfig

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden error messages under testdata/errors")

// TestDocsExample reads the example of AWS's "Configuration file for mocked
// service integrations" page, unchanged.
func TestDocsExample(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "MockConfigFile.json"))
	if err != nil {
		t.Fatal(err)
	}
	tc, ok := c.TestCase("LambdaSQSIntegration", "RetryPath")
	if !ok {
		t.Fatal("RetryPath missing")
	}
	r, ok := tc.State("LambdaState")
	if !ok || r.Name != "MockedLambdaRetry" {
		t.Fatalf("LambdaState: %v %v", r, ok)
	}
	if r.Count() != 4 {
		t.Errorf("Count = %d, want 4", r.Count())
	}
	want := []string{"Lambda.ResourceNotReadyException", "Lambda.TimeoutException", "Lambda.TimeoutException", ""}
	for n, w := range want {
		resp, ok := r.At(n)
		if !ok {
			t.Fatalf("At(%d): none", n)
		}
		switch {
		case w == "" && resp.Return == nil:
			t.Errorf("At(%d): want Return, got %+v", n, resp)
		case w != "" && (resp.Throw == nil || resp.Throw.Error != w):
			t.Errorf("At(%d): want Throw %s, got %+v", n, w, resp)
		}
	}
	if _, ok := r.At(4); ok {
		t.Error("At(4): want none, the attempts outrun the responses")
	}
	last, _ := r.At(3)
	var v struct{ StatusCode int }
	if err := json.Unmarshal(last.Return, &v); err != nil || v.StatusCode != 200 {
		t.Errorf("Return = %s", last.Return)
	}
	if _, ok := tc.State("Other"); ok {
		t.Error("an unmocked state is mocked")
	}
	hybrid, _ := c.TestCase("LambdaSQSIntegration", "HybridPath")
	if _, ok := hybrid.State("SQSState"); ok {
		t.Error("HybridPath mocks SQSState")
	}
	if _, ok := c.TestCase("LambdaSQSIntegration", "NoSuchCase"); ok {
		t.Error("unknown test case found")
	}
	if _, ok := c.TestCase("Other", "HappyPath"); ok {
		t.Error("unknown state machine found")
	}
}

func TestLookups(t *testing.T) {
	c, err := Parse([]byte(`{
	  "StateMachines": {"M": {"TestCases": {"T": {"S": "R", "E": "Empty"}}}},
	  "MockedResponses": {
	    "R": {"3-5": {"Return": "late"}, "0": {"Return": null}, "1-2": {"Throw": {"Error": "E", "Cause": ""}}},
	    "Empty": {}
	  }
	}`))
	if err != nil {
		t.Fatal(err)
	}
	tc, _ := c.TestCase("M", "T")
	r, _ := tc.State("S")
	for _, tt := range []struct {
		n     int
		ok    bool
		throw bool
		ret   string
	}{
		{0, true, false, "null"}, {1, true, true, ""}, {2, true, true, ""}, {3, true, false, `"late"`},
		{5, true, false, `"late"`}, {6, false, false, ""}, {-1, false, false, ""},
	} {
		resp, ok := r.At(tt.n)
		if ok != tt.ok || (resp.Throw != nil) != tt.throw || (tt.ret != "" && string(resp.Return) != tt.ret) {
			t.Errorf("At(%d) = %+v %v", tt.n, resp, ok)
		}
	}
	empty, _ := tc.State("E")
	if _, ok := empty.At(0); ok || empty.Count() != 0 {
		t.Error("an empty mocked response answers")
	}
	var nilc *Config
	if _, ok := nilc.TestCase("M", "T"); ok {
		t.Error("nil config has test cases")
	}
}

// TestErrors checks the message of each malformed file under
// testdata/errors against its golden file (go test -update rewrites them).
func TestErrors(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "errors", "*.json"))
	if len(files) == 0 {
		t.Fatal("no cases")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			_, err := Load(f)
			if err == nil {
				t.Fatal("no error")
			}
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("%T is not *Error: %v", err, err)
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(f, ".json") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("got  %swant %s", got, want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.json"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "errors", "*.json"))
	seeds = append(seeds, filepath.Join("testdata", "MockConfigFile.json"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"StateMachines":{},"MockedResponses":{"R":{"0-2147483646":{"Return":1}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("%T is not *Error: %v", err, err)
			}
			if me.Line < 0 || me.Column < 0 {
				t.Fatalf("bad position in %v", err)
			}
			return
		}
		// A file that parses answers every invocation below its count,
		// each with exactly one of Return and Throw, and none past it.
		for _, cases := range c.machines {
			for _, tc := range cases {
				for _, r := range tc.states {
					n := r.Count()
					for _, i := range []int{0, n / 2, n - 1} {
						if i < 0 || i >= n {
							continue
						}
						resp, ok := r.At(i)
						if !ok || (resp.Return == nil) == (resp.Throw == nil) {
							t.Fatalf("At(%d) of %d = %+v %v", i, n, resp, ok)
						}
					}
					if _, ok := r.At(n); ok {
						t.Fatalf("At(%d) answers past the count", n)
					}
				}
			}
		}
	})
}
