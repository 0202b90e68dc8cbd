package asl

// NextState evaluates a Choice state's rules against its effective input. It
// returns the Next of the first matching rule (or Default) and the Assign to
// evaluate (the rule's, else the state's; nil if none). With no match and no
// Default it fails with States.NoChoiceMatched.
func (s *State) NextState(input any, env *Env) (string, *Template, error) {
	for _, r := range s.Choices {
		ok, err := r.Eval(input, env)
		if err != nil {
			return "", nil, err
		}
		if ok {
			if r.Assign != nil {
				return r.Next, r.Assign, nil
			}
			return r.Next, s.Assign, nil
		}
	}
	if s.Default != "" {
		return s.Default, s.Assign, nil
	}
	return "", nil, newError(ErrNoChoiceMatched, "No Matches!")
}

// Eval evaluates one rule (recursively for And, Or, Not).
func (r *ChoiceRule) Eval(input any, env *Env) (bool, error) {
	return false, newError(ErrRuntime, "choice rules not implemented yet")
}
