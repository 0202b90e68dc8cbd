package apigw

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAuthorizerIdentityHeader(t *testing.T) {
	tests := []struct{ source, want string }{
		{"method.request.header.Authorization", "Authorization"},
		{"method.request.header.X-Token", "X-Token"},
		{"method.request.querystring.token", ""},
		{"", ""},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, (&Authorizer{IdentitySource: tc.source}).identityHeader(), tc.source)
	}
}
