package console

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// Drawings larger than this are not scaled down to fit the page.
const (
	largeGraphW = 720.0
	largeGraphH = 900.0
)

// svgView is what the graph drawing needs besides the layout: the states'
// run statuses (nil for a definition without an execution) and the link of
// each state (nil: states are not links).
type svgView struct {
	Runs     map[string]*stateRun
	Selected string
	Href     func(state string) string
}

// renderSVG draws a laid-out definition as inline SVG. States are <a>
// elements, so they take keyboard focus and Enter follows them without
// script; the console's script turns that into showing the state's panel.
func renderSVG(sl *scopeLayout, v svgView) template.HTML {
	var b strings.Builder
	// Small drawings shrink to fit their column; large ones keep their
	// natural size (readable text) and the column scrolls.
	cls := "graph-svg"
	if sl.W > largeGraphW || sl.H > largeGraphH {
		cls += " graph-large"
	}
	fmt.Fprintf(&b, `<svg class="%s" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="group" aria-label="State machine graph">`,
		cls, sl.W, sl.H, sl.W, sl.H)
	b.WriteString(`<defs>` +
		`<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="arrowhead"/></marker>` +
		`<marker id="arrow-taken" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="arrowhead taken"/></marker>` +
		`</defs>`)
	writeScope(&b, sl, v)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text written above is escaped
}

func writeScope(b *strings.Builder, sl *scopeLayout, v svgView) {
	b.WriteString(`<g class="edges">`)
	for _, e := range sl.Edges {
		writeEdge(b, e, v)
	}
	b.WriteString(`</g><g class="nodes">`)
	for _, n := range sl.Nodes {
		writeNode(b, n, v)
	}
	b.WriteString(`</g>`)
}

func esc(s string) string { return html.EscapeString(s) }

// edgeTaken guesses whether an execution went along an edge: the target was
// entered and the source left that way (a Catch edge only when the source's
// error was caught). A state reached by two edges may light both.
func edgeTaken(e *layoutEdge, runs map[string]*stateRun) bool {
	if runs == nil {
		return false
	}
	from, to := runs[e.From], runs[e.To]
	switch {
	case e.From == startVertex:
		return to != nil && to.Entered > 0
	case e.To == endVertex:
		return from != nil && (from.Status == statusFailed && from.isFail || from.Exited > from.Caught)
	case from == nil || to == nil || to.Entered == 0:
		return false
	case e.Kind == edgeCatch:
		return from.Caught > 0
	default:
		return from.Exited > from.Caught
	}
}

