package docs_test

// The guide test: docs/extending.md's worked example is applied to a copy of
// the repository and checked there, so the guide cannot drift from the
// code. Each code block the test reads follows a marker line:
//
//	<!-- file: PATH -->     the whole of a new file, written to PATH
//	<!-- patch -->          a unified diff (```diff), applied with git apply
//	<!-- excerpt: PATH -->  lines that must appear verbatim in PATH as it is
//	<!-- run -->            shell commands (```sh), run with bash in the copy
//
// Blocks are applied in the order of the guide; a patch whose context no
// longer matches, a new file that already exists, an excerpt that is gone
// or a failing command fails the test.

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const guideFile = "extending.md"

// guideBlock is one marked code block of the guide.
type guideBlock struct {
	kind, path, body string
	line             int // the marker's line, for messages
}

var guideMarker = regexp.MustCompile(`^<!-- (file|patch|excerpt|run)(?:: (\S+))? -->$`)

// parseGuide returns the marked blocks of doc, in order.
func parseGuide(doc string) ([]guideBlock, error) {
	lines := strings.Split(strings.ReplaceAll(doc, "\r\n", "\n"), "\n")
	var blocks []guideBlock
	for i := 0; i < len(lines); i++ {
		m := guideMarker.FindStringSubmatch(strings.TrimSpace(lines[i]))
		if m == nil {
			continue
		}
		b := guideBlock{kind: m[1], path: m[2], line: i + 1}
		if (b.kind == "file" || b.kind == "excerpt") != (b.path != "") {
			return nil, fmt.Errorf("line %d: %s: a path goes with file and excerpt only", b.line, lines[i])
		}
		if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "```") {
			return nil, fmt.Errorf("line %d: a marker must be followed by a code fence", b.line)
		}
		end := -1
		for j := i + 2; j < len(lines); j++ {
			if lines[j] == "```" {
				end = j
				break
			}
		}
		if end < 0 {
			return nil, fmt.Errorf("line %d: the code block is not closed", b.line)
		}
		b.body = strings.Join(lines[i+2:end], "\n") + "\n"
		blocks = append(blocks, b)
		i = end
	}
	return blocks, nil
}

func TestParseGuide(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    []guideBlock
		wantErr string
	}{
		{"blocks", "text\n<!-- file: a/b.go -->\n```go\npackage b\n```\n<!-- patch -->\n```diff\n-x\n+y\n```\n<!-- run -->\n```sh\ngo vet ./...\n```\n",
			[]guideBlock{{"file", "a/b.go", "package b\n", 2}, {"patch", "", "-x\n+y\n", 6}, {"run", "", "go vet ./...\n", 11}}, ""},
		{"unmarked blocks are prose", "```go\npackage a\n```\n", nil, ""},
		{"no fence", "<!-- run -->\ngo vet\n", nil, "followed by a code fence"},
		{"not closed", "<!-- run -->\n```sh\ngo vet\n", nil, "not closed"},
		{"file without a path", "<!-- file -->\n```go\n```\n", nil, "a path goes with file and excerpt only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseGuide(tc.doc)
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

// copySkip are what the copy leaves out: build output, local data, and
// node_modules, which it links instead.
var copySkip = map[string]bool{".git": true, "node_modules": true, "dist": true, "bin": true, ".serverless": true, ".data": true, ".deps": true}

// copyProject copies the project at root to dst.
func copyProject(t *testing.T, root, dst string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir() && copySkip[d.Name()]:
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	require.NoError(t, err)
	require.NoError(t, os.Symlink(filepath.Join(root, "node_modules"), filepath.Join(dst, "node_modules")))
}

// asPatch restores the lone space of empty context lines, which editors
// and markdown tools strip.
func asPatch(body string) string {
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	for i, l := range lines {
		if l == "" {
			lines[i] = " "
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestExtendingGuide(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a copy of the project")
	}
	raw, err := os.ReadFile(guideFile)
	require.NoError(t, err)
	blocks, err := parseGuide(string(raw))
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, b := range blocks {
		kinds[b.kind]++
	}
	for _, k := range []string{"file", "patch", "excerpt", "run"} {
		require.Positive(t, kinds[k], "the guide has %s blocks", k)
	}

	root, err := filepath.Abs("..")
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "node_modules", "osls"))
	require.NoError(t, err, "npm ci first (make test does)")
	dir := t.TempDir()
	copyProject(t, root, dir)

	// Excerpts quote the code as it is: checked first, as they are quick.
	for _, b := range blocks {
		if b.kind == "excerpt" {
			src, err := os.ReadFile(filepath.Join(root, b.path))
			require.NoError(t, err, "%s:%d", guideFile, b.line)
			require.Contains(t, string(src), b.body, "%s:%d: the excerpt is no longer in %s", guideFile, b.line, b.path)
		}
	}

	ctx, cancel := context.WithTimeout(t.Context(), 9*time.Minute)
	defer cancel()
	for _, b := range blocks {
		where := fmt.Sprintf("%s:%d (%s %s)", guideFile, b.line, b.kind, b.path)
		switch b.kind {
		case "file":
			target := filepath.Join(dir, b.path)
			_, err := os.Stat(target)
			require.ErrorIs(t, err, fs.ErrNotExist, "%s: %s is a new file", where, b.path)
			require.NoError(t, os.MkdirAll(filepath.Dir(target), 0o755))
			require.NoError(t, os.WriteFile(target, []byte(b.body), 0o644))
		case "patch":
			cmd := exec.CommandContext(ctx, "git", "apply", "--verbose", "-")
			cmd.Dir = dir
			cmd.Stdin = strings.NewReader(asPatch(b.body))
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s: git apply: %s", where, out)
		case "run":
			start := time.Now()
			cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", b.body)
			cmd.Dir = dir
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			require.NoError(t, cmd.Run(), "%s:\n%s\n%s", where, b.body, out.String())
			t.Logf("%s took %s", where, time.Since(start).Round(time.Second))
		}
	}
}
