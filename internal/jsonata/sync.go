package jsonata

import (
	"fmt"
	"regexp"
	"strings"
)

// jsonata-js 2.x evaluates with async functions, so that user functions may
// return promises; every step awaits. No function here is asynchronous,
// and in goja each await costs a promise and two native resolving
// functions: the reference suite's performance cases took 20 s. So the
// bundle is made synchronous when it is loaded, as jsonata-js 1.x was:
// "async" and "await" are dropped and "await Promise.all(items)" becomes
// the items (already values). The file itself stays the pinned one.
//
// Results are the same: evaluation is pure and single-threaded, and every
// awaited value was already settled. What differs is the order in which
// the items of an array constructor or of a group-by object are
// evaluated: one after another here, interleaved at each await there. It
// shows only when two items fail (the first item's error wins here, the
// one that fails in fewer steps there) and in the depth count of the
// evaluate hooks, which skip parallel items either way.

var (
	asyncKeyword = regexp.MustCompile(`\basync\s+(function\b|\()`)
	awaitKeyword = regexp.MustCompile(`\bawait\s+`)
	// asyncLeft finds the keywords, not the frame's property "async".
	asyncLeft = regexp.MustCompile(`(^|[^.\w])(async|await)\s`)
)

// Counts in jsonata-js 2.0.6's jsonata.js: a different file is refused
// rather than half-converted.
const (
	wantPromiseAll = 2
	wantAsync      = 46
	wantAwait      = 102 // besides those of Promise.all
)

// syncBundle converts jsonata.js to evaluate synchronously.
func syncBundle(src string) (string, error) {
	if n := strings.Count(src, "await Promise.all("); n != wantPromiseAll {
		return "", fmt.Errorf("expected %d parallel evaluations (await Promise.all), found %d: not jsonata-js 2.0.6?", wantPromiseAll, n)
	}
	src = strings.ReplaceAll(src, "await Promise.all(", "(")
	if n := len(asyncKeyword.FindAllStringIndex(src, -1)); n != wantAsync {
		return "", fmt.Errorf("expected %d async functions, found %d: not jsonata-js 2.0.6?", wantAsync, n)
	}
	src = asyncKeyword.ReplaceAllString(src, "$1")
	if n := len(awaitKeyword.FindAllStringIndex(src, -1)); n != wantAwait {
		return "", fmt.Errorf("expected %d awaits, found %d: not jsonata-js 2.0.6?", wantAwait, n)
	}
	src = awaitKeyword.ReplaceAllString(src, "")
	if strings.Contains(src, "Promise.all") || asyncLeft.MatchString(src) {
		return "", fmt.Errorf("async code is left after the conversion")
	}
	return src, nil
}
