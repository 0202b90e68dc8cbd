package console

import (
	"math"
	"slices"
	"unicode/utf8"
)

// The layout is a layered (Sugiyama-style) drawing, top to bottom as in the
// AWS console: break cycles, assign layers by longest path, route long edges
// through dummy vertices, order each layer by barycenters to reduce crossings,
// then place vertices near their neighbours without overlap. Parallel
// branches and Map item processors are laid out first, recursively, and
// their drawing becomes the size of the enclosing state's box.

type point struct{ X, Y float64 }

type vertexKind int

const (
	vertexState vertexKind = iota
	vertexStart
	vertexEnd
	vertexDummy
)

// Sizes in SVG user units (CSS pixels at 100 %).
const (
	stateMinW    = 150.0
	stateMaxW    = 280.0
	stateH       = 52.0
	terminalW    = 64.0
	terminalH    = 28.0
	dummyW       = 14.0
	layerGap     = 52.0
	nodeGap      = 36.0
	dummyGap     = 14.0
	scopeMargin  = 20.0
	nestedMargin = 12.0
	nestedHeader = 44.0 // two lines: the name, then "Type · status"
	branchGap    = 16.0
	loopOut      = 28.0
	charW        = 7.4 // average glyph width of the 13 px label font
	// compoundStatusW is room for "Parallel · ✓ succeeded · ×99" on a
	// compound state's second title line.
	compoundStatusW = 200.0
	maxLabelRune    = 32
)

// layoutNode is a drawn vertex: a state, the Start or End marker.
type layoutNode struct {
	Kind  vertexKind
	State *stateNode
	X, Y  float64 // top-left, relative to the scope's origin
	W, H  float64
	// Nested layouts (Parallel branches, Map processor), at NestedAt
	// relative to this node's top-left.
	Nested   []*scopeLayout
	NestedAt []point

	layer int
	pos   float64 // index in its layer during ordering
	up    []int   // neighbour vertices one layer up (segments)
	down  []int
	upW   []float64 // segment weights, parallel to up and down
	downW []float64
}

// layoutEdge is a drawn edge: a polyline from its source to its target.
type layoutEdge struct {
	graphEdge
	Points []point
	Back   bool // a cycle edge, drawn against the flow
}

// scopeLayout is a laid-out graph scope.
type scopeLayout struct {
	W, H  float64
	Nodes []*layoutNode
	Edges []*layoutEdge
}

const (
	startVertex = "\x00start"
	endVertex   = "\x00end"
)

// labelText shortens a state name for drawing (the full name is the tooltip).
func labelText(s string) string {
	if utf8.RuneCountInString(s) <= maxLabelRune {
		return s
	}
	r := []rune(s)
	return string(r[:maxLabelRune-1]) + "…"
}

// layoutGraph lays out a scope; top adds the Start and End markers.
func layoutGraph(g *graph, top bool) *scopeLayout {
	l := newLayouter(g, top)
	l.breakCycles()
	l.assignLayers()
	l.addDummies()
	l.orderLayers()
	l.placeHorizontal()
	l.placeVertical()
	l.routeEdges()
	return l.sl
}

// layouter holds one scope's layout between its phases.
type layouter struct {
	g      *graph
	top    bool
	margin float64
	verts  []*layoutNode  // states, Start and End, then dummies
	index  map[string]int // vertex by state name (or startVertex, endVertex)
	edges  []graphEdge    // the graph's edges, with Start's and End's
	back   []bool         // by edge: reversed to break a cycle
	chains [][]int        // by edge: its vertex chain, upper to lower
	layers [][]int        // vertices by layer, in drawing order
	rowTop []float64      // by layer
	rowH   []float64      // by layer
	sl     *scopeLayout
}

