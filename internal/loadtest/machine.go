package loadtest

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// Machine says what a run ran on, so that figures from different runs
// (and machines) can be compared: load average at the start, CPUs, Go.
type Machine struct {
	LoadAvg string // the 1, 5 and 15 minute load averages; "unknown" off Linux
	CPUs    int
	Go      string
	OSArch  string
}

// ThisMachine reads the machine's load average (/proc/loadavg) and CPUs.
func ThisMachine() Machine {
	m := Machine{LoadAvg: "unknown", CPUs: runtime.NumCPU(), Go: runtime.Version(), OSArch: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return m
}

// Print writes the report's machine line.
func (m Machine) Print(w io.Writer) {
	fmt.Fprintf(w, "machine            load average %s, %d CPUs, %s, %s\n", m.LoadAvg, m.CPUs, m.Go, m.OSArch)
}
