package apigw_test

import (
	"github.com/asyncjobs/stepjobs/internal/apigw"
	"github.com/asyncjobs/stepjobs/internal/offline"
)

// The package's tests of the project's serverless.yml convert its routes as
// the runtime does (see apigw.ConvertRoutes in project_test.go).
func init() { apigw.ConvertRoutes = offline.GatewayRoutes }
