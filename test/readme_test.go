package test

// The README walkthrough test: the shell commands of the README's
// walkthrough run with bash against a local runtime, so the README cannot
// drift from what `make run` serves.
//
// The block is the fenced ```sh block on the line right after the marker
// line `<!-- walkthrough -->`. Its commands use http://localhost:8080 (the
// API), :8083 (Step Functions), :8084 (S3) and :8000 (DynamoDB), which the
// test rewrites to its runtime's addresses. A command continues on the next
// line after a trailing backslash; lines starting with # are comments;
// later commands may use shell variables set by earlier ones. Each command
// must exit 0 (pipefail on), and the last describe-execution command must
// print SUCCEEDED.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// walkthroughMarker is the line right before the walkthrough's code fence.
const walkthroughMarker = "<!-- walkthrough -->"

var errNoWalkthrough = errors.New("no walkthrough block")

// extractWalkthrough returns the commands of the walkthrough block of a
// markdown document, continuation lines joined.
func extractWalkthrough(doc string) ([]string, error) {
	lines := strings.Split(strings.ReplaceAll(doc, "\r\n", "\n"), "\n")
	start := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == walkthroughMarker {
			if i+1 >= len(lines) || !regexp.MustCompile("^```(sh|bash|shell)\\s*$").MatchString(strings.TrimSpace(lines[i+1])) {
				return nil, fmt.Errorf("line %d: %s must be followed by a ```sh fence", i+1, walkthroughMarker)
			}
			start = i + 2
			break
		}
	}
	if start < 0 {
		return nil, errNoWalkthrough
	}
	var cmds []string
	var cur strings.Builder
	for i := start; i < len(lines); i++ {
		l := lines[i]
		if strings.TrimSpace(l) == "```" {
			if cur.Len() > 0 {
				return nil, fmt.Errorf("line %d: the block ends inside a command: %s", i+1, cur.String())
			}
			return cmds, nil
		}
		if cur.Len() == 0 && (strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "#")) {
			continue
		}
		cur.WriteString(l)
		// A command ends where bash finds it complete: after a line without
		// a trailing backslash, outside quotes, loops and other compounds.
		if strings.HasSuffix(strings.TrimRight(l, " \t"), `\`) || !completeCommand(cur.String()) {
			cur.WriteString("\n")
			continue
		}
		cmds = append(cmds, cur.String())
		cur.Reset()
	}
	return nil, errors.New("the walkthrough block is not closed")
}

// completeCommand reports whether bash parses src as complete commands.
func completeCommand(src string) bool {
	return exec.Command("bash", "--noprofile", "--norc", "-n", "-c", src).Run() == nil
}

func TestExtractWalkthrough(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    []string
		wantErr string
	}{
		{name: "commands and continuations",
			doc:  "intro\n" + walkthroughMarker + "\n```sh\n# comment\nA=$(echo 1 \\\n  | cat)\n\necho \"$A\"\n```\nafter\n```sh\nnot this\n```\n",
			want: []string{"A=$(echo 1 \\\n  | cat)", `echo "$A"`}},
		{name: "compound commands and quotes",
			doc:  walkthroughMarker + "\n```sh\nwhile :; do\n  X=$(echo RUNNING)\n  [ \"$X\" != RUNNING ] && break\n  break\ndone\necho 'a\nb'\n```",
			want: []string{"while :; do\n  X=$(echo RUNNING)\n  [ \"$X\" != RUNNING ] && break\n  break\ndone", "echo 'a\nb'"}},
		{name: "bash fence", doc: walkthroughMarker + "\n```bash\ntrue\n```", want: []string{"true"}},
		{name: "no marker", doc: "```sh\ntrue\n```", wantErr: errNoWalkthrough.Error()},
		{name: "marker without fence", doc: walkthroughMarker + "\n\n```sh\ntrue\n```", wantErr: "must be followed by a ```sh fence"},
		{name: "unclosed", doc: walkthroughMarker + "\n```sh\ntrue\n", wantErr: "not closed"},
		{name: "dangling continuation", doc: walkthroughMarker + "\n```sh\necho \\\n```", wantErr: "ends inside a command"},
		{name: "unclosed loop", doc: walkthroughMarker + "\n```sh\nwhile :; do\n```", wantErr: "ends inside a command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := extractWalkthrough(tc.doc)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestReadmeWalkthrough runs the fixture's walkthrough and the README's.
func TestReadmeWalkthrough(t *testing.T) {
	for _, doc := range []struct{ name, path string }{
		{"fixture", "testdata/walkthrough.md"},
		{"README", "../README.md"},
	} {
		t.Run(doc.name, func(t *testing.T) {
			raw, err := os.ReadFile(doc.path)
			require.NoError(t, err)
			cmds, err := extractWalkthrough(string(raw))
			require.NoError(t, err, "%s has a %s line before a ```sh block", doc.path, walkthroughMarker)
			require.NotEmpty(t, cmds)
			runWalkthrough(t, shared(t), cmds)
		})
	}
}

// runWalkthrough runs cmds in one bash, so variables carry over, and checks
// that each exits 0 and the last describe-execution says SUCCEEDED.
func runWalkthrough(t *testing.T, rt *localRuntime, cmds []string) {
	u := rt.srv.URLs()
	hostPort := func(url string) string { return strings.TrimPrefix(url, "http://") }
	rewrite := strings.NewReplacer(
		"localhost:8080", hostPort(u.API), "127.0.0.1:8080", hostPort(u.API),
		"localhost:8083", hostPort(u.StepFunctions), "127.0.0.1:8083", hostPort(u.StepFunctions),
		"localhost:8084", hostPort(u.S3), "127.0.0.1:8084", hostPort(u.S3),
		"localhost:8000", hostPort(u.DynamoDB), "127.0.0.1:8000", hostPort(u.DynamoDB),
	)
	var script strings.Builder
	script.WriteString("set -o pipefail\n")
	for i, c := range cmds {
		for _, tool := range []string{"jq", "curl", "aws", "python3"} {
			if regexp.MustCompile(`(^|[|(;&\s])` + tool + `\s`).MatchString(c) {
				_, err := exec.LookPath(tool)
				require.NoError(t, err, "the walkthrough needs %s (.ci/run should install it)", tool)
			}
		}
		if strings.HasPrefix(strings.TrimSpace(c), "make ") {
			t.Fatalf("command %d runs make: the walkthrough block must only hold commands run against `make run`: %s", i+1, c)
		}
		fmt.Fprintf(&script, "echo '@@@ %d'\n%s\n__rc=$?; if [ $__rc -ne 0 ]; then echo \"@@@ failed %d $__rc\"; exit 1; fi\n", i, rewrite.Replace(c), i)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-c", script.String())
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + cmd.Dir, "LANG=C.UTF-8",
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_DEFAULT_REGION=us-east-1", "AWS_REGION=us-east-1",
		"AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	outputs := map[int]string{}
	cur := -1
	sc := bufio.NewScanner(bytes.NewReader(stdout.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "@@@ failed "); ok {
			f := strings.Fields(rest)
			i, _ := strconv.Atoi(f[0])
			require.FailNowf(t, "walkthrough command failed", "command %d exited %s:\n%s\noutput:\n%s\nstderr:\n%s", i+1, f[1], cmds[i], outputs[i], stderr.String())
		}
		if rest, ok := strings.CutPrefix(line, "@@@ "); ok {
			cur, _ = strconv.Atoi(rest)
			continue
		}
		outputs[cur] += line + "\n"
	}
	require.NoError(t, runErr, "stderr:\n%s\nstdout:\n%s", stderr.String(), stdout.String())

	last := -1
	for i, c := range cmds {
		if strings.Contains(c, "describe-execution") {
			last = i
		}
	}
	require.GreaterOrEqual(t, last, 0, "the walkthrough describes no execution")
	// What the last describe printed, directly or through later commands
	// (e.g. JOB=$(curl ... describe-execution ...) then echo "$JOB").
	var after strings.Builder
	for i := last; i < len(cmds); i++ {
		after.WriteString(outputs[i])
	}
	assert.Regexp(t, `"status": ?"SUCCEEDED"`, after.String(), "the last describe-execution (%q) says SUCCEEDED", cmds[last])
	t.Logf("walkthrough output:\n%s", stdout.String())
}

// FuzzExtractWalkthrough: any document gives commands or an error, never a
// panic, and every command is non-empty.
func FuzzExtractWalkthrough(f *testing.F) {
	f.Add(walkthroughMarker + "\n```sh\necho a \\\n  b\nwhile :; do break; done\n```\n")
	f.Add(walkthroughMarker + "\n```sh\necho 'unclosed\n```\n")
	f.Add("no marker")
	f.Add(walkthroughMarker)
	f.Fuzz(func(t *testing.T, doc string) {
		if len(doc) > 2000 {
			return // each line runs bash -n: keep inputs small
		}
		cmds, err := extractWalkthrough(doc)
		if err != nil {
			return
		}
		for _, c := range cmds {
			if strings.TrimSpace(c) == "" {
				t.Fatalf("empty command from %q", doc)
			}
		}
	})
}
