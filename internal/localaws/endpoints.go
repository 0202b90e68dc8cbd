package localaws

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"sync"

	smithyendpoints "github.com/aws/smithy-go/endpoints"
)

// maxCachedEndpoints bounds an endpointCache: a client of a local store
// resolves a handful of endpoints (one a bucket or table), so more means a
// parameter varies per request, and resolving each afresh is then better
// than growing without end.
const maxCachedEndpoints = 256

// endpointCache remembers the endpoints a client resolved. The SDK runs its
// endpoint rules on every request (S3's twice: for the endpoint and for
// the auth scheme), yet the result is a function of the parameters alone,
// and for a client of a local store they repeat. P is the service's
// EndpointParameters, a struct of strings, bools, pointers to them and
// string slices; the parameters named in ignored are left out of the key,
// for the rules do not read them (an object's key, for one).
type endpointCache[P any] struct {
	resolve func(context.Context, P) (smithyendpoints.Endpoint, error)
	ignored map[string]bool

	mu   sync.RWMutex
	seen map[string]smithyendpoints.Endpoint
}

func newEndpointCache[P any](resolve func(context.Context, P) (smithyendpoints.Endpoint, error), ignored ...string) *endpointCache[P] {
	c := &endpointCache[P]{resolve: resolve, ignored: map[string]bool{}, seen: map[string]smithyendpoints.Endpoint{}}
	for _, name := range ignored {
		c.ignored[name] = true
	}
	return c
}

// ResolveEndpoint implements the service's EndpointResolverV2. The SDK only
// reads the endpoint it is given, so one is shared by many requests.
func (c *endpointCache[P]) ResolveEndpoint(ctx context.Context, params P) (smithyendpoints.Endpoint, error) {
	key, ok := c.key(params)
	if !ok {
		return c.resolve(ctx, params)
	}
	c.mu.RLock()
	e, ok := c.seen[key]
	c.mu.RUnlock()
	if ok {
		return e, nil
	}
	e, err := c.resolve(ctx, params)
	if err != nil {
		return e, err
	}
	c.mu.Lock()
	if len(c.seen) < maxCachedEndpoints {
		c.seen[key] = e
	}
	c.mu.Unlock()
	return e, nil
}

// key spells out every parameter but the ignored ones, nil apart from
// empty, each after its name, so that no two sets of parameters share one.
// A parameter of a kind it cannot spell out (one a later SDK may add)
// makes the parameters uncacheable: false.
func (c *endpointCache[P]) key(params P) (string, bool) {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Struct {
		return "", false
	}
	var b strings.Builder
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if c.ignored[name] {
			continue
		}
		b.WriteString(name)
		f := v.Field(i)
		if f.Kind() == reflect.Pointer || f.Kind() == reflect.Slice {
			if f.IsNil() {
				b.WriteString("\x00nil;")
				continue
			}
			if f.Kind() == reflect.Pointer {
				f = f.Elem()
			}
		}
		switch f.Kind() {
		case reflect.String:
			b.WriteString("=" + strconv.Quote(f.String()))
		case reflect.Bool:
			b.WriteString("=" + strconv.FormatBool(f.Bool()))
		case reflect.Slice:
			if f.Type().Elem().Kind() != reflect.String {
				return "", false
			}
			b.WriteString("=[")
			for j := range f.Len() {
				b.WriteString(strconv.Quote(f.Index(j).String()) + ",")
			}
			b.WriteString("]")
		default:
			return "", false
		}
		b.WriteByte(';')
	}
	return b.String(), true
}
