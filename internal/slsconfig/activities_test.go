package slsconfig

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestActivities(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []Activity
		err       string
	}{
		{"none", "", nil, ""},
		{"names, in order", "stepFunctions:\n  activities: [review-order, ship_it]\n",
			[]Activity{{Name: "review-order", LogicalID: "ReviewDashorderStepFunctionsActivity"}, {Name: "ship_it", LogicalID: "ShipUnderscoreitStepFunctionsActivity"}}, ""},
		{"not a list", "stepFunctions:\n  activities: {a: 1}\n", nil, "stepFunctions.activities: not a list"},
		{"not a name", "stepFunctions:\n  activities: [{a: 1}]\n", nil, "stepFunctions.activities.0: not a name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc, err := Parse([]byte("service: s\n"+tc.doc), Options{Dir: ".", Env: noEnv})
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, svc.Activities)
		})
	}
}
