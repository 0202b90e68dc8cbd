package loadtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/asyncjobs/stepjobs/internal/lambdart"
)

// coldFunctions are the functions measured, with the environment their
// mains require. No store is reached: the payload, {}, fails validation
// first (job-result answers 400 for the missing jobId). The authorizer runs
// with AUTH_DISABLED: with an issuer it fetches the JWKS during init, a
// network round trip that is not the binary's start-up.
var coldFunctions = []struct {
	name, pkg string
	env       map[string]string
}{
	{"hello (baseline)", "./internal/lambdart/testdata/hello", nil},
	{"tracking", "./cmd/tracking", map[string]string{"TABLE_NAME": "jobs"}},
	{"batch-simulation", "./cmd/batch-simulation", map[string]string{"BUCKET_NAME": "results", "TABLE_NAME": "jobs"}},
	{"status-update", "./cmd/status-update", map[string]string{"TABLE_NAME": "jobs"}},
	{"job-result", "./cmd/job-result", map[string]string{"TABLE_NAME": "jobs"}},
	{"authorizer", "./cmd/authorizer", map[string]string{"AUTH_DISABLED": "true"}},
	// {} is an SQS event without records: answered without reading the secret.
	{"notifier", "./cmd/notifier", map[string]string{"CALLBACK_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:x",
		"CALLBACK_QUEUE_URL": "http://127.0.0.1:9324/000000000000/callbacks"}},
}

// coldStart builds each function for this machine and starts it c.ColdRuns
// times under the Lambda Runtime API, interleaving the functions so that
// drift in the machine's load touches all alike; it prints the medians,
// their ratio to hello-world, and the sizes.
func coldStart(ctx context.Context, c Command, w io.Writer) error {
	tmp, err := os.MkdirTemp("", "stepjobs-coldstart-")
	if err != nil {
		return fmt.Errorf("build directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	bins := make([]string, len(coldFunctions))
	for i, f := range coldFunctions {
		bins[i] = filepath.Join(tmp, fmt.Sprint(i), "bootstrap")
		if err := lambdart.Build(ctx, c.Dir, f.pkg, bins[i]); err != nil {
			return err
		}
	}
	env := map[string]string{"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true",
		// Nothing listens there: a function that tried a store would fail fast.
		"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:9"}
	inits := make([][]time.Duration, len(coldFunctions))
	firsts := make([][]time.Duration, len(coldFunctions))
	for range c.ColdRuns {
		for i, f := range coldFunctions {
			fenv := map[string]string{}
			for k, v := range env {
				fenv[k] = v
			}
			for k, v := range f.env {
				fenv[k] = v
			}
			cs, err := lambdart.MeasureColdStart(ctx, lambdart.Config{Name: f.name, Binary: bins[i], Env: fenv,
				Timeout: 10 * time.Second}, []byte(`{}`))
			if err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
			inits[i] = append(inits[i], cs.Init)
			firsts[i] = append(firsts[i], cs.FirstInvoke)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "start-to-first-invoke, median of %d cold starts (host binaries, Lambda Runtime API on loopback; first answer: exec to the first invocation's response or error posted)\n", c.ColdRuns)
	fmt.Fprintln(tw, "function\tinit (exec to first next)\tratio\tfirst answer\tratio\thost binary\tdist zip\tarm64 bootstrap\t")
	baseInit, baseFirst := median(inits[0]), median(firsts[0])
	for i, f := range coldFunctions {
		in, fi := median(inits[i]), median(firsts[i])
		dir := filepath.Base(f.pkg)
		fmt.Fprintf(tw, "%s\t%s\t%.2fx\t%s\t%.2fx\t%s\t%s\t%s\t\n", f.name,
			in.Round(10*time.Microsecond), ratio(in, baseInit), fi.Round(10*time.Microsecond), ratio(fi, baseFirst),
			size(bins[i]), size(filepath.Join(c.Dir, "dist", dir+".zip")), size(filepath.Join(c.Dir, "dist", dir, "bootstrap")))
	}
	return tw.Flush()
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// size is a file's size in MB, or "-" when it is not there (make build
// makes dist/).
func size(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "-"
	}
	return fmt.Sprintf("%.2f MB", float64(fi.Size())/1e6)
}
