package vtl

// The AST is immutable after Parse: Render keeps all mutable state in its
// own renderer, so one *Template can be rendered by many goroutines at once.

type node interface{}

// textNode is literal output.
type textNode struct{ s string }

// refNode prints a reference: $a, $!a, ${a}, $a.b('x')[0].
type refNode struct {
	ref *refExpr
	// escapes is the number of backslashes written before the '$'.
	escapes int
}

type setNode struct {
	pos    int
	target *refExpr
	value  expr
}

type ifNode struct {
	conds     []expr
	blocks    [][]node
	elseBlock []node
}

type foreachNode struct {
	pos     int
	varName string
	iter    expr
	body    []node
}

type breakNode struct{ pos int }
type stopNode struct{ pos int }

type defineNode struct {
	name string
	body []node
}

type macroDef struct {
	name   string
	params []string
	body   []node
}

type macroCallNode struct {
	pos     int
	name    string
	args    []expr
	literal string // the call as written, printed when no such macro exists
}

// unsupportedNode is a directive that API Gateway's Velocity knows but that
// cannot work without a resource loader (#parse, #include, #evaluate).
type unsupportedNode struct {
	pos  int
	name string
}

type expr interface{}

type partKind int

const (
	partProp partKind = iota
	partMethod
	partIndex
)

type refPart struct {
	kind partKind
	name string
	args []expr // method arguments
	idx  expr   // index expression
	pos  int
}

type refExpr struct {
	pos     int
	name    string
	parts   []refPart
	quiet   bool
	literal string // source text, e.g. "$!{a.b}"
}

type strLit struct {
	s      string
	boxed  any    // s as a value, boxed once at parse time, not per eval
	interp []node // non-nil when a double-quoted literal holds $ or #
}

// intLit and floatLit hold an int64 and a float64, boxed at parse time.
type intLit struct{ v any }
type floatLit struct{ v any }
type boolLit struct{ v bool }
type listLit struct{ items []expr }
type rangeLit struct {
	pos      int
	from, to expr
}
type mapLit struct{ keys, vals []expr }

type binExpr struct {
	pos  int
	op   string
	l, r expr
}

type notExpr struct{ e expr }
type negExpr struct {
	pos int
	e   expr
}
