package dynalite_test

import (
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/dynalite"
)

// A client that gives up on a request (a task timeout, a runtime stopping)
// closes its connection mid-request. dynalite rethrows that socket error and
// Node exits, taking every table with it; the process must survive it.
func TestClientAbortKeepsDynaliteUp(t *testing.T) {
	s, err := dynalite.Start(t.Context(), dynalite.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Stop() })
	client := s.Client()
	require.NoError(t, dynalite.CreateJobsTable(t.Context(), client, "jobs"))

	for _, abort := range []struct {
		name  string
		close func(*net.TCPConn) error
	}{
		{"reset", func(c *net.TCPConn) error { _ = c.SetLinger(0); return c.Close() }},
		{"close", func(c *net.TCPConn) error { return c.Close() }},
	} {
		t.Run(abort.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(s.Endpoint(), "http://"))
			require.NoError(t, err)
			// Half a request: the body is shorter than its Content-Length.
			_, err = conn.Write([]byte("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-amz-json-1.0\r\n" +
				"X-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 100\r\n\r\n{"))
			require.NoError(t, err)
			require.NoError(t, abort.close(conn.(*net.TCPConn)))

			out, err := client.ListTables(t.Context(), nil)
			require.NoError(t, err, "dynalite answers after a client aborted a request")
			assert.Equal(t, []string{"jobs"}, out.TableNames)
			select {
			case <-s.Exited():
				t.Fatal("dynalite exited")
			default:
			}
		})
	}
}