// newLayouter makes a vertex of each state (sized, nested graphs laid out
// first) and, at the top, the Start and End markers and their edges, so
// every later phase treats them as ordinary vertices.
func newLayouter(g *graph, top bool) *layouter {
	l := &layouter{g: g, top: top, index: map[string]int{}, margin: nestedMargin, sl: &scopeLayout{}}
	add := func(name string, n *layoutNode) {
		l.index[name] = len(l.verts)
		l.verts = append(l.verts, n)
	}
	l.edges = slices.Clone(g.Edges)
	if top {
		add(startVertex, &layoutNode{Kind: vertexStart, W: terminalW, H: terminalH})
	}
	for _, s := range g.States {
		add(s.Name, sizeState(s))
	}
	if top {
		add(endVertex, &layoutNode{Kind: vertexEnd, W: terminalW, H: terminalH})
		l.edges = append([]graphEdge{{From: startVertex, To: g.StartAt}}, l.edges...)
		for _, s := range g.States {
			if s.Terminal {
				l.edges = append(l.edges, graphEdge{From: s.Name, To: endVertex})
			}
		}
		l.margin = scopeMargin
	}
	return l
}

// breakCycles marks the back edges of a depth-first search from the start:
// layering needs an acyclic graph, and reversing those edges gives one
// whose flow follows the state machine's.
func (l *layouter) breakCycles() {
	l.back = make([]bool, len(l.edges))
	out := make([][]int, len(l.verts)) // edge indices by source
	for i, e := range l.edges {
		if e.From != e.To {
			out[l.index[e.From]] = append(out[l.index[e.From]], i)
		}
	}
	state := make([]int, len(l.verts)) // 0 new, 1 on stack, 2 done
	var dfs func(v int)
	dfs = func(v int) {
		state[v] = 1
		for _, ei := range out[v] {
			w := l.index[l.edges[ei].To]
			switch state[w] {
			case 0:
				dfs(w)
			case 1:
				l.back[ei] = true
			}
		}
		state[v] = 2
	}
	if l.top {
		dfs(l.index[startVertex])
	} else if i, ok := l.index[l.g.StartAt]; ok {
		dfs(i)
	}
	for v := range l.verts {
		if state[v] == 0 {
			dfs(v)
		}
	}
}

// span is an edge's (upper, lower) vertices in the acyclic orientation;
// ok is false for a self-loop, which takes no part in layering.
func (l *layouter) span(i int) (a, b int, ok bool) {
	e := l.edges[i]
	a, b = l.index[e.From], l.index[e.To]
	if a == b {
		return a, b, false
	}
	if l.back[i] {
		a, b = b, a
	}
	return a, b, true
}

// assignLayers puts each vertex one layer below its lowest predecessor
// (longest path), so every edge points down; End is the bottom row alone.
func (l *layouter) assignLayers() {
	indeg := make([]int, len(l.verts))
	succ := make([][]int, len(l.verts))
	for i := range l.edges {
		if a, b, ok := l.span(i); ok {
			indeg[b]++
			succ[a] = append(succ[a], b)
		}
	}
	var queue []int
	for v := range l.verts {
		if indeg[v] == 0 {
			queue = append(queue, v)
		}
	}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range succ[v] {
			l.verts[w].layer = max(l.verts[w].layer, l.verts[v].layer+1)
			if indeg[w]--; indeg[w] == 0 {
				queue = append(queue, w)
			}
		}
	}
	if l.top { // End is always the bottom row.
		last := 0
		for v, n := range l.verts {
			if v != l.index[endVertex] {
				last = max(last, n.layer)
			}
		}
		l.verts[l.index[endVertex]].layer = last + 1
	}
}

// addDummies routes each edge longer than one layer through a dummy vertex
// per layer it crosses, so ordering and placement see only one-layer
// segments and the edge bends around the states in between. It then groups
// the vertices by layer.
func (l *layouter) addDummies() {
	l.chains = make([][]int, len(l.edges))
	for i, e := range l.edges {
		a, b, ok := l.span(i)
		if !ok {
			continue
		}
		chain := []int{a}
		for y := l.verts[a].layer + 1; y < l.verts[b].layer; y++ {
			l.verts = append(l.verts, &layoutNode{Kind: vertexDummy, W: dummyW, layer: y})
			chain = append(chain, len(l.verts)-1)
		}
		chain = append(chain, b)
		// Catch and cycle edges pull less, so the main path stays straight.
		w := 1.0
		if e.Kind == edgeCatch || l.back[i] {
			w = 0.2
		}
		for k := 0; k+1 < len(chain); k++ {
			l.verts[chain[k]].down = append(l.verts[chain[k]].down, chain[k+1])
			l.verts[chain[k]].downW = append(l.verts[chain[k]].downW, w)
			l.verts[chain[k+1]].up = append(l.verts[chain[k+1]].up, chain[k])
			l.verts[chain[k+1]].upW = append(l.verts[chain[k+1]].upW, w)
		}
		l.chains[i] = chain
	}
	nLayers := 0
	for _, n := range l.verts {
		nLayers = max(nLayers, n.layer+1)
	}
	l.layers = make([][]int, nLayers)
	for v, n := range l.verts {
		l.layers[n.layer] = append(l.layers[n.layer], v)
	}
}

