package asl

import "fmt"

type intrinsicCall struct {
	name string
	args []intrinsicArg
}

type intrinsicArg struct {
	literal any
	path    *Path
	call    *intrinsicCall
}

func parseIntrinsic(text string) (*intrinsicCall, error) {
	return nil, fmt.Errorf("intrinsic functions are not implemented yet: %s", text)
}

func (c *intrinsicCall) eval(input any, env *Env) (any, error) {
	return nil, newError(ErrIntrinsicFailure, "not implemented")
}
