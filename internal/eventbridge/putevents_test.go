package eventbridge

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/slsconfig"
)

// PutEvents answers per entry as EventBridge does, and delivers each valid
// event on the default bus to the rules whose pattern matches it.
func TestPutEvents(t *testing.T) {
	inv := &countingInvoker{}
	rules := []slsconfig.EventRule{{Function: "f", Pattern: map[string]any{"source": []any{"app.orders"}}}}
	e := testRules(rules, inv)
	entries := []Entry{
		{Source: "app.orders", DetailType: "OrderPlaced", Detail: `{"id":"o1"}`, Resources: []string{"arn:r"}},
		{Source: "app.other", DetailType: "Ignored", Detail: `{}`},
		{DetailType: "NoSource", Detail: `{}`},
		{Source: "app.orders", Detail: `{}`},
		{Source: "app.orders", DetailType: "NoDetail"},
		{Source: "app.orders", DetailType: "Bad", Detail: `[1]`},
		{Source: "app.orders", DetailType: "OtherBus", Detail: `{}`, EventBusName: "orders"},
		{Source: "app.orders", DetailType: "DefaultBusARN", Detail: `{"id":"o2"}`, EventBusName: "arn:aws:events:us-east-1:000000000000:event-bus/default"},
	}
	got, failed := e.PutEvents(entries)
	require.Len(t, got, len(entries))
	assert.Equal(t, 4, failed)
	for _, i := range []int{0, 1, 6, 7} {
		assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, got[i].EventID, "entry %d", i)
		assert.Empty(t, got[i].ErrorCode, "entry %d", i)
	}
	assert.Equal(t, EntryResult{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter Source is not valid. Reason: Source is a required argument."}, got[2])
	assert.Equal(t, EntryResult{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter DetailType is not valid. Reason: DetailType is a required argument."}, got[3])
	assert.Equal(t, EntryResult{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter Detail is not valid. Reason: Detail is a required argument."}, got[4])
	assert.Equal(t, EntryResult{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed."}, got[5])

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	require.NoError(t, e.Wait(ctx))
	e.Stop(t.Context())
	require.Len(t, inv.calls, 2, "the matching events on the default bus, once each")
	ids := map[string]string{}
	for _, c := range inv.calls {
		var ev map[string]any
		require.NoError(t, json.Unmarshal([]byte(c), &ev))
		assert.Equal(t, "app.orders", ev["source"])
		assert.Equal(t, "000000000000", ev["account"])
		assert.Equal(t, "us-east-1", ev["region"])
		assert.Equal(t, "0", ev["version"])
		ids[ev["id"].(string)] = ev["detail-type"].(string)
		if ev["detail-type"] == "OrderPlaced" {
			assert.Equal(t, map[string]any{"id": "o1"}, ev["detail"])
			assert.Equal(t, []any{"arn:r"}, ev["resources"])
		}
	}
	assert.Equal(t, map[string]string{got[0].EventID: "OrderPlaced", got[7].EventID: "DefaultBusARN"}, ids)
}
