package offline

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With Config.Profile, the runtime serves Go's profiles on a listener of
// its own, block and mutex profiles included; without it, nothing.
func TestProfile(t *testing.T) {
	srv := startServer(t, Config{Dir: "../..", Logger: slog.New(slog.DiscardHandler), Profile: "127.0.0.1:0"})
	u := srv.URLs().Profile
	require.True(t, strings.HasPrefix(u, "http://127.0.0.1:"), u)
	for _, path := range []string{"", "block?debug=1", "mutex?debug=1", "goroutine?debug=1"} {
		resp, err := http.Get(u + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, body)
	}
	resp, err := http.Get(srv.URLs().API + "/debug/pprof/")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.NotEqual(t, http.StatusOK, resp.StatusCode, "the API does not expose the profiles")
}
