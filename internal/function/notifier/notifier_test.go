package notifier_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/client"
	"github.com/asyncjobs/stepjobs/internal/callback"
	"github.com/asyncjobs/stepjobs/internal/function"
	"github.com/asyncjobs/stepjobs/internal/function/notifier"
	"github.com/asyncjobs/stepjobs/internal/secretstore"
)

const arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:CallbackSigningSecret"

func env(vars map[string]string) function.Env {
	return function.Env{Getenv: func(k string) string { return vars[k] }}
}

func TestNewRefusesBadConfiguration(t *testing.T) {
	for name, tc := range map[string]struct {
		vars map[string]string
		want string
	}{
		"no secret":       {map[string]string{}, "notifier: CALLBACK_SECRET_ARN is required"},
		"a bad duration":  {map[string]string{"CALLBACK_SECRET_ARN": arn, "CALLBACK_RETRY_BUDGET": "soon"}, `notifier: CALLBACK_RETRY_BUDGET: time: invalid duration "soon"`},
		"a bad boolean":   {map[string]string{"CALLBACK_SECRET_ARN": arn, "CALLBACK_ALLOW_LOOPBACK": "yes please"}, `notifier: CALLBACK_ALLOW_LOOPBACK: strconv.ParseBool: parsing "yes please": invalid syntax`},
		"a bad log level": {map[string]string{"CALLBACK_SECRET_ARN": arn, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := notifier.New(t.Context(), env(tc.vars), nil)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

// The function as the local runtime builds it: the secret read through
// the SDK's client from a Secrets Manager, the callback signed with it.
func TestFunctionDelivers(t *testing.T) {
	store := secretstore.New()
	secret := store.Generate(arn, "CallbackSigningSecret")
	sm := httptest.NewServer(store.Handler())
	defer sm.Close()
	got := make(chan client.Callback, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cb, err := client.VerifyCallbackRequest(r, []byte(secret), 0)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		got <- cb
	}))
	defer receiver.Close()

	smc := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(sm.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	h, err := notifier.New(t.Context(), env(map[string]string{"CALLBACK_SECRET_ARN": arn, "CALLBACK_ALLOW_LOOPBACK": "true",
		"CALLBACK_RETRY_BUDGET": "0s"}), smc)
	require.NoError(t, err)
	in := `{"callbackUrl":"` + receiver.URL + `/cb"}`
	_, err = h(t.Context(), callback.Event{Detail: callback.Detail{Name: "j", Status: "ABORTED", Input: &in}})
	require.NoError(t, err)
	assert.Equal(t, client.Callback{JobID: "j", Status: "ABORTED"}, <-got)

	// Without CALLBACK_ALLOW_LOOPBACK, as on AWS, the same receiver is refused.
	h, err = notifier.New(t.Context(), env(map[string]string{"CALLBACK_SECRET_ARN": arn}), smc)
	require.NoError(t, err)
	_, err = h(t.Context(), callback.Event{Detail: callback.Detail{Name: "j", Status: "ABORTED", Input: &in}})
	assert.ErrorIs(t, err, callback.ErrRefused)
}
