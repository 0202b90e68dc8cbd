package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// API is the part of the Step Functions API the console uses, with the
// aws-sdk-go-v2 signatures: an *sfn.Client pointed at the local engine
// (BaseEndpoint) or at a real AWS account satisfies it.
type API interface {
	ListStateMachines(ctx context.Context, in *sfn.ListStateMachinesInput, optFns ...func(*sfn.Options)) (*sfn.ListStateMachinesOutput, error)
	DescribeStateMachine(ctx context.Context, in *sfn.DescribeStateMachineInput, optFns ...func(*sfn.Options)) (*sfn.DescribeStateMachineOutput, error)
	ListExecutions(ctx context.Context, in *sfn.ListExecutionsInput, optFns ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error)
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, optFns ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	GetExecutionHistory(ctx context.Context, in *sfn.GetExecutionHistoryInput, optFns ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error)
	// TestState runs one state of a definition in isolation: the "Test
	// this state" page.
	TestState(ctx context.Context, in *sfn.TestStateInput, optFns ...func(*sfn.Options)) (*sfn.TestStateOutput, error)
}

var _ API = (*sfn.Client)(nil)

// JobRecords reads a job's record (DynamoDB GetItem): an *dynamodb.Client
// satisfies it.
type JobRecords interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

var _ JobRecords = (*dynamodb.Client)(nil)

// Config configures the console. Only StepFunctions is required.
type Config struct {
	// StepFunctions is where state machines, executions and histories come from.
	StepFunctions API
	// Jobs and JobsTable, when both set, show the job's record on the
	// execution page: the item whose JobKey (default "jobId") is the
	// execution name.
	Jobs      JobRecords
	JobsTable string
	JobKey    string
	// ResultURL, when set, links a job's result object (the bucket and key
	// found in the execution output or the job record) to this URL.
	ResultURL func(bucket, key string) string
	// PollInterval is how often open pages refresh; default 2 s.
	PollInterval time.Duration
	// Now gives the time running durations are measured to; default time.Now.
	Now func() time.Time
	// Logger logs API errors; default slog.Default().
	Logger *slog.Logger
}

//go:embed assets
var assets embed.FS

// Handler serves the console. Mount it on a path ending in a slash
// (e.g. "/console/"): its pages link to each other relatively.
type Handler struct {
	cfg    Config
	pages  map[string]*template.Template
	static http.Handler
}

// New returns the console's handler.
func New(cfg Config) *Handler {
	if cfg.JobKey == "" {
		cfg.JobKey = "jobId"
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Handler{cfg: cfg, pages: map[string]*template.Template{}}
	base := template.Must(template.New("").Funcs(funcs).ParseFS(assets, "assets/base.html"))
	for _, p := range []string{"index", "machine", "execution", "test-state", "error"} {
		h.pages[p] = template.Must(template.Must(base.Clone()).ParseFS(assets, "assets/"+p+".html"))
	}
	static, err := fs.Sub(assets, "assets/static")
	if err != nil {
		panic(fmt.Sprintf("console assets: %v", err)) // the embed pattern above guarantees the directory
	}
	h.static = http.FileServerFS(static)
	return h
}

// ServeHTTP routes by the last path element, so the console works under any
// mount path.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	page := p[strings.LastIndex(p, "/")+1:]
	// Only the test page takes a form; every other page is read-only.
	if r.Method != http.MethodGet && r.Method != http.MethodHead && (r.Method != http.MethodPost || page != "test-state") {
		w.Header().Set("Allow", "GET, HEAD")
		if page == "test-state" {
			w.Header().Set("Allow", "GET, HEAD, POST")
		}
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if i := strings.LastIndex(p, "/static/"); i >= 0 {
		w.Header().Set("Cache-Control", "no-cache")
		http.StripPrefix(p[:i+len("/static")], h.static).ServeHTTP(w, r)
		return
	}
	switch page {
	case "":
		h.index(w, r)
	case "state-machine":
		h.machine(w, r)
	case "execution":
		h.execution(w, r)
	case "test-state":
		h.testState(w, r)
	default:
		h.fail(w, r, &pageError{Status: http.StatusNotFound, Msg: "no such page"})
	}
}

// pageError is an error shown as a page, with its HTTP status.
type pageError struct {
	Status int
	Msg    string
	Err    error
}

func (e *pageError) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *pageError) Unwrap() error { return e.Err }

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page, tmpl string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// The console loads nothing from elsewhere; say so to the browser.
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'")
	w.WriteHeader(status)
	if err := h.pages[page].ExecuteTemplate(w, tmpl, data); err != nil {
		h.cfg.Logger.ErrorContext(r.Context(), "console: render", "page", page, "err", err)
	}
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	pe := &pageError{}
	if !errors.As(err, &pe) {
		pe = &pageError{Status: http.StatusBadGateway, Msg: "Step Functions API", Err: err}
	}
	if pe.Status >= 500 {
		h.cfg.Logger.ErrorContext(r.Context(), "console", "path", r.URL.Path, "err", err)
	}
	h.render(w, r, pe.Status, "error", "page", map[string]any{"Title": http.StatusText(pe.Status), "Error": pe.Error(), "Status": pe.Status})
}
