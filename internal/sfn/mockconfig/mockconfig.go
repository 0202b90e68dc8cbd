// Package mockconfig reads Step Functions Local's mock configuration file
// (MockConfigFile.json, named by SFN_MOCK_CONFIG), in the format AWS
// documents under "Configuration file for mocked service integrations":
//
//	{
//	  "StateMachines": {
//	    "<state machine name>": {
//	      "TestCases": {
//	        "<test case>": { "<state name>": "<mocked response name>" }
//	      }
//	    }
//	  },
//	  "MockedResponses": {
//	    "<mocked response name>": {
//	      "0":   { "Throw": { "Error": "...", "Cause": "..." } },
//	      "1-2": { "Return": <any JSON> }
//	    }
//	  }
//	}
//
// Each invocation of a mocked state (its first attempt, each retry, each
// later visit) takes the next numbered response; an invocation with no
// response fails the state, as in Step Functions Local.
//
// The file is checked whole when it is read, so that a mistake shows at
// start with its key path and line, not in the middle of a test run.
package mockconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Config is a parsed mock configuration file.
type Config struct {
	machines map[string]map[string]*TestCase // state machine -> test case
}

// TestCase maps a state machine's mocked states to their responses.
type TestCase struct {
	// Name is the test case's name.
	Name   string
	states map[string]*Responses
}

// Responses is one mocked response: the numbered answers that successive
// invocations of a state get.
type Responses struct {
	// Name is the mocked response's name in MockedResponses.
	Name   string
	ranges []span // sorted by first, consecutive from 0
}

// span is one key of a mocked response: invocations first..last.
type span struct {
	first, last int
	resp        Response
	off         int64 // the key's offset in the file, for errors
}

// Response is what one invocation of a mocked state returns (Return) or
// throws (Throw); exactly one is set.
type Response struct {
	// Return is the task's result, as JSON.
	Return json.RawMessage
	// Throw is the task's failure.
	Throw *Throw
}

// Throw is a mocked failure: the error name Retry and Catch match, and its
// cause.
type Throw struct {
	Error string
	Cause string
}

