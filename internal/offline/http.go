package offline

import (
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// switchHandler is an http.Handler that can be replaced while serving.
type switchHandler struct{ h atomic.Pointer[http.Handler] }

func (s *switchHandler) set(h http.Handler) { s.h.Store(&h) }

func (s *switchHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.h.Load()).ServeHTTP(w, r)
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// logRequests logs one line per request at level.
func logRequests(log *slog.Logger, server string, level slog.Level, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		attrs := []any{"server", server, "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"latency", time.Since(start)}
		if t := r.Header.Get("X-Amz-Target"); t != "" {
			attrs = append(attrs, "target", t)
		}
		log.Log(r.Context(), level, "request", attrs...)
	})
}