// setPos numbers each vertex by its index in its layer.
func (l *layouter) setPos() {
	for _, row := range l.layers {
		for i, v := range row {
			l.verts[v].pos = float64(i)
		}
	}
}

// orderLayers orders each layer by barycenter sweeps, down then up, keeping
// the order with the fewest crossings seen: crossings are what make a
// drawing hard to read.
func (l *layouter) orderLayers() {
	nLayers := len(l.layers)
	l.setPos()
	best := cloneLayers(l.layers)
	bestX := crossings(l.verts, l.layers)
	for iter := 0; iter < 24 && bestX > 0; iter++ {
		if iter%2 == 0 {
			for y := 1; y < nLayers; y++ {
				sortByBarycenter(l.verts, l.layers[y], func(n *layoutNode) []int { return n.up })
			}
		} else {
			for y := nLayers - 2; y >= 0; y-- {
				sortByBarycenter(l.verts, l.layers[y], func(n *layoutNode) []int { return n.down })
			}
		}
		l.setPos()
		if c := crossings(l.verts, l.layers); c < bestX {
			bestX, best = c, cloneLayers(l.layers)
		}
	}
	l.layers = best
	l.setPos()
}

// placeHorizontal packs each layer left to right, then pulls each vertex
// towards its neighbours' centres, keeping the order and the gaps, so edges
// run as straight as they can.
func (l *layouter) placeHorizontal() {
	for _, row := range l.layers {
		x := 0.0
		for i, v := range row {
			if i > 0 {
				x += gapBetween(l.verts[row[i-1]], l.verts[v])
			}
			l.verts[v].X = x
			x += l.verts[v].W
		}
	}
	// An odd count: the last pass goes top-down, aligning with Start.
	for iter := 0; iter < 9; iter++ {
		order := make([]int, len(l.layers))
		for i := range order {
			order[i] = i
		}
		if iter%2 == 1 {
			slices.Reverse(order)
		}
		for _, y := range order {
			placeLayer(l.verts, l.layers[y], iter)
		}
	}
}

// placeVertical makes rows as tall as their tallest vertex and shifts the
// drawing into the margin. Vertices are top-aligned, so edges enter a row
// above all its boxes; a dummy vertex spans its row as a vertical line.
func (l *layouter) placeVertical() {
	minX := math.Inf(1)
	for _, n := range l.verts {
		minX = min(minX, n.X)
	}
	nLayers := len(l.layers)
	y := l.margin
	l.rowTop = make([]float64, nLayers)
	l.rowH = make([]float64, nLayers)
	for i, row := range l.layers {
		for _, v := range row {
			l.rowH[i] = max(l.rowH[i], l.verts[v].H)
		}
		l.rowTop[i] = y
		y += l.rowH[i] + layerGap
	}
	sl := l.sl
	for _, n := range l.verts {
		n.X += l.margin - minX
		n.Y = l.rowTop[n.layer]
		if n.Kind == vertexDummy {
			n.H = l.rowH[n.layer]
		}
		sl.W = max(sl.W, n.X+n.W+l.margin)
	}
	sl.H = y - layerGap + l.margin
	for _, n := range l.verts {
		if n.Kind != vertexDummy {
			sl.Nodes = append(sl.Nodes, n)
		}
	}
}

