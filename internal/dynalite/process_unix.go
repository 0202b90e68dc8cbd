//go:build unix

package dynalite

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// setProcessGroup puts dynalite in its own process group, so stopping it
// reaches anything node started and a Ctrl-C in the terminal does not.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func terminate(cmd *exec.Cmd) error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }

func kill(cmd *exec.Cmd) error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }

// lockHeld reports whether another process holds LevelDB's lock on the
// data directory (an fcntl write lock on its LOCK file, as LevelDB takes
// it): a dynalite of a runtime killed a moment ago, still exiting.
func lockHeld(dir string) (bool, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close() // releases the probe's lock too
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return false, err
	}
	return lk.Type != syscall.F_UNLCK, nil
}
