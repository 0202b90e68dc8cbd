package offline

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
)

// profileRates are the block and mutex profiles' sampling while profiling
// is on: every blocking event of 10 µs or more, one mutex contention in 10.
const (
	blockProfileNanos    = 10_000
	mutexProfileFraction = 10
)

// startProfile serves Go's profiles on Config.Profile, when set, for
// finding where the runtime's time goes under `make load`:
//
//	go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=20
//	curl -o trace.out 'http://127.0.0.1:6060/debug/pprof/trace?seconds=5'
//
// They get a listener of their own so that nothing else exposes them.
func (s *Server) startProfile() error {
	if s.cfg.Profile == "" {
		return nil
	}
	ln, err := net.Listen("tcp", s.cfg.Profile)
	if err != nil {
		return fmt.Errorf("offline: profile address: %w", err)
	}
	runtime.SetBlockProfileRate(blockProfileNanos)
	runtime.SetMutexProfileFraction(mutexProfileFraction)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	s.urls.Profile = "http://" + ln.Addr().String() + "/debug/pprof/"
	s.servers = append(s.servers, s.serve(ln, "profile", mux))
	return nil
}
