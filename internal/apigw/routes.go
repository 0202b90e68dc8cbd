package apigw

import (
	"net/url"
	"strings"
	"time"

	"github.com/asyncjobs/stepjobs/internal/reqschema"
)

// segKind orders how specific a path segment is: API Gateway prefers a
// literal part over a {param}, and a {param} over a greedy {proxy+}.
type segKind int

const (
	segLiteral segKind = iota
	segParam
	segGreedy
)

type segment struct {
	kind segKind
	text string // literal text, or the parameter name
}

// resource is one resource path with its methods.
type resource struct {
	path     string // "/jobs/{id}"
	segments []segment
	methods  map[string]*route // by upper-case method; "ANY" matches all
}

func parsePath(p string) []segment {
	var segs []segment
	for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
		if part == "" {
			continue
		}
		switch {
		case strings.HasPrefix(part, "{") && strings.HasSuffix(part, "+}"):
			segs = append(segs, segment{kind: segGreedy, text: part[1 : len(part)-2]})
		case strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}"):
			segs = append(segs, segment{kind: segParam, text: part[1 : len(part)-1]})
		default:
			segs = append(segs, segment{kind: segLiteral, text: part})
		}
	}
	return segs
}

// splitRequestPath splits an escaped URL path into decoded segments, so an
// encoded slash stays inside its segment. Slashes at either end are
// ignored; a repeated slash inside the path leaves an empty segment, which
// no literal or parameter matches and a greedy parameter keeps. That is
// what AWS was recorded doing (LocalStack's
// test_lambda_aws_proxy_integration, validated on AWS 2024-08-02):
// "/stage/x/" and "/stage/x" are one resource, "/stage/a//b" gives
// {proxy+} "a//b"; dropEmptyLead does the rest ("/stage//x" is "/stage/x").
// "." and ".." are segments like any other: nothing resolves them.
func splitRequestPath(escaped string) ([]string, bool) {
	escaped = strings.Trim(escaped, "/")
	if escaped == "" {
		return nil, true
	}
	parts := strings.Split(escaped, "/")
	out := make([]string, 0, len(parts))
	for _, part := range parts {
		dec, err := url.PathUnescape(part)
		if err != nil {
			return nil, false
		}
		out = append(out, dec)
	}
	return out, true
}

// dropEmptyLead drops the empty segments a path starts with: API Gateway
// routes "/stage//x" as "/stage/x" (see splitRequestPath).
func dropEmptyLead(segs []string) []string {
	for len(segs) > 0 && segs[0] == "" {
		segs = segs[1:]
	}
	return segs
}

// params returns the path parameters of request segments that match r.
func (r *resource) params(req []string) map[string]string {
	params := map[string]string{}
	for i, seg := range r.segments {
		switch seg.kind {
		case segGreedy:
			params[seg.text] = strings.Join(req[i:], "/")
			return params
		case segParam:
			params[seg.text] = req[i]
		}
	}
	return params
}

// matches reports whether the request segments match, without building
// the parameters: a request is tried against every resource.
func (r *resource) matches(req []string) bool {
	for i, seg := range r.segments {
		if i >= len(req) {
			return false
		}
		switch seg.kind {
		case segGreedy:
			return true
		case segLiteral:
			if seg.text != req[i] {
				return false
			}
		case segParam:
			if req[i] == "" { // "/jobs//result": no value
				return false
			}
		}
	}
	return len(req) == len(r.segments)
}

// moreSpecific reports whether a should win over b when both match.
func moreSpecific(a, b *resource) bool {
	for i := 0; i < len(a.segments) && i < len(b.segments); i++ {
		if a.segments[i].kind != b.segments[i].kind {
			return a.segments[i].kind < b.segments[i].kind
		}
	}
	return len(a.segments) > len(b.segments)
}

// findResource returns the most specific resource matching the path.
func findResource(resources []*resource, req []string) (*resource, map[string]string) {
	var best *resource
	for _, r := range resources {
		if !r.matches(req) {
			continue
		}
		if best == nil || moreSpecific(r, best) {
			best = r
		}
	}
	if best == nil {
		return nil, nil
	}
	return best, best.params(req)
}

func buildResources(routes []*route) []*resource {
	byPath := map[string]*resource{}
	var out []*resource
	for _, rt := range routes {
		res := byPath[rt.cfg.Path]
		if res == nil {
			res = &resource{path: rt.cfg.Path, segments: parsePath(rt.cfg.Path), methods: map[string]*route{}}
			byPath[rt.cfg.Path] = res
			out = append(out, res)
		}
		res.methods[rt.cfg.Method] = rt
	}
	return out
}

// route is a Route with its templates and schemas parsed.
type route struct {
	cfg              Route
	schemas          map[string]*reqschema.Schema // by content type
	requestTemplates map[string]Template
	responses        []*integrationResponse
	// byStatus is selectResponse of every status below 600, chosen once
	// rather than by regular expressions on every request.
	byStatus [600]*integrationResponse
}

// response is the integration response for an integration's status.
func (r *route) response(status int) *integrationResponse {
	if status >= 0 && status < len(r.byStatus) {
		return r.byStatus[status]
	}
	return selectResponse(r.responses, status)
}

// timeout is the integration's deadline.
func (r *route) timeout() time.Duration {
	if r.cfg.Timeout <= 0 {
		return DefaultTimeout
	}
	return r.cfg.Timeout
}

func (r *resource) method(m string) *route {
	if rt, ok := r.methods[m]; ok {
		return rt
	}
	return r.methods["ANY"]
}
