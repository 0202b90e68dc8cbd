package slsconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// maxDepth bounds nested resolution (a value whose resolution yields new
// variables, e.g. a file that includes itself), where no property path
// repeats and the cycle guard on paths cannot see the loop.
const maxDepth = 64

// ErrCircular marks a circular reference between configuration properties.
var ErrCircular = errors.New("circular reference")

// ResolveError is a configuration value that cannot be resolved. Path is the
// YAML key path of the value ("stepFunctions.stateMachines.jobs.definition").
type ResolveError struct {
	Path     string
	Variable string // the variable's text, e.g. "${foo:bar}"; empty for errors not tied to one
	Err      error
}

func (e *ResolveError) Error() string {
	if e.Variable == "" {
		return fmt.Sprintf("%s: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("%s: unresolved %s: %v", e.Path, e.Variable, e.Err)
}

func (e *ResolveError) Unwrap() error { return e.Err }

// Options are the inputs a deployment would take from the command line and
// the environment.
type Options struct {
	// Dir is the service directory (holding serverless.yml); ${file(...)}
	// paths are relative to it.
	Dir string
	// Stage and Region are --stage and --region; empty means not given.
	Stage, Region string
	// Opt holds other ${opt:...} values (e.g. "param").
	Opt map[string]string
	// Env looks up ${env:NAME}; nil means os.LookupEnv.
	Env func(name string) (string, bool)
	// AccountID answers AWS::AccountId in pseudo-parameter lookups;
	// empty means DefaultAccountID.
	AccountID string
}

// resolver resolves serverless variables in a parsed configuration tree.
type resolver struct {
	opts       Options
	root       any
	done       map[string]bool // property paths fully resolved in root
	inProgress map[string]bool // property paths being resolved (cycle guard)
	files      map[string][]byte
}

func newResolver(root any, opts Options) *resolver {
	if opts.Env == nil {
		opts.Env = os.LookupEnv
	}
	return &resolver{opts: opts, root: root, done: map[string]bool{}, inProgress: map[string]bool{}, files: map[string][]byte{}}
}

func pathKey(path []string) string { return strings.Join(path, "\x00") }

// humanPath joins a key path as serverless prints it.
func humanPath(path []string) string {
	if len(path) == 0 {
		return "(root)"
	}
	return strings.Join(path, ".")
}

func (r *resolver) isDone(path []string) bool {
	for i := len(path); i >= 0; i-- {
		if r.done[pathKey(path[:i])] {
			return true
		}
	}
	return false
}

// lookup walks root to path, resolving the values met on the way (a string
// holding a variable may resolve to the map the rest of the path reads).
func (r *resolver) lookup(path []string, depth int) (any, bool, error) {
	node := r.root
	for i, key := range path {
		if _, isStr := node.(string); isStr && !r.isDone(path[:i]) {
			v, err := r.resolveAt(path[:i], depth)
			if err != nil {
				return nil, false, err
			}
			node = v
		}
		next, ok := child(node, key)
		if !ok {
			return nil, false, nil
		}
		node = next
	}
	v, err := r.resolveAt(path, depth)
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

func child(node any, key string) (any, bool) {
	switch n := node.(type) {
	case map[string]any:
		v, ok := n[key]
		return v, ok
	case []any:
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || i >= len(n) {
			return nil, false
		}
		return n[i], true
	}
	return nil, false
}

func setChild(node any, key string, v any) {
	switch n := node.(type) {
	case map[string]any:
		n[key] = v
	case []any:
		if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(n) {
			n[i] = v
		}
	}
}

// resolveAt resolves the value stored at path in root, stores the result
// there and returns it.
func (r *resolver) resolveAt(path []string, depth int) (any, error) {
	key := pathKey(path)
	var parent any
	node := r.root
	for i, k := range path {
		parent = node
		next, ok := child(node, k)
		if !ok {
			return nil, &ResolveError{Path: humanPath(path[:i+1]), Err: errors.New("no such property")}
		}
		node = next
	}
	if r.isDone(path) {
		return node, nil
	}
	if r.inProgress[key] {
		return nil, &ResolveError{Path: humanPath(path), Err: ErrCircular}
	}
	if depth > maxDepth {
		return nil, &ResolveError{Path: humanPath(path), Err: fmt.Errorf("variables nested deeper than %d levels: %w", maxDepth, ErrCircular)}
	}
	r.inProgress[key] = true
	defer delete(r.inProgress, key)

	var out any
	switch n := node.(type) {
	case map[string]any:
		for _, k := range sortedKeys(n) {
			if _, err := r.resolveAt(append(append([]string(nil), path...), k), depth); err != nil {
				return nil, err
			}
		}
		out = n
	case []any:
		for i := range n {
			if _, err := r.resolveAt(append(append([]string(nil), path...), strconv.Itoa(i)), depth); err != nil {
				return nil, err
			}
		}
		out = n
	case string:
		v, err := r.resolveString(path, n, depth+1)
		if err != nil {
			return nil, err
		}
		out = v
		if len(path) == 0 {
			r.root = v
		} else {
			setChild(parent, path[len(path)-1], v)
		}
	default:
		out = n
	}
	r.done[key] = true
	return out, nil
}

// resolveDetached resolves variables in a value that is not (yet) part of the
// tree, such as a file's content; path names where it will live.
func (r *resolver) resolveDetached(path []string, v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, &ResolveError{Path: humanPath(path), Err: fmt.Errorf("variables nested deeper than %d levels: %w", maxDepth, ErrCircular)}
	}
	switch n := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(n) {
			x, err := r.resolveDetached(path, n[k], depth)
			if err != nil {
				return nil, err
			}
			n[k] = x
		}
		return n, nil
	case []any:
		for i := range n {
			x, err := r.resolveDetached(path, n[i], depth)
			if err != nil {
				return nil, err
			}
			n[i] = x
		}
		return n, nil
	case string:
		return r.resolveString(path, n, depth+1)
	}
	return v, nil
}

// resolveString resolves the variables in s. A string that is one variable
// takes the variable's value (of any type); otherwise the parts are joined.
func (r *resolver) resolveString(path []string, s string, depth int) (any, error) {
	vars, err := parseVariables(s)
	if err != nil {
		return nil, &ResolveError{Path: humanPath(path), Err: err}
	}
	if len(vars) == 0 {
		return s, nil
	}
	if vars[0].whole {
		return r.resolveVariable(path, s, vars[0], depth)
	}
	var b strings.Builder
	last := 0
	for _, v := range vars {
		b.WriteString(s[last:v.start])
		last = v.end
		if v.escape != nil {
			b.WriteString(*v.escape)
			continue
		}
		val, err := r.resolveVariable(path, s[v.start:v.end], v, depth)
		if err != nil {
			return nil, err
		}
		str, ok := coerceString(val)
		if !ok {
			return nil, &ResolveError{Path: humanPath(path), Variable: s[v.start:v.end],
				Err: errors.New("string value consists of a variable which resolves to a non-string value")}
		}
		b.WriteString(str)
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

func coerceString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

// resolveVariable tries the variable's sources in order; the first that
// yields a non-null value wins, as in serverless.
func (r *resolver) resolveVariable(path []string, text string, v varSpan, depth int) (any, error) {
	wrap := func(err error) error {
		var re *ResolveError
		if errors.As(err, &re) {
			return err
		}
		return &ResolveError{Path: humanPath(path), Variable: text, Err: err}
	}
	var lastType string
	for _, src := range v.sources {
		if src.typ == "" {
			return src.literal, nil
		}
		lastType = src.typ
		val, err := r.resolveSource(path, src, depth)
		if err != nil {
			return nil, wrap(err)
		}
		if val == nil {
			continue
		}
		if src.typ == "self" {
			// Already resolved in place; resolving again would re-read
			// escaped `\${...}` text as variables.
			return val, nil
		}
		// A resolved value may hold variables itself (a file's content, or a
		// property that refers further): resolve them where the value lands.
		val, err = r.resolveDetached(path, val, depth+1)
		if err != nil {
			return nil, wrap(err)
		}
		return val, nil
	}
	return nil, wrap(fmt.Errorf("value not found at %q source", lastType))
}

// metaString resolves a param or address to a string.
func (r *resolver) metaString(path []string, m *strMeta, what string, depth int) (string, bool, error) {
	if m == nil || m.value == nil {
		return "", false, nil
	}
	s, isString := m.value.(string)
	if !isString {
		// Literal params (true, 12) are coerced, as serverless' ensureString does.
		if c, ok := coerceString(m.value); ok {
			return c, true, nil
		}
		return "", false, fmt.Errorf("non-string %s: %v", what, m.value)
	}
	if len(m.vars) == 0 {
		return s, true, nil
	}
	val, err := r.resolveString(path, s, depth+1)
	if err != nil {
		return "", false, err
	}
	out, ok := val.(string)
	if !ok {
		if f, isNum := coerceString(val); isNum {
			return f, true, nil
		}
		return "", false, fmt.Errorf("non-string %s", what)
	}
	return out, true, nil
}

func (r *resolver) resolveSource(path []string, src varSource, depth int) (any, error) {
	address, hasAddress, err := r.metaString(path, src.address, "address", depth)
	if err != nil {
		return nil, err
	}
	switch src.typ {
	case "self":
		var keys []string
		if hasAddress && address != "" {
			keys = strings.Split(address, ".")
		}
		v, ok, err := r.lookup(keys, depth+1)
		if err != nil || !ok {
			return nil, err
		}
		return deepCopy(v), nil
	case "opt":
		if !hasAddress {
			return nil, errors.New(`missing address argument in variable "opt" source`)
		}
		return r.opt(address), nil
	case "sls":
		if address != "stage" {
			return nil, fmt.Errorf("unsupported %q address argument in variable \"sls\" source", address)
		}
		return r.stage(depth)
	case "aws":
		switch address {
		case "region":
			return r.region(depth)
		case "accountId":
			return nil, errors.New(`"aws:accountId" calls STS and cannot resolve offline; use Fn::Sub with ${AWS::AccountId}`)
		}
		return nil, fmt.Errorf("unsupported %q address argument in variable \"aws\" source", address)
	case "env":
		if !hasAddress || address == "" {
			return nil, errors.New(`missing address argument in variable "env" source`)
		}
		if v, ok := r.opts.Env(address); ok {
			return v, nil
		}
		return nil, nil
	case "file":
		return r.file(path, src, address, hasAddress, depth)
	case "strToBool":
		if len(src.params) == 0 || src.params[0].value == nil {
			return nil, errors.New(`missing "strToBool" input`)
		}
		s, _, err := r.metaString(path, &src.params[0], "strToBool input", depth)
		if err != nil {
			return nil, err
		}
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
		return nil, fmt.Errorf(`invalid "strToBool" input %q: expected "true", "false", "0" or "1"`, s)
	case "cf", "s3", "ssm", "param", "sls-param":
		return nil, fmt.Errorf("variable source %q needs AWS or the Serverless Dashboard and cannot resolve offline", src.typ)
	}
	return nil, fmt.Errorf("unrecognized variable source %q", src.typ)
}

func (r *resolver) opt(name string) any {
	switch name {
	case "stage":
		if r.opts.Stage != "" {
			return r.opts.Stage
		}
		return nil
	case "region":
		if r.opts.Region != "" {
			return r.opts.Region
		}
		return nil
	}
	if v, ok := r.opts.Opt[name]; ok {
		return v
	}
	return nil
}

// stage is --stage, else provider.stage, else "dev" (serverless' sls:stage).
func (r *resolver) stage(depth int) (any, error) {
	if r.opts.Stage != "" {
		return r.opts.Stage, nil
	}
	v, ok, err := r.lookup([]string{"provider", "stage"}, depth+1)
	if err != nil {
		return nil, err
	}
	if s, isStr := v.(string); ok && isStr && s != "" {
		return s, nil
	}
	return "dev", nil
}

// region is --region, else provider.region, else "us-east-1" (aws:region).
func (r *resolver) region(depth int) (any, error) {
	if r.opts.Region != "" {
		return r.opts.Region, nil
	}
	v, ok, err := r.lookup([]string{"provider", "region"}, depth+1)
	if err != nil {
		return nil, err
	}
	if s, isStr := v.(string); ok && isStr && s != "" {
		return s, nil
	}
	return "us-east-1", nil
}

func (r *resolver) file(path []string, src varSource, address string, hasAddress bool, depth int) (any, error) {
	if len(src.params) == 0 || src.params[0].value == nil {
		return nil, errors.New(`missing path argument in variable "file" source`)
	}
	rel, _, err := r.metaString(path, &src.params[0], "path argument in variable \"file\" source", depth)
	if err != nil {
		return nil, err
	}
	full := rel
	if !filepath.IsAbs(full) {
		full = filepath.Join(r.opts.Dir, rel)
	}
	raw, ok := r.files[full]
	if !ok {
		raw, err = os.ReadFile(full)
		if errors.Is(err, os.ErrNotExist) {
			// serverless treats a missing file as "no value", so a fallback applies.
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", rel, err)
		}
		r.files[full] = raw
	}
	var content any
	switch strings.ToLower(filepath.Ext(full)) {
	case ".yml", ".yaml":
		content, err = decodeYAML(raw)
		if err != nil {
			return nil, fmt.Errorf("cannot parse %q: %w", rel, err)
		}
	case ".json", ".tfstate":
		content, err = decodeJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("cannot parse %q: JSON parse error: %w", rel, err)
		}
	case ".js", ".cjs":
		return nil, fmt.Errorf("file %q: JavaScript files cannot be evaluated by the local runtime", rel)
	default:
		content = string(raw)
	}
	if !hasAddress || address == "" {
		return content, nil
	}
	result := content
	for _, key := range strings.Split(address, ".") {
		if s, isStr := result.(string); isStr {
			result, err = r.resolveString(path, s, depth+1)
			if err != nil {
				return nil, err
			}
		}
		next, ok := child(result, key)
		if !ok {
			return nil, nil
		}
		result = next
	}
	return result, nil
}

// decodeJSON decodes JSON keeping numbers exact.
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after JSON value")
	}
	return normalizeNumbers(v), nil
}

// normalizeNumbers turns json.Number into int64 or float64, the types YAML
// decoding yields too, so the rest of the package sees one set of types.
func normalizeNumbers(v any) any {
	switch n := v.(type) {
	case map[string]any:
		for k, x := range n {
			n[k] = normalizeNumbers(x)
		}
	case []any:
		for i, x := range n {
			n[i] = normalizeNumbers(x)
		}
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i
		}
		if f, err := n.Float64(); err == nil && !math.IsInf(f, 0) {
			return f
		}
		return n.String()
	}
	return v
}

func deepCopy(v any) any {
	switch n := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(n))
		for k, x := range n {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(n))
		for i, x := range n {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}
