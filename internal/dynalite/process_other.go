//go:build !unix

package dynalite

import (
	"os"
	"os/exec"
)

// Without process groups, only dynalite's own process is stopped.
func setProcessGroup(*exec.Cmd) {}

func terminate(cmd *exec.Cmd) error { return cmd.Process.Signal(os.Interrupt) }

func kill(cmd *exec.Cmd) error { return cmd.Process.Kill() }

// lockHeld cannot tell without fcntl: a held lock shows as dynalite
// failing its first request.
func lockHeld(string) (bool, error) { return false, nil }
