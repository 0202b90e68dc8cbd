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
	var verts []*layoutNode
	index := map[string]int{}
	add := func(name string, n *layoutNode) {
		index[name] = len(verts)
		verts = append(verts, n)
	}
	edges := slices.Clone(g.Edges)
	if top {
		add(startVertex, &layoutNode{Kind: vertexStart, W: terminalW, H: terminalH})
	}
	for _, s := range g.States {
		add(s.Name, sizeState(s))
	}
	if top {
		add(endVertex, &layoutNode{Kind: vertexEnd, W: terminalW, H: terminalH})
		edges = append([]graphEdge{{From: startVertex, To: g.StartAt}}, edges...)
		for _, s := range g.States {
			if s.Terminal {
				edges = append(edges, graphEdge{From: s.Name, To: endVertex})
			}
		}
	}
	margin := nestedMargin
	if top {
		margin = scopeMargin
	}
	type seg struct{ from, to int }
	// 1. Break cycles: depth-first from the start, back edges reversed.
	back := make([]bool, len(edges))
	out := make([][]int, len(verts)) // edge indices by source
	for i, e := range edges {
		if e.From != e.To {
			out[index[e.From]] = append(out[index[e.From]], i)
		}
	}
	state := make([]int, len(verts)) // 0 new, 1 on stack, 2 done
	var dfs func(v int)
	dfs = func(v int) {
		state[v] = 1
		for _, ei := range out[v] {
			w := index[edges[ei].To]
			switch state[w] {
			case 0:
				dfs(w)
			case 1:
				back[ei] = true
			}
		}
		state[v] = 2
	}
	if top {
		dfs(index[startVertex])
	} else if i, ok := index[g.StartAt]; ok {
		dfs(i)
	}
	for v := range verts {
		if state[v] == 0 {
			dfs(v)
		}
	}
	// 2. Layers by longest path over the acyclic orientation.
	var dag []seg
	for i, e := range edges {
		a, b := index[e.From], index[e.To]
		if a == b {
			continue
		}
		if back[i] {
			a, b = b, a
		}
		dag = append(dag, seg{a, b})
	}
	indeg := make([]int, len(verts))
	succ := make([][]int, len(verts))
	for _, s := range dag {
		indeg[s.to]++
		succ[s.from] = append(succ[s.from], s.to)
	}
	var queue []int
	for v := range verts {
		if indeg[v] == 0 {
			queue = append(queue, v)
		}
	}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range succ[v] {
			verts[w].layer = max(verts[w].layer, verts[v].layer+1)
			if indeg[w]--; indeg[w] == 0 {
				queue = append(queue, w)
			}
		}
	}
	if top { // End is always the bottom row.
		last := 0
		for v, n := range verts {
			if v != index[endVertex] {
				last = max(last, n.layer)
			}
		}
		verts[index[endVertex]].layer = last + 1
	}
	// 3. Dummy vertices for segments longer than one layer.
	chains := make([][]int, len(edges)) // vertex chain, upper to lower
	for i, e := range edges {
		a, b := index[e.From], index[e.To]
		if a == b {
			continue
		}
		if back[i] {
			a, b = b, a
		}
		chain := []int{a}
		for l := verts[a].layer + 1; l < verts[b].layer; l++ {
			verts = append(verts, &layoutNode{Kind: vertexDummy, W: dummyW, layer: l})
			chain = append(chain, len(verts)-1)
		}
		chain = append(chain, b)
		// Catch and cycle edges pull less, so the main path stays straight.
		w := 1.0
		if e.Kind == edgeCatch || back[i] {
			w = 0.2
		}
		for k := 0; k+1 < len(chain); k++ {
			verts[chain[k]].down = append(verts[chain[k]].down, chain[k+1])
			verts[chain[k]].downW = append(verts[chain[k]].downW, w)
			verts[chain[k+1]].up = append(verts[chain[k+1]].up, chain[k])
			verts[chain[k+1]].upW = append(verts[chain[k+1]].upW, w)
		}
		chains[i] = chain
	}
	nLayers := 0
	for _, n := range verts {
		nLayers = max(nLayers, n.layer+1)
	}
	layers := make([][]int, nLayers)
	for v, n := range verts {
		layers[n.layer] = append(layers[n.layer], v)
	}
	// 4. Order layers by barycenter sweeps, keeping the best order seen.
	setPos := func() {
		for _, l := range layers {
			for i, v := range l {
				verts[v].pos = float64(i)
			}
		}
	}
	setPos()
	best := cloneLayers(layers)
	bestX := crossings(verts, layers)
	for iter := 0; iter < 24 && bestX > 0; iter++ {
		if iter%2 == 0 {
			for l := 1; l < nLayers; l++ {
				sortByBarycenter(verts, layers[l], func(n *layoutNode) []int { return n.up })
			}
		} else {
			for l := nLayers - 2; l >= 0; l-- {
				sortByBarycenter(verts, layers[l], func(n *layoutNode) []int { return n.down })
			}
		}
		setPos()
		if c := crossings(verts, layers); c < bestX {
			bestX, best = c, cloneLayers(layers)
		}
	}
	layers = best
	setPos()
	// 5. Horizontal placement: pack, then pull each vertex towards its
	// neighbours' centres, keeping the order and the gaps.
	for _, l := range layers {
		x := 0.0
		for i, v := range l {
			if i > 0 {
				x += gapBetween(verts[l[i-1]], verts[v])
			}
			verts[v].X = x
			x += verts[v].W
		}
	}
	// An odd count: the last pass goes top-down, aligning with Start.
	for iter := 0; iter < 9; iter++ {
		order := make([]int, nLayers)
		for i := range order {
			order[i] = i
		}
		if iter%2 == 1 {
			slices.Reverse(order)
		}
		for _, l := range order {
			placeLayer(verts, layers[l], iter)
		}
	}
	minX := math.Inf(1)
	for _, n := range verts {
		minX = min(minX, n.X)
	}
	// 6. Vertical placement: rows as tall as their tallest vertex.
	// Vertices are top-aligned, so edges enter a row above all its boxes;
	// a dummy vertex spans its row as a vertical line.
	y := margin
	rowTop := make([]float64, nLayers)
	rowH := make([]float64, nLayers)
	for l, row := range layers {
		for _, v := range row {
			rowH[l] = max(rowH[l], verts[v].H)
		}
		rowTop[l] = y
		y += rowH[l] + layerGap
	}
	sl := &scopeLayout{}
	for _, n := range verts {
		n.X += margin - minX
		n.Y = rowTop[n.layer]
		if n.Kind == vertexDummy {
			n.H = rowH[n.layer]
		}
		sl.W = max(sl.W, n.X+n.W+margin)
	}
	sl.H = y - layerGap + margin
	for _, n := range verts {
		if n.Kind != vertexDummy {
			sl.Nodes = append(sl.Nodes, n)
		}
	}
	// 7. Edge routes, spreading parallel edges between the same two states.
	type pair struct{ a, b string }
	count := map[pair]int{}
	for _, e := range edges {
		count[pair{e.From, e.To}]++
	}
	seen := map[pair]int{}
	for i, e := range edges {
		p := pair{e.From, e.To}
		k := seen[p]
		seen[p]++
		off := (float64(k) - float64(count[p]-1)/2) * 10
		le := &layoutEdge{graphEdge: e, Back: back[i]}
		src, dst := verts[index[e.From]], verts[index[e.To]]
		switch {
		case src == dst:
			right := src.X + src.W
			y0, y1 := src.Y+src.H*0.3, src.Y+src.H*0.7
			le.Points = []point{{right, y0}, {right + loopOut, y0}, {right + loopOut, y1}, {right, y1}}
			sl.W = max(sl.W, right+loopOut+margin)
		case back[i]:
			// Leave from the top, arrive at the bottom, on the right-hand side
			// so the route does not lie on the forward edge.
			chain := slices.Clone(chains[i])
			slices.Reverse(chain)
			le.Points = append(le.Points, point{src.X + src.W*0.8 + off, src.Y})
			for _, v := range chain[1 : len(chain)-1] {
				d := verts[v]
				le.Points = append(le.Points, point{d.X + d.W/2, d.Y + d.H}, point{d.X + d.W/2, d.Y})
			}
			end := point{dst.X + dst.W*0.8 + off, dst.Y + dst.H}
			if bottom := rowTop[dst.layer] + rowH[dst.layer]; dst.H < rowH[dst.layer] {
				le.Points = append(le.Points, point{end.X, bottom})
			}
			le.Points = append(le.Points, end)
		default:
			// Leave a box shorter than its row straight down to the row's
			// bottom, so the curve does not cross a taller neighbour.
			le.Points = append(le.Points, point{src.X + src.W/2 + off, src.Y + src.H})
			if bottom := rowTop[src.layer] + rowH[src.layer]; src.H < rowH[src.layer] {
				le.Points = append(le.Points, point{src.X + src.W/2 + off, bottom})
			}
			for _, v := range chains[i][1 : len(chains[i])-1] {
				d := verts[v]
				le.Points = append(le.Points, point{d.X + d.W/2, d.Y}, point{d.X + d.W/2, d.Y + d.H})
			}
			le.Points = append(le.Points, point{dst.X + dst.W/2 + off, dst.Y})
		}
		sl.Edges = append(sl.Edges, le)
	}
	return sl
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
