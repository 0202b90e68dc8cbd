//go:build unix

package dynalite

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts dynalite in its own process group, so stopping it
// reaches anything node started and a Ctrl-C in the terminal does not.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func terminate(cmd *exec.Cmd) error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }

func kill(cmd *exec.Cmd) error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
