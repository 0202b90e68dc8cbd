package jsonata

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"math"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/dlclark/regexp2"
	"github.com/dop251/goja"
)

func init() {
	// goja runs regular expressions that need backtracking (back
	// references, lookarounds) with regexp2, which by default never gives
	// up: a catastrophic pattern would hold a VM past any time limit, since
	// an interrupt is only seen between JavaScript instructions. A match
	// that times out counts as no match. This is process-wide, and goja
	// is regexp2's only user here.
	regexp2.DefaultMatchTimeout = DefaultTimeout
}

// installNatives defines the Go functions the Step Functions environment
// (setupJS) calls.
func (v *vm) installNatives() {
	set := func(name string, fn func(goja.FunctionCall) goja.Value) {
		if err := v.rt.Set(name, fn); err != nil {
			panic(err)
		}
	}
	set("btoa", func(c goja.FunctionCall) goja.Value { return v.rt.ToValue(btoa(c.Argument(0).String())) })
	set("atob", func(c goja.FunctionCall) goja.Value { return v.rt.ToValue(atob(c.Argument(0).String())) })
	set("__digest", func(c goja.FunctionCall) goja.Value {
		h, ok := digest(c.Argument(1).String(), c.Argument(0).String())
		if !ok {
			return goja.Null()
		}
		return v.rt.ToValue(h)
	})
	set("__seededRandom", func(c goja.FunctionCall) goja.Value {
		return v.rt.ToValue(seededRandom(c.Argument(0).ToFloat()))
	})
	set("__uuid", func(goja.FunctionCall) goja.Value { return v.rt.ToValue(uuidV4()) })
}

// btoa is Node's Buffer.from(s, 'binary').toString('base64'), what
// jsonata-js's $base64encode runs on Node (and so on AWS): each UTF-16 code
// unit keeps its low byte.
func btoa(s string) string {
	units := utf16.Encode([]rune(s))
	b := make([]byte, len(units))
	for i, u := range units {
		b[i] = byte(u)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// atob is Node's Buffer.from(s, 'base64').toString('binary'): lenient (it
// skips what is not base64, takes the URL alphabet too, stops at '=', and
// decodes a short last group), each byte one character.
func atob(s string) string {
	var sextets []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d byte
		switch {
		case c >= 'A' && c <= 'Z':
			d = c - 'A'
		case c >= 'a' && c <= 'z':
			d = c - 'a' + 26
		case c >= '0' && c <= '9':
			d = c - '0' + 52
		case c == '+' || c == '-':
			d = 62
		case c == '/' || c == '_':
			d = 63
		case c == '=':
			i = len(s)
			continue
		default:
			continue
		}
		sextets = append(sextets, d)
	}
	var out []rune
	for i := 0; i+1 < len(sextets); i += 4 {
		n := len(sextets) - i
		var q [4]byte
		copy(q[:], sextets[i:])
		out = append(out, rune(q[0]<<2|q[1]>>4))
		if n > 2 {
			out = append(out, rune(q[1]<<4|q[2]>>2))
		}
		if n > 3 {
			out = append(out, rune(q[2]<<6|q[3]))
		}
	}
	return string(out)
}

// NewHash returns a hash of the algorithm named alg as $hash and
// States.Hash name it (MD5, SHA-1, SHA-256, SHA-384 or SHA-512), or nil.
func NewHash(alg string) hash.Hash {
	switch alg {
	case "MD5":
		return md5.New()
	case "SHA-1":
		return sha1.New()
	case "SHA-256":
		return sha256.New()
	case "SHA-384":
		return sha512.New384()
	case "SHA-512":
		return sha512.New()
	}
	return nil
}

// digest is $hash: the lower-case hex digest of s's UTF-8 bytes.
func digest(alg, s string) (string, bool) {
	h := NewHash(alg)
	if h == nil {
		return "", false
	}
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)), true
}

// seededRandom is $random(seed): a number in [0, 1), the same for the same
// seed (AWS's generator is not known, so not its numbers).
func seededRandom(seed float64) float64 {
	bits := math.Float64bits(seed)
	if seed == math.Trunc(seed) && math.Abs(seed) < 1<<63 {
		bits = uint64(int64(seed))
	}
	return mrand.New(mrand.NewPCG(bits, 0x5f3759df)).Float64()
}

