package dynalite

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lifelineChild is set in the environment of the process this test kills.
const lifelineChild = "DYNALITE_LIFELINE_CHILD"

// TestLifelineChild is not a test on its own: run by TestKilledParentStopsDynalite
// as the parent that dies, it starts dynalite, prints its endpoint and waits.
func TestLifelineChild(t *testing.T) {
	if os.Getenv(lifelineChild) == "" {
		t.Skip("helper process of TestKilledParentStopsDynalite")
	}
	s, err := Start(context.Background(), Options{})
	require.NoError(t, err)
	fmt.Println("endpoint", s.Endpoint())
	select {} // until killed
}

// A runtime killed with SIGKILL cannot stop dynalite; dynalite must stop by
// itself, or it keeps the port and the LevelDB lock and the restart fails.
func TestKilledParentStopsDynalite(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestLifelineChild$", "-test.v")
	cmd.Env = append(os.Environ(), lifelineChild+"=1")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	var addr string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "endpoint http://"); ok {
			addr = rest
			break
		}
	}
	require.NotEmpty(t, addr, "the child printed dynalite's endpoint")
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err, "dynalite listens while its parent lives")
	_ = conn.Close()

	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	// Bounded poll, not a timing assertion: dynalite exits once it reads EOF.
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		_ = conn.Close()
		if time.Now().After(deadline) {
			assert.Fail(t, "dynalite still listens after its parent was killed", addr)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
