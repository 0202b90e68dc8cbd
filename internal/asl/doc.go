// Package asl is the Amazon States Language (JSONPath flavour) for the local
// Step Functions engine: the definition model, its parser and validator, and
// every pure data-flow step the engine needs (paths, payload templates,
// intrinsic functions, Choice rules, Wait, Fail, Retry/Catch matching).
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
// QueryLanguage JSONata is refused ("QueryLanguage JSONata is not supported yet").
// Paths, templates and intrinsic calls are compiled once, at Parse time.
// StateMachine.States maps names to *State; a *State has a Type and the fields
// of every state type (only those of its type are set). Parallel branches
// (State.Branches) and Map processors (State.ItemProcessor, also filled from
// the legacy Iterator) are nested *StateMachine values.
//
// # Values
//
// JSON values are decoded with json.Decoder.UseNumber: objects are
// map[string]any, arrays []any, numbers json.Number, plus string, bool and
// nil. Use DecodeJSON to decode that way. The functions here never mutate
// their inputs; results may share unmodified sub-values with their inputs, so
// treat values as immutable.
//
// # Runtime API (called by the engine, state by state)
//
//	env := &asl.Env{Context: ctxObject /* the $$ object */, Vars: vars /* variables in scope */}
//
//	in, err := st.EffectiveInput(rawInput, env)        // InputPath, then Parameters (Task, Pass, Parallel)
//	                                                   // Map: InputPath only; see Items/ItemInput
//	res := st.PassResult(in)                           // Pass: Result if set, else the effective input
//	out, err := st.EffectiveOutput(rawInput, res, env) // ResultSelector, ResultPath, OutputPath
//	vars, err := st.ApplyAssign(res, env)              // Assign, evaluated against the state's result
//	                                                   // (after ResultSelector) and the old variables;
//	                                                   // merge the returned map into the scope AFTER
//	                                                   // computing the output (AWS evaluates OutputPath
//	                                                   // with the old variables).
//	next, assign, err := st.NextState(in, env)         // Choice: the matched rule's Next (or Default) and
//	                                                   // the Assign to apply (rule's, else the state's);
//	                                                   // evaluate it with assign.Evaluate(in, env).
//	until, err := st.Until(in, env, now)               // Wait
//	name, cause, err := st.ErrorAndCause(in, env)      // Fail
//	secs, err := st.Timeout(in, env)                   // Task TimeoutSeconds/TimeoutSecondsPath (0: none)
//	secs, err := st.Heartbeat(in, env)                 // Task HeartbeatSeconds/HeartbeatSecondsPath
//	items, err := st.Items(in, env)                    // Map: ItemsPath on the effective input
//	item, err := st.ItemInput(in, i, items[i], env)    // Map: ItemSelector/Parameters with $$.Map.Item
//	n, err := st.Concurrency(in, env)                  // Map: MaxConcurrency/MaxConcurrencyPath (0: unlimited)
//	r := st.MatchRetrier(errName)                      // first Retrier whose ErrorEquals matches, or nil
//	d := r.Delay(attempt, rnd)                         // backoff before retry number attempt (0-based)
//	c := st.MatchCatcher(errName)                      // first Catcher that matches, or nil
//	out, err := c.Output(rawInput, &asl.Error{...}, env) // the catcher's ResultPath applied to {Error,Cause}
//	vars, err := c.ApplyAssign(errOutput, env)
//	err := asl.CheckSize(value, "state/task 'X' returned a result") // States.DataLimitExceeded at 256 KiB
//
// Runtime failures are *Error{Name, Cause} with AWS's error names (the
// ErrStates* constants) and AWS's cause texts, without the state prefix: the
// engine prefixes causes with StateCausePrefix(stateName, enteredEventID)
// ("An error occurred while executing the state 'X' (entered at the event id #2). ")
// where AWS does (States.Runtime, States.IntrinsicFailure, ...).
package asl