func writeEdge(b *strings.Builder, e *layoutEdge, v svgView) {
	if len(e.Points) < 2 {
		return
	}
	cls := "edge"
	if e.Kind == edgeCatch {
		cls += " edge-catch"
	}
	marker := "arrow"
	if edgeTaken(e, v.Runs) {
		cls += " taken"
		marker = "arrow-taken"
	}
	var d strings.Builder
	p := e.Points
	fmt.Fprintf(&d, "M%.1f,%.1f", p[0].X, p[0].Y)
	if e.From == e.To {
		for _, q := range p[1:] {
			fmt.Fprintf(&d, " L%.1f,%.1f", q.X, q.Y)
		}
	} else {
		for i := 1; i < len(p); i++ {
			a, c := p[i-1], p[i]
			if a.X == c.X {
				fmt.Fprintf(&d, " L%.1f,%.1f", c.X, c.Y)
				continue
			}
			my := (a.Y + c.Y) / 2
			fmt.Fprintf(&d, " C%.1f,%.1f %.1f,%.1f %.1f,%.1f", a.X, my, c.X, my, c.X, c.Y)
		}
	}
	fmt.Fprintf(b, `<path class="%s" d="%s" marker-end="url(#%s)" data-from="%s" data-to="%s">`,
		cls, d.String(), marker, esc(e.From), esc(e.To))
	if e.Title != "" {
		fmt.Fprintf(b, `<title>%s</title>`, esc(e.Title))
	}
	b.WriteString(`</path>`)
	if e.Label != "" {
		a, c := p[0], p[1]
		if a.X == c.X && len(p) > 2 {
			a, c = p[1], p[2]
		}
		x, y := a.X+(c.X-a.X)*0.45, a.Y+(c.Y-a.Y)*0.45
		fmt.Fprintf(b, `<text class="edge-label" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x+4, y+4, esc(e.Label))
	}
}

func writeNode(b *strings.Builder, n *layoutNode, v svgView) {
	switch n.Kind {
	case vertexStart, vertexEnd:
		label := "Start"
		if n.Kind == vertexEnd {
			label = "End"
		}
		fmt.Fprintf(b, `<g class="terminal"><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="%.1f"/><text x="%.1f" y="%.1f" text-anchor="middle">%s</text></g>`,
			n.X, n.Y, n.W, n.H, n.H/2, n.X+n.W/2, n.Y+n.H/2+4, label)
		return
	case vertexDummy:
		return
	}
	s := n.State
	st := statusNotReached
	var run *stateRun
	if v.Runs != nil {
		if run = v.Runs[s.Name]; run != nil {
			st = run.Status
		}
	}
	cls := "state st-" + string(st)
	if v.Runs == nil {
		cls = "state st-definition"
	}
	if len(n.Nested) > 0 {
		cls += " compound"
	}
	if s.Name == v.Selected {
		cls += " selected"
	}
	lbl := statusLabels[st]
	sub := s.Type
	aria := s.Name + ", " + s.Type + " state"
	if v.Runs != nil {
		sub = lbl.Icon + " " + lbl.Text
		if run != nil && run.Retries > 0 {
			sub += fmt.Sprintf(" · %d %s", run.Retries, plural(run.Retries, "retry", "retries"))
		}
		if run != nil && run.Entered > 1 {
			sub += fmt.Sprintf(" · ×%d", run.Entered)
		}
		aria += ": " + strings.TrimSpace(strings.TrimPrefix(sub, lbl.Icon))
	}
	if v.Href != nil {
		fmt.Fprintf(b, `<a class="%s" href="%s" data-state="%s" aria-label="%s"`, cls, esc(v.Href(s.Name)), esc(s.Name), esc(aria))
		if s.Name == v.Selected {
			b.WriteString(` aria-current="true"`)
		}
		b.WriteString(`>`)
	} else {
		fmt.Fprintf(b, `<g class="%s" data-state="%s" tabindex="0" role="img" aria-label="%s">`, cls, esc(s.Name), esc(aria))
	}
	title := s.Name + " (" + s.Type + ")"
	if s.Comment != "" {
		title += "\n" + s.Comment
	}
	fmt.Fprintf(b, `<title>%s</title>`, esc(title))
	fmt.Fprintf(b, `<rect class="box" x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="6"/>`, n.X, n.Y, n.W, n.H)
	if len(n.Nested) == 0 {
		fmt.Fprintf(b, `<text class="name" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, n.X+n.W/2, n.Y+21, esc(labelText(s.Name)))
		fmt.Fprintf(b, `<text class="sub" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, n.X+n.W/2, n.Y+39, esc(sub))
	} else {
		fmt.Fprintf(b, `<text class="name" x="%.1f" y="%.1f">%s</text>`, n.X+10, n.Y+18, esc(labelText(s.Name)))
		fmt.Fprintf(b, `<text class="sub" x="%.1f" y="%.1f">%s</text>`, n.X+10, n.Y+34, esc(compoundSub(s.Type, sub, v.Runs != nil)))
	}
	if v.Href != nil {
		b.WriteString(`</a>`)
	} else {
		b.WriteString(`</g>`)
	}
	// Nested scopes come after the state's link: links must not nest.
	for i, sub := range n.Nested {
		at := n.NestedAt[i]
		fmt.Fprintf(b, `<g class="nested" transform="translate(%.1f,%.1f)">`, n.X+at.X, n.Y+at.Y)
		fmt.Fprintf(b, `<rect class="branch" x="0" y="0" width="%.1f" height="%.1f" rx="4"/>`, sub.W, sub.H)
		writeScope(b, sub, v)
		b.WriteString(`</g>`)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func compoundSub(typ, sub string, run bool) string {
	if !run {
		return typ
	}
	return typ + " · " + sub
}
