package apigw

import (
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// API Gateway caches a TOKEN authorizer's answer by token for the
// authorizer's resultTtlInSeconds (serverless' default 300) and applies
// the cached policy to every method the token calls until then; so does
// the gateway here when Authorizer.ResultTTL is set. Besides fidelity it is
// what keeps the API cheap under load: verifying a token's signature
// (ES256) was a quarter of the runtime's CPU at make load's request rate.
// As on AWS, only answers are cached: a failed call (Unauthorized, a
// function error) is asked again next time.

// maxCachedDecisions bounds the cache: when it is full, the expired
// answers are dropped, and if none had expired, all of them.
const maxCachedDecisions = 10000

// authCache holds authorizers' answers by authorizer and token. Reads
// share the lock: every request reads, and with an exclusive lock the
// requests queued behind one whose goroutine the saturated scheduler had
// put aside (make load's mutex profile: 4 s of waiting in 18 s of run).
type authCache struct {
	mu      sync.RWMutex
	answers map[authKey]cachedAnswer
}

type authKey struct{ authorizer, token string }

type cachedAnswer struct {
	resp    events.APIGatewayCustomAuthorizerResponse
	expires time.Time
}

// get returns the answer cached for key if it has not expired at now.
func (c *authCache) get(key authKey, now time.Time) (events.APIGatewayCustomAuthorizerResponse, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	a, ok := c.answers[key]
	if !ok || !now.Before(a.expires) {
		return events.APIGatewayCustomAuthorizerResponse{}, false
	}
	return a.resp, true
}

// put caches resp for key until now+ttl.
func (c *authCache) put(key authKey, resp events.APIGatewayCustomAuthorizerResponse, now time.Time, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.answers == nil {
		c.answers = map[authKey]cachedAnswer{}
	}
	if len(c.answers) >= maxCachedDecisions {
		for k, a := range c.answers {
			if !now.Before(a.expires) {
				delete(c.answers, k)
			}
		}
		if len(c.answers) >= maxCachedDecisions {
			clear(c.answers)
		}
	}
	c.answers[key] = cachedAnswer{resp: resp, expires: now.Add(ttl)}
}
