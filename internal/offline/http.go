package offline

import (
	"bytes"
	"context"
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

// stepFunctionsIntegration is the API Gateway integration: the rendered
// request goes to the Step Functions API handler in-process, exactly as
// API Gateway posts it to states.<region>.amazonaws.com.
type stepFunctionsIntegration struct {
	h      http.Handler
	region string
}

func (i stepFunctionsIntegration) Call(ctx context.Context, action string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://states."+i.region+".amazonaws.com/", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+action)
	rec := &recorder{header: http.Header{}}
	i.h.ServeHTTP(rec, req)
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.status, rec.body.Bytes(), nil
}

// recorder is a minimal in-memory http.ResponseWriter.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
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
