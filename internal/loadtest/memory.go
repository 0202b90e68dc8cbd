package loadtest

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Memory is a process's resident memory as /proc/<pid>/status reports it.
type Memory struct {
	// RSS is VmRSS, the resident set now; Peak is VmHWM, its high-water mark.
	RSS, Peak int64 // bytes
}

// ReadMemory reads /proc/<pid>/status (Linux only).
func ReadMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, fmt.Errorf("read memory of %d: %w", pid, err)
	}
	m, err := ParseStatus(b)
	if err != nil {
		return Memory{}, fmt.Errorf("read memory of %d: %w", pid, err)
	}
	return m, nil
}

// ParseStatus reads VmRSS and VmHWM ("VmHWM:   123456 kB") from the text of
// /proc/<pid>/status.
func ParseStatus(status []byte) (Memory, error) {
	var m Memory
	var seen int
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) != 2 || fields[1] != "kB" {
			return Memory{}, fmt.Errorf("%s: want \"<n> kB\", got %q", key, strings.TrimSpace(val))
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || n < 0 {
			return Memory{}, fmt.Errorf("%s: %q is not a size", key, fields[0])
		}
		if key == "VmRSS" {
			m.RSS = n * 1024
		} else {
			m.Peak = n * 1024
		}
		seen++
	}
	if seen != 2 {
		return Memory{}, fmt.Errorf("no VmRSS and VmHWM lines (a kernel thread, or not Linux)")
	}
	return m, nil
}

// Children lists the direct children of pid (e.g. the runtime's dynalite):
// from /proc/<pid>/task/*/children where the kernel has it (each thread
// lists the children it forked, and a Go program forks from any thread),
// else by the parent field of every /proc/<n>/stat.
func Children(pid int) []int {
	if tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid)); err == nil && len(tasks) > 0 {
		var out []int
		for _, t := range tasks {
			b, err := os.ReadFile(t)
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				if n, err := strconv.Atoi(f); err == nil {
					out = append(out, n)
				}
			}
		}
		return out
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n))
		if err != nil {
			continue
		}
		if ppid, ok := ParentPID(b); ok && ppid == pid {
			out = append(out, n)
		}
	}
	return out
}

// ParentPID reads the parent pid from the text of /proc/<n>/stat
// ("pid (comm) state ppid ..."; comm may hold spaces and parentheses).
func ParentPID(stat []byte) (int, bool) {
	fields := statFields(stat)
	if len(fields) < 2 {
		return 0, false
	}
	n, err := strconv.Atoi(fields[1])
	if err != nil || n < 0 {
		return 0, false // out of range (Atoi then gives the bound) or not a PID
	}
	return n, true
}

// userHZ is the unit of /proc's CPU times: USER_HZ, which Linux fixes at
// 100 for user space on every architecture Go runs on.
const userHZ = 100

// ParseCPU reads the CPU time (user and system, fields utime and stime)
// from the text of /proc/<n>/stat.
func ParseCPU(stat []byte) (time.Duration, bool) {
	fields := statFields(stat)
	if len(fields) < 13 {
		return 0, false
	}
	var ticks int64
	for _, f := range fields[11:13] { // utime, stime
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n < 0 || n > math.MaxInt64/int64(time.Second)/2 {
			return 0, false
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, true
}

// ReadCPU reads the CPU time pid has spent (Linux only).
func ReadCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time of %d: %w", pid, err)
	}
	d, ok := ParseCPU(b)
	if !ok {
		return 0, fmt.Errorf("read CPU time of %d: no utime and stime in %q", pid, b)
	}
	return d, nil
}

// statFields are the fields of /proc/<n>/stat after "pid (comm)", from
// state on; nil when there is no comm.
func statFields(stat []byte) []string {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(stat[i+1:]))
}

// MB formats bytes as megabytes (10^6), as the 500 MB budget is written.
func MB(b int64) string { return strconv.FormatFloat(float64(b)/1e6, 'f', 1, 64) + " MB" }
