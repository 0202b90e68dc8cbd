package console

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files and recorded histories under testdata/")

const conformanceDir = "../../../shared/conformance/sfn/cases"

// conformanceCases reads the recorded AWS executions, or skips.
func conformanceCases(t *testing.T) []map[string]any {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(conformanceDir, "*.jsonl"))
	if len(files) == 0 {
		t.Skipf("conformance corpus absent (%s): skipping the recorded-history cases", conformanceDir)
	}
	var cases []map[string]any
	for _, f := range files {
		fh, err := os.Open(f)
		require.NoError(t, err)
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var c map[string]any
			require.NoError(t, json.Unmarshal(sc.Bytes(), &c), f)
			if c["kind"] == nil && c["definition"] != nil {
				cases = append(cases, c)
			}
		}
		require.NoError(t, sc.Err())
		fh.Close()
	}
	return cases
}

func readGraph(t *testing.T, path string) *graph {
	t.Helper()
	def, err := os.ReadFile(path)
	require.NoError(t, err)
	g, err := parseGraph(string(def))
	require.NoError(t, err)
	return g
}

type box struct{ x0, y0, x1, y1 float64 }

func (b box) overlaps(o box) bool { return b.x0 < o.x1 && o.x0 < b.x1 && b.y0 < o.y1 && o.y0 < b.y1 }
func (b box) contains(o box) bool {
	return o.x0 >= b.x0-0.01 && o.y0 >= b.y0-0.01 && o.x1 <= b.x1+0.01 && o.y1 <= b.y1+0.01
}
func nodeBox(n *layoutNode) box { return box{n.X, n.Y, n.X + n.W, n.Y + n.H} }

func nodeName(n *layoutNode) string {
	switch n.Kind {
	case vertexStart:
		return startVertex
	case vertexEnd:
		return endVertex
	}
	return n.State.Name
}

