// Package asl is the Amazon States Language, JSONPath and JSONata, for the
// local Step Functions engine: the definition model, its parser and
// validator, and every pure data-flow step the engine needs (paths, payload
// templates, intrinsic functions, Choice rules, Wait, Fail, Retry/Catch
// matching; JSONata fields, compiled at Parse and evaluated through
// internal/jsonata).
// Nothing here keeps execution state or touches a clock: the engine
// (internal/sfn) owns time, history and scheduling and calls into this package.
//
// # Parsing
//
//	sm, err := asl.Parse(definition) // *StateMachine, or *DefinitionError
//
// A *DefinitionError carries AWS's diagnostics (Problems: Code such as
// SCHEMA_VALIDATION_FAILED or MISSING_TRANSITION_TARGET, Location such as
// /States/Track/Next, Message); its Error() text is AWS's InvalidDefinition
// message: "Invalid State Machine Definition: 'CODE: message at /location'".
// A JSONata state (QueryLanguage JSONata, on the machine or the state) keeps
// its fields as *JValue (Arguments, Output, JAssign, ...): JSON whose
// "{% %}" strings are compiled expressions; a syntax error is
// INVALID_JSONATA_EXPRESSION and a root-context reference
// UNSUPPORTED_JSONATA_EXPRESSION, at the field's location. The runtime
// methods below serve both languages; the engine also calls
// State.JSONataChoice and Catcher.CatchOutput. Evaluation failures are
// States.QueryEvaluationError with AWS's causes and Error.Location set.
// Paths, templates and intrinsic calls are compiled once, at Parse time.
// StateMachine.States maps names to *State; a *State has a Type and the fields
// of every state type (only those of its type are set). Parallel branches
// (State.Branches) and Map processors (State.ItemProcessor, also filled from
// the legacy Iterator) are nested *StateMachine values.
//
// # Values
//
// JSON values: objects are *jsonvalue.Object (keys in order, as AWS keeps
// them in state data), arrays []any, numbers json.Number, plus string, bool
// and nil. DecodeJSON decodes that way. A map[string]any made by Go code is
// read too, as an object with sorted keys. Objects that JSONPath payload
// templates build come out in the order of the Java HashMap AWS builds them
// in (recorded outputs show it); constant objects keep the definition's. The functions here never mutate
// their inputs; results may share unmodified sub-values with their inputs, so
// treat values as immutable.
//
// # Runtime API (called by the engine, state by state)
//
//	env := &asl.Env{Context: ctxObject /* the $$ object */, Vars: vars /* variables in scope */}
//
//	in, err := st.EffectiveInput(rawInput, env)        // InputPath, then Parameters (Task, Pass, Parallel);
//	                                                   // Map: InputPath only (see Items/ItemInput)
//	res := st.PassResult(in)                           // Pass: Result if set, else the effective input
//	sel, err := st.SelectResult(res, env)              // ResultSelector alone (what Assign sees)
//	out, err := st.EffectiveOutput(rawInput, res, env) // ResultSelector, ResultPath, OutputPath; for
//	                                                   // Choice/Wait/Succeed pass the effective input as res
//	vars, err := st.ApplyAssign(sel, env)              // Assign against the selected result (Choice, Wait:
//	                                                   // the effective input) and the OLD variables; merge
//	                                                   // the returned map into the scope after computing
//	                                                   // the output (OutputPath sees the old variables)
//	next, assign, err := st.NextState(in, env)         // Choice: matched rule's Next (or Default) and the
//	                                                   // Assign to apply (rule's, else the state's, may be
//	                                                   // nil): assign.Evaluate(in, env)
//	until, err := st.Until(in, env, now)               // Wait
//	name, cause, err := st.ErrorAndCause(raw, env)     // Fail (no InputPath on Fail)
//	secs, err := st.Timeout(in, env)                   // Task TimeoutSeconds/TimeoutSecondsPath (0: none)
//	secs, err := st.Heartbeat(in, env)                 // Task HeartbeatSeconds/HeartbeatSecondsPath
//	items, err := st.Items(in, env)                    // Map: ItemsPath on the effective input
//	item, err := st.ItemInput(in, i, items[i], env)    // Map: ItemSelector/Parameters with $$.Map.Item
//	n, err := st.Concurrency(in, env)                  // Map: MaxConcurrency/MaxConcurrencyPath (0: unlimited)
//	r := st.MatchRetrier(errName)                      // first Retrier whose ErrorEquals matches, or nil
//	ok := r.CanRetry(n); d := r.Delay(n, rnd)          // retry number n (0-based); FULL jitter uses rnd
//	c := st.MatchCatcher(errName)                      // first Catcher that matches, or nil
//	out, err := c.Output(rawInput, aslErr)             // the catcher's ResultPath with {"Error","Cause"}
//	vars, err := c.ApplyAssign(asl.ErrorOutput(aslErr), env)
//	err := asl.CheckSize(v, "The state/task 'X' returned a result") // States.DataLimitExceeded over 256 KiB
//
// Lower-level pieces are exported for the engine and tests: ParsePath and
// Path.Get (definite paths return the value, indefinite ones a []any of
// matches), ParseExpr and Expr.Eval (a path or an intrinsic call),
// CompileTemplate and Template.Evaluate, ApplyResultPath, ChoiceRule.Eval,
// ErrorMatches, DecodeJSON.
//
// Runtime failures are *Error{Name, Cause} with AWS's error names (the Err*
// constants) and AWS's cause texts, without the state prefix: the engine
// prefixes causes with StateCausePrefix(stateName, enteredEventID)
// ("An error occurred while executing the state 'X' (entered at the event id #2). ")
// where AWS does (States.Runtime raised by the service, not errors from
// Fail states or tasks).
//
// # Error matching
//
// ErrorEquals matches an exact name; States.ALL matches any error except
// States.Runtime and States.DataLimitExceeded (AWS does not let those be
// caught or retried); States.TaskFailed matches any error except
// States.Timeout (and, like States.ALL, States.Runtime and
// States.DataLimitExceeded).
//
// # Changes to this API
//
// None since the first commit, except additions: State.SelectResult,
// Retrier.CanRetry, Expr, ChoiceRule.Eval, ErrorMatches, ErrorOutput, the
// JSONata fields and methods, Env.Input, Error.Location, Field, Variables;
// and one change: objects are *jsonvalue.Object, and ErrorOutput returns one.
package asl