// uuidV4 is $uuid(): a random (version 4) UUID.
func uuidV4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// setupJS runs in every VM after jsonata-js. It defines AWS's functions as
// jsonata function objects once (by evaluating an expression that names
// them), and __prepare, which compiles an expression in Step Functions'
// environment: those functions bound, $eval bound to undefined, and the
// depth hooks of jsonata-js's test suite.
var setupJS = strings.NewReplacer(
	"@MAXSTRING@", strconv.Itoa(MaxStringLength),
	"@PARTITION@", ErrPartitionSize,
	"@RANGE@", ErrRangeArgs,
	"@HASH@", ErrHashAlgorithm,
	"@PARSE@", ErrParseJSON,
	"@STACK@", msgStackOverflow,
).Replace(`
(function () {
	// A string longer than this cannot be built by joining: $pad('', 1e9)
	// must fail, as V8 fails past its own cap, not take the memory.
	var join = Array.prototype.join;
	Object.defineProperty(Array.prototype, 'join', {
		value: function (sep) {
			var n = this.length;
			if (n > 1) {
				var s = sep === undefined ? 1 : String(sep).length;
				if ((n - 1) * s > @MAXSTRING@) {
					throw new RangeError('Invalid string length');
				}
			}
			var out = join.call(this, sep);
			if (out.length > @MAXSTRING@) {
				throw new RangeError('Invalid string length');
			}
			return out;
		},
		writable: true, configurable: true, enumerable: false
	});
})();

var __limits = {depth: 0, max: 0};

function __entry(expr, input, environment) {
	if (environment.isParallelCall) return;
	if (++__limits.depth > __limits.max) {
		// No stack: capturing thousands of frames took seconds.
		throw {code: 'U1001', message: '@STACK@'};
	}
}

function __exit(expr, input, environment) {
	if (environment.isParallelCall) return;
	__limits.depth--;
}

var __sfn = (function () {
	function fail(code, message, value) {
		return {code: code, message: message, value: value, stack: (new Error()).stack};
	}
	function partition(arr, size) {
		if (typeof arr === 'undefined') return undefined;
		if (!Number.isInteger(size) || size < 1) {
			throw fail('@PARTITION@', 'The size argument of function partition must be a positive integer: ' + size, size);
		}
		var out = [];
		for (var i = 0; i < arr.length; i += size) {
			out.push(Array.prototype.slice.call(arr, i, i + size));
		}
		return out;
	}
	function range(start, end, step) {
		if (typeof start === 'undefined' || typeof end === 'undefined' || typeof step === 'undefined') return undefined;
		if (!Number.isInteger(start) || !Number.isInteger(end) || !Number.isInteger(step)) {
			throw fail('@RANGE@', 'The arguments of function range must be integers', [start, end, step]);
		}
		if (step === 0) {
			throw fail('@RANGE@', 'The step argument of function range must not be 0', step);
		}
		var n = Math.floor((end - start) / step) + 1;
		if (n > 1e7) {
			throw fail('@RANGE@', 'The sequence made by function range must not exceed 1e7 items.  Attempted to allocate ' + n + '.', n);
		}
		// A sequence, as jsonata-js makes them: one item is the item itself.
		var out = [];
		out.sequence = true;
		for (var i = 0; i < n; i++) {
			out.push(start + i * step);
		}
		return out;
	}
	function hash(value, algorithm) {
		if (typeof value === 'undefined') return undefined;
		var h = __digest(value, algorithm);
		if (h === null) {
			throw fail('@HASH@', 'The algorithm argument of function hash must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512: ' + algorithm, algorithm);
		}
		return h;
	}
	function random(seed) {
		if (typeof seed === 'undefined') return Math.random();
		return __seededRandom(seed);
	}
	function uuid() {
		return __uuid();
	}
	function parse(str) {
		if (typeof str === 'undefined') return undefined;
		try {
			return JSON.parse(str);
		} catch (e) {
			throw fail('@PARSE@', 'The argument of function parse is not a JSON text: ' + e.message, str);
		}
	}
	var names = ['partition', 'range', 'hash', 'random', 'uuid', 'parse'];
	var impls = [partition, range, hash, random, uuid, parse];
	var sigs = ['<an:a>', '<nnn:a<n>>', '<ss:s>', '<n?:n>', '<:s>', '<s:j>'];
	var t = jsonata('[$' + names.join(', $') + ']');
	for (var i = 0; i < names.length; i++) {
		t.registerFunction(names[i], impls[i], sigs[i]);
	}
	var fns = t.evaluate(undefined, {});
	return {names: names, fns: function () { return fns; }};
})();

var __fns;

function __sfnReady() {
	__fns = __sfn.fns();
	if (!__fns || __fns.length !== __sfn.names.length) {
		throw new Error('the Step Functions functions did not evaluate');
	}
}

var __entrySym = Symbol.for('jsonata.__evaluate_entry');
var __exitSym = Symbol.for('jsonata.__evaluate_exit');

function __prepare(src) {
	var e = jsonata(src);
	e.assign('eval', undefined);
	for (var i = 0; i < __sfn.names.length; i++) {
		e.assign(__sfn.names[i], __fns[i]);
	}
	e.assign(__entrySym, __entry);
	e.assign(__exitSym, __exit);
	return e;
}

// __shape describes the expressions the fast path answers, from the AST
// jsonata-js parsed: ['lit', value], ['var', name], ['path', name, field,
// ...], ['arith', op, value, value] for + - * / %, ['cat', '&', value,
// value], ['cmp', op, value, value] for = != < <= > >= between those, and
// ['bool', 'and'|'or', cond, cond]; null for any other, or for a node
// with anything more (predicates, stages, keepArray, grouping) than the
// plain form.
function __shape(e) {
	function plain(node, allowed) {
		var ks = Object.keys(node);
		for (var i = 0; i < ks.length; i++) {
			if (allowed.indexOf(ks[i]) < 0) return false;
		}
		return true;
	}
	var leaf = ['type', 'value', 'position'];
	var binary = ['type', 'value', 'position', 'lhs', 'rhs'];
	var cmpOps = ['=', '!=', '<', '<=', '>', '>='];
	function operand(ast) {
		switch (ast.type) {
		case 'string':
		case 'number':
		case 'value':
			return plain(ast, leaf) ? ['lit', ast.value] : null;
		case 'variable':
			return plain(ast, leaf) && ast.value !== '' && ast.value !== '$' ? ['var', ast.value] : null;
		case 'path':
			if (!plain(ast, ['type', 'steps']) || ast.steps.length < 2) return null;
			var out = ['path'];
			for (var i = 0; i < ast.steps.length; i++) {
				var s = ast.steps[i];
				if (!plain(s, leaf) || s.type !== (i === 0 ? 'variable' : 'name') || typeof s.value !== 'string') return null;
				if (i === 0 && (s.value === '' || s.value === '$')) return null;
				out.push(s.value);
			}
			return out;
		}
		return null;
	}
	function value(ast) {
		var l, r;
		if (ast.type === 'binary' && plain(ast, binary)) {
			if (['+', '-', '*', '/', '%'].indexOf(ast.value) >= 0) {
				l = value(ast.lhs);
				r = value(ast.rhs);
				return l && r ? ['arith', ast.value, l, r] : null;
			}
			if (ast.value === '&') {
				l = value(ast.lhs);
				r = value(ast.rhs);
				return l && r ? ['cat', '&', l, r] : null;
			}
			return null;
		}
		return operand(ast);
	}
	function cond(ast) {
		if (ast.type !== 'binary' || !plain(ast, binary)) return null;
		var l, r;
		if (ast.value === 'and' || ast.value === 'or') {
			l = cond(ast.lhs);
			r = cond(ast.rhs);
			return l && r ? ['bool', ast.value, l, r] : null;
		}
		if (cmpOps.indexOf(ast.value) < 0) return null;
		l = value(ast.lhs);
		r = value(ast.rhs);
		return l && r ? ['cmp', ast.value, l, r] : null;
	}
	var ast = e.ast();
	return value(ast) || cond(ast);
}
`)