// onBoundary tells whether p lies on the border of b.
func onBoundary(p point, b box) bool {
	const eps = 0.01
	inX := p.X >= b.x0-eps && p.X <= b.x1+eps
	inY := p.Y >= b.y0-eps && p.Y <= b.y1+eps
	return inX && inY && (abs(p.X-b.x0) < eps || abs(p.X-b.x1) < eps || abs(p.Y-b.y0) < eps || abs(p.Y-b.y1) < eps)
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// checkLayout asserts the structural properties of a laid-out scope and,
// recursively, of its nested scopes: no overlapping boxes, everything inside
// the scope, nested scopes inside their state's box, every definition edge
// drawn once from its source's border to its target's border, and forward
// edges never going up.
func checkLayout(t *testing.T, where string, g *graph, sl *scopeLayout, top bool) {
	t.Helper()
	byName := map[string]*layoutNode{}
	scope := box{0, 0, sl.W, sl.H}
	for i, a := range sl.Nodes {
		byName[nodeName(a)] = a
		assert.True(t, scope.contains(nodeBox(a)), "%s: %s inside its scope", where, nodeName(a))
		for _, b := range sl.Nodes[i+1:] {
			assert.False(t, nodeBox(a).overlaps(nodeBox(b)), "%s: %s and %s overlap", where, nodeName(a), nodeName(b))
		}
		for k, sub := range a.Nested {
			at := a.NestedAt[k]
			inner := box{a.X + at.X, a.Y + at.Y, a.X + at.X + sub.W, a.Y + at.Y + sub.H}
			assert.True(t, nodeBox(a).contains(inner), "%s: nested scope %d inside %s", where, k, a.State.Name)
			for k2 := k + 1; k2 < len(a.Nested); k2++ {
				at2 := a.NestedAt[k2]
				other := box{a.X + at2.X, a.Y + at2.Y, a.X + at2.X + a.Nested[k2].W, a.Y + at2.Y + a.Nested[k2].H}
				assert.False(t, inner.overlaps(other), "%s: branches %d and %d of %s overlap", where, k, k2, a.State.Name)
			}
			checkLayout(t, where+"/"+a.State.Name, a.State.Nested[k], sub, false)
		}
	}
	assert.Len(t, sl.Nodes, len(g.States)+map[bool]int{true: 2, false: 0}[top], where)
	want := map[string]int{}
	for _, e := range g.Edges {
		want[e.From+"→"+e.To]++
	}
	got := map[string]int{}
	for _, e := range sl.Edges {
		if e.From == startVertex || e.To == endVertex {
			continue
		}
		got[e.From+"→"+e.To]++
		src, dst := byName[e.From], byName[e.To]
		require.NotNil(t, src, "%s: edge source %q drawn", where, e.From)
		require.NotNil(t, dst, "%s: edge target %q drawn", where, e.To)
		require.GreaterOrEqual(t, len(e.Points), 2)
		assert.True(t, onBoundary(e.Points[0], nodeBox(src)), "%s: %s→%s starts on %s", where, e.From, e.To, e.From)
		assert.True(t, onBoundary(e.Points[len(e.Points)-1], nodeBox(dst)), "%s: %s→%s ends on %s", where, e.From, e.To, e.To)
		if !e.Back && e.From != e.To {
			for k := 1; k < len(e.Points); k++ {
				assert.GreaterOrEqual(t, e.Points[k].Y, e.Points[k-1].Y, "%s: forward edge %s→%s goes down", where, e.From, e.To)
			}
		}
	}
	assert.Equal(t, want, got, "%s: every definition edge drawn once", where)
	if top {
		start, end := byName[startVertex], byName[endVertex]
		for _, n := range sl.Nodes {
			if n != start {
				assert.Less(t, start.Y, n.Y, "%s: Start above %s", where, nodeName(n))
			}
			if n != end {
				assert.Greater(t, end.Y, n.Y, "%s: End below %s", where, nodeName(n))
			}
		}
	}
}

func TestLayoutProjectMachine(t *testing.T) {
	g := readGraph(t, "../../statemachine/jobs.asl.json")
	sl := layoutGraph(g, true)
	checkLayout(t, "jobs", g, sl, true)

	byName := map[string]*layoutNode{}
	for _, n := range sl.Nodes {
		byName[nodeName(n)] = n
	}
	// The happy path is one straight column: Catch edges must not push it aside.
	mid := func(n string) float64 { return byName[n].X + byName[n].W/2 }
	for _, n := range []string{"Track", "Simulate", "RecordSuccess", "Done"} {
		assert.InDelta(t, mid(startVertex), mid(n), 0.5, "%s in the Start column", n)
	}
	rank := func(n string) float64 { return byName[n].Y }
	assert.Less(t, rank("Track"), rank("Simulate"))
	assert.Less(t, rank("Simulate"), rank("RecordSuccess"))
	assert.Less(t, rank("RecordSuccess"), rank("RecordFailure"), "RecordFailure below every state that catches into it")
	assert.Less(t, rank("RecordFailure"), rank("JobFailed"))

	catches := 0
	for _, e := range sl.Edges {
		if e.Kind == edgeCatch {
			catches++
			assert.Equal(t, "catch", e.Label)
			assert.Equal(t, "Catch States.ALL", e.Title)
		}
	}
	assert.Equal(t, 4, catches, "Track, Simulate, RecordSuccess and RecordFailure each catch")

	svg := string(renderSVG(sl, svgView{}))
	assert.Equal(t, 4, strings.Count(svg, `class="edge edge-catch"`), "catch edges drawn dashed")
	golden := filepath.Join("testdata", "jobs.svg")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(svg+"\n"), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, strings.TrimSpace(string(want)), svg, "layout changed: look at the drawing, then go test -update")
}

func TestLayoutLargerMachine(t *testing.T) {
	g := readGraph(t, "testdata/orders.asl.json")
	sl := layoutGraph(g, true)
	checkLayout(t, "orders", g, sl, true)
	byName := map[string]*layoutNode{}
	for _, n := range sl.Nodes {
		byName[nodeName(n)] = n
	}
	ship := byName["Ship"]
	require.Len(t, ship.Nested, 2, "one nested scope per Parallel branch")
	assert.Less(t, ship.NestedAt[0].X, ship.NestedAt[1].X, "branches side by side, in order")
	require.Len(t, byName["Bundle items"].Nested, 1, "the Map's item processor is nested")
	// The Choice's four targets share the row below it.
	for _, n := range []string{"Fulfil digital", "Ship", "Bundle items", "Reject"} {
		assert.Equal(t, byName["Route"].Y+byName["Route"].H+layerGap, byName[n].Y, n)
	}
	// The Wait loop in the first branch is one back edge.
	back := 0
	for _, e := range ship.Nested[0].Edges {
		if e.Back {
			back++
			assert.Equal(t, "Wait for stock→Reserve stock", e.From+"→"+e.To)
		}
	}
	assert.Equal(t, 1, back)
	assert.Equal(t, 0, crossingsOf(t, sl), "no crossings between the top-level rows")
}