// routeEdges draws each edge through its dummy vertices, spreading parallel
// edges between the same two states so they do not lie on one another.
func (l *layouter) routeEdges() {
	type pair struct{ a, b string }
	count := map[pair]int{}
	for _, e := range l.edges {
		count[pair{e.From, e.To}]++
	}
	seen := map[pair]int{}
	for i, e := range l.edges {
		p := pair{e.From, e.To}
		k := seen[p]
		seen[p]++
		off := (float64(k) - float64(count[p]-1)/2) * 10
		le := &layoutEdge{graphEdge: e, Back: l.back[i]}
		src, dst := l.verts[l.index[e.From]], l.verts[l.index[e.To]]
		switch {
		case src == dst:
			le.Points = l.loopRoute(src)
		case l.back[i]:
			le.Points = l.backRoute(i, src, dst, off)
		default:
			le.Points = l.forwardRoute(i, src, dst, off)
		}
		l.sl.Edges = append(l.sl.Edges, le)
	}
}

// loopRoute is a self-loop's route, out of the box's right side and back;
// the scope widens to hold it.
func (l *layouter) loopRoute(src *layoutNode) []point {
	right := src.X + src.W
	y0, y1 := src.Y+src.H*0.3, src.Y+src.H*0.7
	l.sl.W = max(l.sl.W, right+loopOut+l.margin)
	return []point{{right, y0}, {right + loopOut, y0}, {right + loopOut, y1}, {right, y1}}
}

// backRoute is a cycle edge's route: it leaves from the top and arrives at
// the bottom, on the right-hand side so it does not lie on the forward edge.
func (l *layouter) backRoute(i int, src, dst *layoutNode, off float64) []point {
	var pts []point
	chain := slices.Clone(l.chains[i])
	slices.Reverse(chain)
	pts = append(pts, point{src.X + src.W*0.8 + off, src.Y})
	for _, v := range chain[1 : len(chain)-1] {
		d := l.verts[v]
		pts = append(pts, point{d.X + d.W/2, d.Y + d.H}, point{d.X + d.W/2, d.Y})
	}
	end := point{dst.X + dst.W*0.8 + off, dst.Y + dst.H}
	if bottom := l.rowTop[dst.layer] + l.rowH[dst.layer]; dst.H < l.rowH[dst.layer] {
		pts = append(pts, point{end.X, bottom})
	}
	return append(pts, end)
}

// forwardRoute is a forward edge's route. It leaves a box shorter than its
// row straight down to the row's bottom, so the curve does not cross a
// taller neighbour.
func (l *layouter) forwardRoute(i int, src, dst *layoutNode, off float64) []point {
	var pts []point
	pts = append(pts, point{src.X + src.W/2 + off, src.Y + src.H})
	if bottom := l.rowTop[src.layer] + l.rowH[src.layer]; src.H < l.rowH[src.layer] {
		pts = append(pts, point{src.X + src.W/2 + off, bottom})
	}
	for _, v := range l.chains[i][1 : len(l.chains[i])-1] {
		d := l.verts[v]
		pts = append(pts, point{d.X + d.W/2, d.Y}, point{d.X + d.W/2, d.Y + d.H})
	}
	return append(pts, point{dst.X + dst.W/2 + off, dst.Y})
}

// sizeState sizes a state's box, laying out its nested graphs first.
func sizeState(s *stateNode) *layoutNode {
	n := &layoutNode{Kind: vertexState, State: s}
	label := float64(utf8.RuneCountInString(labelText(s.Name)))*charW + 44
	if len(s.Nested) == 0 {
		n.W = min(max(label, stateMinW), stateMaxW)
		n.H = stateH
		return n
	}
	x, h := nestedMargin, 0.0
	for i, g := range s.Nested {
		if i > 0 {
			x += branchGap
		}
		sub := layoutGraph(g, false)
		n.Nested = append(n.Nested, sub)
		n.NestedAt = append(n.NestedAt, point{x, nestedHeader})
		x += sub.W
		h = max(h, sub.H)
	}
	n.W = max(x+nestedMargin, label, compoundStatusW, stateMinW)
	// Centre the branches when the title is wider than they are.
	if extra := n.W - (x + nestedMargin); extra > 0 {
		for i := range n.NestedAt {
			n.NestedAt[i].X += extra / 2
		}
	}
	n.H = nestedHeader + h + nestedMargin
	return n
}

