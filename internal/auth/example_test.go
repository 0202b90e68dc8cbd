package auth_test

import (
	"fmt"

	"github.com/asyncjobs/stepjobs/internal/auth"
)

// The owner prefix a caller's job names start with.
func ExampleOwnerPrefix() {
	fmt.Println(auth.OwnerPrefix([]byte("secret"), "https://issuer.example.com", "user-1"))
	// Output: 2d4f144195b4dd95
}

// The resource an Allow or Deny covers: every route of the stage, so a
// cached answer is right for the next route the token calls.
func ExampleStageResource() {
	r, err := auth.StageResource("arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/POST/start-execution")
	fmt.Println(r, err)
	// Output: arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*/* <nil>
}