// crossingsOf counts crossings of straight segments between consecutive
// route points of different edges (an upper bound of what is drawn).
func crossingsOf(t *testing.T, sl *scopeLayout) int {
	t.Helper()
	n := 0
	for i, a := range sl.Edges {
		for _, b := range sl.Edges[i+1:] {
			if a.From == b.From || a.To == b.To || a.From == b.To || a.To == b.From {
				continue
			}
			for k := 1; k < len(a.Points); k++ {
				for m := 1; m < len(b.Points); m++ {
					if segmentsCross(a.Points[k-1], a.Points[k], b.Points[m-1], b.Points[m]) {
						n++
					}
				}
			}
		}
	}
	return n
}

func segmentsCross(p1, p2, p3, p4 point) bool {
	d := func(a, b, c point) float64 { return (b.X-a.X)*(c.Y-a.Y) - (b.Y-a.Y)*(c.X-a.X) }
	d1, d2, d3, d4 := d(p3, p4, p1), d(p3, p4, p2), d(p1, p2, p3), d(p1, p2, p4)
	return d1*d2 < 0 && d3*d4 < 0
}

func TestLayoutConformanceDefinitions(t *testing.T) {
	cases := conformanceCases(t)
	drawn := 0
	for _, c := range cases {
		def, err := json.Marshal(c["definition"])
		require.NoError(t, err)
		g, err := parseGraph(string(def))
		if err != nil {
			continue // a few validation-only shapes
		}
		checkLayout(t, fmt.Sprint(c["id"]), g, layoutGraph(g, true), true)
		drawn++
	}
	assert.Greater(t, drawn, 300, "most recorded definitions drawn")
	t.Logf("%d recorded definitions laid out", drawn)
}

func TestParseGraphErrors(t *testing.T) {
	for name, def := range map[string]string{
		"not json":  `{`,
		"no states": `{"StartAt":"A","States":{}}`,
		"no start":  `{"States":{"A":{"Type":"Pass","End":true}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseGraph(def)
			assert.Error(t, err)
		})
	}
	deep := `{"Type":"Pass","End":true}`
	for range maxNesting + 2 {
		deep = `{"Type":"Parallel","End":true,"Branches":[{"StartAt":"A","States":{"A":` + deep + `}}]}`
	}
	_, err := parseGraph(`{"StartAt":"A","States":{"A":` + deep + `}}`)
	assert.ErrorContains(t, err, "nested deeper")
}

func TestLabelText(t *testing.T) {
	assert.Equal(t, "Track", labelText("Track"))
	long := strings.Repeat("x", 50)
	assert.Equal(t, maxLabelRune, len([]rune(labelText(long))))
	assert.True(t, strings.HasSuffix(labelText(long), "…"))
}

func FuzzParseGraph(f *testing.F) {
	for _, p := range []string{"../../statemachine/jobs.asl.json", "testdata/orders.asl.json"} {
		b, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(string(b))
	}
	f.Add(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A"}}}`)
	f.Add(`{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Next":"B"},{"Next":"B"}],"Default":"A"},"B":{"Type":"Succeed"}}}`)
	f.Fuzz(func(t *testing.T, def string) {
		g, err := parseGraph(def)
		if err != nil {
			return
		}
		sl := layoutGraph(g, true)
		for i, a := range sl.Nodes {
			for _, b := range sl.Nodes[i+1:] {
				if nodeBox(a).overlaps(nodeBox(b)) {
					t.Fatalf("%s and %s overlap", nodeName(a), nodeName(b))
				}
			}
		}
		_ = renderSVG(sl, svgView{})
	})
}