func gapBetween(a, b *layoutNode) float64 {
	if a.Kind == vertexDummy || b.Kind == vertexDummy {
		return dummyGap
	}
	return nodeGap
}

func cloneLayers(ls [][]int) [][]int {
	out := make([][]int, len(ls))
	for i, l := range ls {
		out[i] = slices.Clone(l)
	}
	return out
}

func sortByBarycenter(verts []*layoutNode, layer []int, nbrs func(*layoutNode) []int) {
	bc := make(map[int]float64, len(layer))
	for _, v := range layer {
		ns := nbrs(verts[v])
		if len(ns) == 0 {
			bc[v] = verts[v].pos
			continue
		}
		sum := 0.0
		for _, w := range ns {
			sum += verts[w].pos
		}
		bc[v] = sum / float64(len(ns))
	}
	slices.SortStableFunc(layer, func(a, b int) int {
		switch {
		case bc[a] < bc[b]:
			return -1
		case bc[a] > bc[b]:
			return 1
		}
		return 0
	})
	for i, v := range layer { // the next layer of the sweep reads these
		verts[v].pos = float64(i)
	}
}

// crossings counts edge crossings between adjacent layers.
func crossings(verts []*layoutNode, layers [][]int) int {
	total := 0
	for _, l := range layers {
		type s struct{ a, b float64 }
		var segs []s
		for _, v := range l {
			for _, w := range verts[v].down {
				segs = append(segs, s{verts[v].pos, verts[w].pos})
			}
		}
		for i := range segs {
			for j := i + 1; j < len(segs); j++ {
				if (segs[i].a-segs[j].a)*(segs[i].b-segs[j].b) < 0 {
					total++
				}
			}
		}
	}
	return total
}

// placeLayer moves a layer's vertices towards the weighted mean centre of
// their neighbours (above on even passes, below on odd ones, the other side
// when one is empty). Vertices are placed by priority (the priority method):
// states before dummy vertices, better connected ones first; each takes its
// wanted position as far as the vertices already placed allow, leaving room
// for the ones in between, so the order and the gaps always hold and a long
// Catch edge never pushes the main path sideways.
func placeLayer(verts []*layoutNode, layer []int, iter int) {
	if len(layer) == 0 {
		return
	}
	want := make([]float64, len(layer))
	prio := make([]float64, len(layer))
	for i, v := range layer {
		n := verts[v]
		ns, ws := n.up, n.upW
		if iter%2 == 1 || len(ns) == 0 {
			ns, ws = n.down, n.downW
		}
		if len(ns) == 0 {
			ns, ws = n.up, n.upW
		}
		for _, w := range n.upW {
			prio[i] += w
		}
		for _, w := range n.downW {
			prio[i] += w
		}
		if n.Kind != vertexDummy {
			prio[i] += 100
		}
		if len(ns) == 0 {
			want[i] = n.X
			continue
		}
		sum, total := 0.0, 0.0
		for k, w := range ns {
			sum += (verts[w].X + verts[w].W/2) * ws[k]
			total += ws[k]
		}
		want[i] = sum/total - n.W/2
	}
	// span(a, b) is the distance from the left of layer[a] to the left of layer[b], a < b.
	span := func(a, b int) float64 {
		d := 0.0
		for k := a; k < b; k++ {
			d += verts[layer[k]].W + gapBetween(verts[layer[k]], verts[layer[k+1]])
		}
		return d
	}
	idx := make([]int, len(layer))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case prio[a] > prio[b]:
			return -1
		case prio[a] < prio[b]:
			return 1
		}
		return 0
	})
	placed := make([]bool, len(layer))
	x := make([]float64, len(layer))
	for _, i := range idx {
		lo, hi := math.Inf(-1), math.Inf(1)
		for j := i - 1; j >= 0; j-- {
			if placed[j] {
				lo = x[j] + span(j, i)
				break
			}
		}
		for j := i + 1; j < len(layer); j++ {
			if placed[j] {
				hi = x[j] - span(i, j)
				break
			}
		}
		x[i] = min(max(want[i], lo), hi)
		placed[i] = true
	}
	for i, v := range layer {
		verts[v].X = x[i]
	}
}