// Error is a mistake in a mock configuration file: where it is (the key
// path, and the line and column when known) and what is wrong.
type Error struct {
	// File is the file's name; empty when parsing bytes.
	File string
	// Path is the key path, e.g. MockedResponses.MockedLambdaRetry["1-2"].Throw.
	Path string
	// Line and Column locate the mistake (1-based); 0 when unknown.
	Line, Column int
	// Msg says what is wrong.
	Msg string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("mock config")
	if e.File != "" {
		b.WriteString(" ")
		b.WriteString(e.File)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	if e.Path != "" {
		b.WriteString(": ")
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads and checks the mock configuration file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mock config: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		var me *Error
		if errors.As(err, &me) {
			me.File = path
		}
		return nil, err
	}
	return c, nil
}

// TestCase returns the named test case of a state machine.
func (c *Config) TestCase(stateMachine, testCase string) (*TestCase, bool) {
	if c == nil {
		return nil, false
	}
	tc, ok := c.machines[stateMachine][testCase]
	return tc, ok
}

// State returns the mocked response of a state; false when the test case
// does not mock it (the state then runs for real).
func (tc *TestCase) State(name string) (*Responses, bool) {
	if tc == nil {
		return nil, false
	}
	r, ok := tc.states[name]
	return r, ok
}

// At returns the response to the invocation numbered n (from 0); false
// when the file gives none.
func (r *Responses) At(n int) (Response, bool) {
	i := sort.Search(len(r.ranges), func(i int) bool { return r.ranges[i].last >= n })
	if i == len(r.ranges) || n < r.ranges[i].first {
		return Response{}, false
	}
	return r.ranges[i].resp, true
}

// Count is how many invocations the response answers.
func (r *Responses) Count() int {
	if len(r.ranges) == 0 {
		return 0
	}
	return r.ranges[len(r.ranges)-1].last + 1
}

// maxInvocation bounds the numbers in keys, so that a range's count fits
// an int everywhere.
const maxInvocation = 1<<31 - 2

// Parse reads and checks a mock configuration.
func Parse(data []byte) (*Config, error) {
	p := &parser{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	c, err := p.config()
	if err != nil {
		return nil, err
	}
	// Nothing may follow the object.
	off := p.dec.InputOffset()
	if _, err := p.dec.Token(); err != io.EOF {
		if err != nil {
			return nil, p.syntax(err)
		}
		return nil, p.errAt(off, "", "unexpected data after the top-level object")
	}
	return c, nil
}

type parser struct {
	data []byte
	dec  *json.Decoder
}

// rawTest is a test case as read, before its response names are resolved.
type rawTest struct {
	name   string
	states map[string]rawRef
}

type rawRef struct {
	response string
	path     string
	offset   int64
}

func (p *parser) config() (*Config, error) {
	var machines map[string]map[string]*rawTest
	var responses map[string]*Responses
	seen := map[string]bool{}
	err := p.object("", func(key string, off int64) error {
		switch key {
		case "StateMachines":
			var err error
			machines, err = p.stateMachines(key)
			seen[key] = true
			return err
		case "MockedResponses":
			var err error
			responses, err = p.mockedResponses(key)
			seen[key] = true
			return err
		case "MockedResponse":
			return p.errAt(off, key, `unknown field; did you mean "MockedResponses"?`)
		}
		return p.errAt(off, key, `unknown field; want "StateMachines" and "MockedResponses"`)
	})
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"StateMachines", "MockedResponses"} {
		if !seen[k] {
			return nil, &Error{Path: k, Msg: "missing; the file needs both StateMachines and MockedResponses", Line: 1, Column: 1}
		}
	}
	c := &Config{machines: map[string]map[string]*TestCase{}}
	for smName, cases := range machines {
		c.machines[smName] = map[string]*TestCase{}
		for tcName, rt := range cases {
			tc := &TestCase{Name: tcName, states: map[string]*Responses{}}
			for state, ref := range rt.states {
				r, ok := responses[ref.response]
				if !ok {
					return nil, p.errAt(ref.offset, ref.path, fmt.Sprintf("mocked response %q is not defined in MockedResponses", ref.response))
				}
				tc.states[state] = r
			}
			c.machines[smName][tcName] = tc
		}
	}
	return c, nil
}

func (p *parser) stateMachines(path string) (map[string]map[string]*rawTest, error) {
	out := map[string]map[string]*rawTest{}
	err := p.object(path, func(sm string, smOff int64) error {
		smPath := join(path, sm)
		var cases map[string]*rawTest
		err := p.object(smPath, func(key string, off int64) error {
			if key != "TestCases" {
				return p.errAt(off, join(smPath, key), `unknown field; a state machine has only "TestCases"`)
			}
			var err error
			cases, err = p.testCases(join(smPath, key))
			return err
		})
		if err != nil {
			return err
		}
		if cases == nil {
			return p.errAt(smOff, smPath, `missing "TestCases"`)
		}
		out[sm] = cases
		return nil
	})
	return out, err
}

func (p *parser) testCases(path string) (map[string]*rawTest, error) {
	out := map[string]*rawTest{}
	err := p.object(path, func(name string, _ int64) error {
		tcPath := join(path, name)
		rt := &rawTest{name: name, states: map[string]rawRef{}}
		err := p.object(tcPath, func(state string, _ int64) error {
			stPath := join(tcPath, state)
			s, off, err := p.str(stPath, "the name of a mocked response (a string)")
			if err != nil {
				return err
			}
			rt.states[state] = rawRef{response: s, path: stPath, offset: off}
			return nil
		})
		out[name] = rt
		return err
	})
	return out, err
}

func (p *parser) mockedResponses(path string) (map[string]*Responses, error) {
	out := map[string]*Responses{}
	err := p.object(path, func(name string, _ int64) error {
		rPath := join(path, name)
		r := &Responses{Name: name}
		err := p.object(rPath, func(key string, off int64) error {
			kPath := join(rPath, key)
			first, last, err := parseKey(key)
			if err != nil {
				return p.errAt(off, kPath, err.Error())
			}
			resp, err := p.response(kPath)
			if err != nil {
				return err
			}
			r.ranges = append(r.ranges, span{first: first, last: last, resp: resp, off: off})
			return nil
		})
		if err != nil {
			return err
		}
		sort.Slice(r.ranges, func(i, j int) bool { return r.ranges[i].first < r.ranges[j].first })
		next := 0
		for i, s := range r.ranges {
			if s.first != next {
				key := keyString(s)
				what := fmt.Sprintf("starts at invocation %d, but ", s.first)
				if i == 0 {
					what += "the first key must start at 0"
				} else if s.first < next {
					what += fmt.Sprintf("invocation %d is already answered by %q", s.first, keyString(r.ranges[i-1]))
				} else {
					what += fmt.Sprintf("invocation %d has no response (keys must be consecutive)", next)
				}
				return p.errAt(s.off, join(rPath, key), what)
			}
			next = s.last + 1
		}
		out[name] = r
		return nil
	})
	return out, err
}

// response reads one numbered response: an object with exactly one of
// Return and Throw.
func (p *parser) response(path string) (Response, error) {
	var resp Response
	var has []string
	start := p.dec.InputOffset()
	err := p.object(path, func(key string, off int64) error {
		switch key {
		case "Return":
			var raw json.RawMessage
			if err := p.dec.Decode(&raw); err != nil {
				return p.syntax(err)
			}
			resp.Return = raw
		case "Throw":
			t, err := p.throw(join(path, key))
			if err != nil {
				return err
			}
			resp.Throw = t
		default:
			return p.errAt(off, join(path, key), `unknown field; a response has "Return" or "Throw"`)
		}
		has = append(has, key)
		return nil
	})
	if err != nil {
		return resp, err
	}
	switch len(has) {
	case 0:
		return resp, p.errAt(start, path, `want "Return" or "Throw"`)
	case 1:
		return resp, nil
	}
	return resp, p.errAt(start, path, `has both "Return" and "Throw"; a response has exactly one`)
}

func (p *parser) throw(path string) (*Throw, error) {
	t := &Throw{}
	got := map[string]bool{}
	start := p.dec.InputOffset()
	err := p.object(path, func(key string, off int64) error {
		if key != "Error" && key != "Cause" {
			return p.errAt(off, join(path, key), `unknown field; Throw has "Error" and "Cause"`)
		}
		s, _, err := p.str(join(path, key), "a string")
		if err != nil {
			return err
		}
		if key == "Error" {
			t.Error = s
		} else {
			t.Cause = s
		}
		got[key] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"Error", "Cause"} {
		if !got[k] {
			return nil, p.errAt(start, path, fmt.Sprintf("missing %q; Throw needs an Error and a Cause (strings)", k))
		}
	}
	if t.Error == "" {
		return nil, p.errAt(start, join(path, "Error"), "is empty; Retry and Catch match on it")
	}
	return t, nil
}

// str reads a string value (want says what is expected, for the error)
// and its offset.
func (p *parser) str(path, want string) (string, int64, error) {
	off := p.dec.InputOffset()
	tok, err := p.dec.Token()
	if err != nil {
		return "", off, p.syntax(err)
	}
	s, ok := tok.(string)
	if !ok {
		return "", off, p.errAt(off, path, "want "+want+", got "+describe(tok))
	}
	return s, off, nil
}

// object reads a JSON object, calling fn with each key (and its offset)
// while the decoder stands before the key's value; fn must consume the
// value. A duplicate key is an error: encoding/json would keep the last
// silently, and a test would run with a response the author did not mean.
func (p *parser) object(path string, fn func(key string, off int64) error) error {
	off := p.dec.InputOffset()
	tok, err := p.dec.Token()
	if err != nil {
		return p.syntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return p.errAt(off, path, "want an object, got "+describe(tok))
	}
	seen := map[string]bool{}
	for p.dec.More() {
		koff := p.dec.InputOffset()
		tok, err := p.dec.Token()
		if err != nil {
			return p.syntax(err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return p.errAt(koff, join(path, key), "duplicate key")
		}
		seen[key] = true
		if err := fn(key, koff); err != nil {
			return err
		}
	}
	if _, err := p.dec.Token(); err != nil {
		return p.syntax(err)
	}
	return nil
}

// skipSpace moves off past the white space and the separator before a
// token.
func (p *parser) skipSpace(off int64) int64 {
	for off < int64(len(p.data)) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

// syntax turns a decoding error into an Error with the line and column.
func (p *parser) syntax(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := position(p.data, se.Offset-1)
		return &Error{Line: line, Column: col, Msg: "malformed JSON: " + se.Error()}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		line, col := position(p.data, int64(len(p.data)))
		return &Error{Line: line, Column: col, Msg: "malformed JSON: unexpected end of file"}
	}
	return &Error{Msg: fmt.Sprintf("malformed JSON: %v", err)}
}

// errAt is an Error at the token that follows a byte offset.
func (p *parser) errAt(off int64, path, msg string) error {
	line, col := position(p.data, p.skipSpace(off))
	return &Error{Path: path, Line: line, Column: col, Msg: msg}
}

// position converts a byte offset to a 1-based line and column (in bytes).
func position(data []byte, off int64) (line, col int) {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// parseKey reads an invocation key: "N" or an inclusive range "N-M".
func parseKey(key string) (first, last int, err error) {
	a, b, isRange := strings.Cut(key, "-")
	first, err = parseInvocation(a)
	if err == nil && isRange {
		last, err = parseInvocation(b)
	} else {
		last = first
	}
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return 0, 0, fmt.Errorf("invocation number in %q is too large", key)
		}
		return 0, 0, fmt.Errorf(`want an invocation number ("0", "1", ...) or an inclusive range ("1-2"), got %q`, key)
	}
	if last < first {
		return 0, 0, fmt.Errorf("range ends (%d) before it starts (%d)", last, first)
	}
	return first, last, nil
}

var (
	errNotNumber = errors.New("not an invocation number")
	errTooLarge  = errors.New("invocation number too large")
)

func parseInvocation(s string) (int, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, errNotNumber
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > maxInvocation {
		return 0, errTooLarge
	}
	return n, nil
}

func keyString(s span) string {
	if s.first == s.last {
		return strconv.Itoa(s.first)
	}
	return fmt.Sprintf("%d-%d", s.first, s.last)
}

// join appends a key to a path: dotted when the key is a plain name,
// bracketed and quoted otherwise (numbered keys, names with dots).
func join(path, key string) string {
	plain := key != ""
	for _, c := range key {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			plain = false
			break
		}
	}
	if plain && (key[0] < '0' || key[0] > '9') {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

// describe names a JSON token's kind for messages.
func describe(tok any) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}
