package asl

import (
	"encoding/json"
	"time"
)

// StateType is the Type of a state.
type StateType string

// The state types of the JSONPath language.
const (
	TypePass     StateType = "Pass"
	TypeTask     StateType = "Task"
	TypeChoice   StateType = "Choice"
	TypeWait     StateType = "Wait"
	TypeSucceed  StateType = "Succeed"
	TypeFail     StateType = "Fail"
	TypeParallel StateType = "Parallel"
	TypeMap      StateType = "Map"
)

// StateMachine is a parsed definition, or a Parallel branch, or a Map item processor.
type StateMachine struct {
	Comment        string
	StartAt        string
	States         map[string]*State
	StateNames     []string // in definition order
	TimeoutSeconds int      // 0 when absent (top level only)
	Version        string
	QueryLanguage  string // "JSONPath" (the default) or "JSONata"
	// ProcessorMode is the Map ProcessorConfig Mode ("INLINE" by default); empty outside Map.
	ProcessorMode string
	// ExecutionType is the Map ProcessorConfig ExecutionType, if any.
	ExecutionType string
}

// State is one state. Type selects which fields are meaningful.
type State struct {
	Name          string
	Type          StateType
	Comment       string
	QueryLanguage string
	Next          string // empty when End (or for Choice, Succeed, Fail)
	End           bool

	InputPath      *Path // nil: "$" (the default); see InputPathNull
	InputPathNull  bool  // InputPath: null, the effective input is {}
	OutputPath     *Path
	OutputPathNull bool
	ResultPath     *Path // nil: "$" (the default); see ResultPathNull
	ResultPathNull bool  // ResultPath: null, the result is discarded
	Parameters     *Template
	ResultSelector *Template
	Assign         *Template

	// Pass
	Result    any
	HasResult bool

	// Task
	Resource             json.RawMessage // a string ARN or any JSON (e.g. {"Fn::GetAtt":[fn,"Arn"]}); the engine resolves it
	TimeoutSeconds       int             // 0: absent
	TimeoutSecondsPath   *Path
	HeartbeatSeconds     int
	HeartbeatSecondsPath *Path
	Credentials          json.RawMessage
	Retry                []*Retrier
	Catch                []*Catcher

	// Choice
	Choices []*ChoiceRule
	Default string

	// Wait
	Seconds       *int64
	Timestamp     *time.Time
	SecondsPath   *Path
	TimestampPath *Path

	// Fail
	Error     string
	Cause     string
	ErrorPath *Expr
	CausePath *Expr

	// Parallel
	Branches []*StateMachine

	// Map
	ItemsPath                      *Path // nil: "$"
	ItemSelector                   *Template
	ItemProcessor                  *StateMachine // ItemProcessor or the legacy Iterator
	MaxConcurrency                 int           // 0: unlimited
	MaxConcurrencyPath             *Path
	ToleratedFailureCount          int
	ToleratedFailureCountPath      *Path
	ToleratedFailurePercentage     float64
	ToleratedFailurePercentagePath *Path
	HasToleratedFailure            bool // any ToleratedFailure* field is set
	ItemReader                     json.RawMessage
	ResultWriter                   json.RawMessage
	ItemBatcher                    json.RawMessage
	Label                          string

	// JSONata states (QueryLanguage JSONata) have these instead of the
	// JSONPath fields above: each a JSON value with {% %} expressions.
	Arguments                   *JValue // Task, Parallel: the task's or branches' input
	Output                      *JValue // every type but Fail
	JAssign                     *JValue // Assign
	WaitSeconds                 *JValue // Wait Seconds
	WaitTimestamp               *JValue // Wait Timestamp
	JTimeoutSeconds             *JValue // Task TimeoutSeconds given as an expression
	JHeartbeatSeconds           *JValue // Task HeartbeatSeconds given as an expression
	JItems                      *JValue // Map Items
	JItemSelector               *JValue // Map ItemSelector
	JMaxConcurrency             *JValue // Map MaxConcurrency given as an expression
	JToleratedFailureCount      *JValue
	JToleratedFailurePercentage *JValue
	JError                      *JValue // Fail Error
	JCause                      *JValue // Fail Cause
}

// Retrier is one entry of a Retry array.
type Retrier struct {
	ErrorEquals     []string
	IntervalSeconds int     // default 1
	MaxAttempts     int     // default 3; 0 means never retry
	BackoffRate     float64 // default 2.0
	MaxDelaySeconds int     // 0: no cap
	JitterStrategy  string  // "FULL" or "NONE" (default)
	Comment         string
}

// Catcher is one entry of a Catch array.
type Catcher struct {
	ErrorEquals    []string
	Next           string
	ResultPath     *Path // nil: "$"
	ResultPathNull bool
	Assign         *Template
	Comment        string
	// JSONata catchers: Output (default: the error output) and Assign.
	JOutput *JValue
	JAssign *JValue
}

// ChoiceRule is a Choice rule: a top-level rule has Next; nested rules (in
// And, Or, Not) do not.
type ChoiceRule struct {
	// Operator is the comparison or combinator key, e.g. "StringEquals",
	// "NumericLessThanPath", "And", "Not", "IsPresent".
	Operator string
	Variable *Path
	// Value is the literal operand (string, json.Number, bool, or a parsed
	// time for Timestamp operators); nil for ...Path operators and combinators.
	Value any
	// ValuePath is the operand path of ...Path operators.
	ValuePath *Path
	Rules     []*ChoiceRule // And, Or (several), Not (one)
	Next      string
	Assign    *Template
	Comment   string
	// JSONata rules: Condition (a boolean or an expression), and the
	// Output and Assign applied when the rule matches.
	Condition *JValue
	Output    *JValue
	JAssign   *JValue
}
