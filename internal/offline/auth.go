package offline

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/asyncjobs/stepjobs/internal/apigw"
	"github.com/asyncjobs/stepjobs/internal/auth"
	"github.com/asyncjobs/stepjobs/internal/offline/devissuer"
	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// Local authorization: the routes' TOKEN authorizer is the service's own
// authorizer function (cmd/authorizer's handler, or its bootstrap in
// process mode), configured with a dev issuer whose key is made at start:
// ISSUER is the API's base URL, AUDIENCE is DevAudience, and the API port
// serves the public key set at auth.JWKSPath, where the authorizer fetches
// it as it fetches a real issuer's. The issuer's name (DevIssuer) does not
// name the port, so the owner prefixes of the dev callers, and thus who
// owns the jobs kept with --data, survive a restart on another port; the
// key does not: tokens minted before a restart are refused after it. The
// local API Gateway invokes the authorizer function through the
// functionInvokers and applies API Gateway's rules to its answer
// (apigw.Evaluate).

// DevAudience is the audience of the dev issuer's tokens.
const DevAudience = "stepjobs-local"

// DevIssuer is the iss of the dev issuer's tokens.
const DevIssuer = "stepjobs-local-dev"

// DevTokenPath serves a fresh dev token on the API port: GET
// /__dev/token[?sub=<subject>&ttl=<Go duration>] answers the token as text.
const DevTokenPath = "/__dev/token"

// DefaultDevSubject is the subject of a dev token when none is asked for.
const DefaultDevSubject = "dev-user"

// DefaultDevTokenTTL is how long a dev token is valid unless asked otherwise.
const DefaultDevTokenTTL = 12 * time.Hour

// maxDevTokenTTL bounds ?ttl=.
const maxDevTokenTTL = 30 * 24 * time.Hour

// functionInvokers are the functions' invokers by key, without task faults,
// as the routes' authorizers, the Lambda proxy routes and the EventBridge
// rules' targets call them, with the dev issuer the authorizers trust.
type functionInvokers struct {
	disabled bool
	issuer   *devissuer.Issuer
	apiURL   string
	// authorizers are the function keys routes use as authorizers.
	authorizers map[string]bool

	mu       sync.RWMutex
	invokers map[string]sfn.Invoker // by function key, without task faults
}

// startAuth makes the dev issuer for the API at addr and serves its key
// set on the API port already while the rest starts (the authorizer
// fetches it when it starts).
func (s *Server) startAuth(addr string) error {
	keys, err := s.svc.AuthorizerFunctions()
	if err != nil {
		return fmt.Errorf("offline: authorizers: %w", err)
	}
	w := &functionInvokers{disabled: s.cfg.AuthDisabled, apiURL: "http://" + addr,
		authorizers: map[string]bool{}, invokers: map[string]sfn.Invoker{}}
	for _, k := range keys {
		w.authorizers[k] = true
	}
	if w.issuer, err = devissuer.New(DevIssuer, DevAudience); err != nil {
		return fmt.Errorf("offline: %w", err)
	}
	s.invokers = w
	mux := http.NewServeMux()
	mux.Handle(auth.JWKSPath, w.issuer)
	mux.HandleFunc("/", s.notReady)
	s.api.set(mux)
	if w.disabled {
		s.log.Warn("authorization disabled (--auth=false): every request is allowed as " + auth.AnonymousPrincipal)
	}
	return nil
}

// authEnv points an authorizer function at the dev issuer (or turns it
// off), over what serverless.yml says, which needs the deploying shell's
// STEPJOBS_ISSUER.
func (s *Server) authEnv(key string, env map[string]string) {
	w := s.invokers
	if w == nil || !w.authorizers[key] {
		return
	}
	env["ISSUER"] = DevIssuer
	env["AUDIENCE"] = DevAudience
	env["JWKS_URL"] = w.apiURL + auth.JWKSPath
	env["TOKEN_USE"] = ""
	env["AUTH_DISABLED"] = fmt.Sprint(w.disabled)
}

// keep records a function's invoker for the gateway and the event rules.
func (s *Server) keep(key string, inv sfn.Invoker) {
	if s.invokers == nil {
		return
	}
	s.invokers.mu.Lock()
	s.invokers.invokers[key] = inv
	s.invokers.mu.Unlock()
}

func (w *functionInvokers) invoker(key string) (sfn.Invoker, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	inv, ok := w.invokers[key]
	return inv, ok
}

// connectGateway gives the local API Gateway the functions (the routes'
// authorizers and the Lambda proxy functions), and serves the key set and the dev token endpoint.
func (s *Server) connectGateway(cfg *apigw.Config, mux *http.ServeMux) error {
	w := s.invokers
	cfg.Region = s.svc.Region
	cfg.Lambda = w
	mux.Handle(auth.JWKSPath, w.issuer)
	mux.HandleFunc(DevTokenPath, s.serveDevToken)
	return nil
}

// Invoke implements apigw.LambdaInvoker.
func (w *functionInvokers) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	inv, ok := w.invoker(function)
	if !ok {
		return nil, fmt.Errorf("no function %q", function)
	}
	return inv.Invoke(ctx, payload)
}

// DevToken mints a token of the dev issuer for subject, valid for ttl,
// with extra claims (which may override the standard ones: tests make
// expired or foreign tokens with it).
func (s *Server) DevToken(subject string, ttl time.Duration, extra map[string]any) (string, error) {
	if s.invokers == nil {
		return "", errors.New("offline: not started")
	}
	return s.invokers.issuer.Mint(subject, ttl, extra)
}

// AuthDisabled reports whether the runtime lets every request through.
func (s *Server) AuthDisabled() bool { return s.invokers != nil && s.invokers.disabled }

// serveDevToken answers a dev token as text (so that
// TOKEN=$(curl -s localhost:8080/__dev/token) works).
func (s *Server) serveDevToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	sub := strings.TrimSpace(r.URL.Query().Get("sub"))
	if sub == "" {
		sub = DefaultDevSubject
	}
	ttl := DefaultDevTokenTTL
	if v := r.URL.Query().Get("ttl"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > maxDevTokenTTL {
			http.Error(w, "ttl: want a Go duration between 1s and 720h, e.g. 1h", http.StatusBadRequest)
			return
		}
		ttl = d
	}
	tok, err := s.DevToken(sub, ttl, nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = fmt.Fprintln(w, tok)
}

var _ apigw.LambdaInvoker = (*functionInvokers)(nil)
