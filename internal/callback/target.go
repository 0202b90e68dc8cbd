package callback

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// ErrRefused is what a refused callback target's error matches (errors.Is).
var ErrRefused = errors.New("callback target refused")

// Policy says which callback targets may be called.
type Policy struct {
	// AllowLoopback lets http://, and https://, reach loopback addresses
	// (127.0.0.0/8, ::1): the local runtime only, where the receiver is a
	// process on the same machine. Every other private range stays refused.
	AllowLoopback bool
}

// refusedPrefixes are the ranges no callback reaches: not publicly
// routable, or the host's own, or the cloud's metadata service
// (169.254.169.254 is in 169.254.0.0/16).
var refusedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network", 0.0.0.0
		"10.0.0.0/8",      // private
		"100.64.0.0/10",   // carrier-grade NAT
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local, instance metadata
		"172.16.0.0/12",   // private
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation
		"192.168.0.0/16",  // private
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, broadcast
		"::/128",          // unspecified
		"::1/128",         // loopback
		"64:ff9b::/96",    // NAT64: embeds an IPv4 address
		"64:ff9b:1::/48",  // local NAT64
		"100::/64",        // discard
		"2001:db8::/32",   // documentation
		"2002::/16",       // 6to4: embeds an IPv4 address
		"fc00::/7",        // unique local
		"fe80::/10",       // link-local
		"ff00::/8",        // multicast
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// CheckAddr refuses an address in a range no callback may reach.
// IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) are checked as the IPv4
// address they are.
func (p Policy) CheckAddr(a netip.Addr) error {
	a = a.Unmap().WithZone("")
	if !a.IsValid() {
		return fmt.Errorf("%w: no address", ErrRefused)
	}
	if p.AllowLoopback && a.IsLoopback() {
		return nil
	}
	for _, pr := range refusedPrefixes {
		if pr.Contains(a) {
			return fmt.Errorf("%w: %s is in %s, not a public address", ErrRefused, a, pr)
		}
	}
	return nil
}

// ParseURL checks a callbackUrl: https (http only to a loopback host when
// AllowLoopback), a host, no user info, no fragment. A host that is an IP
// address is checked here; a name is checked when it is dialled.
func (p Policy) ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	host := u.Hostname()
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("%w: scheme %q, want https", ErrRefused, u.Scheme)
	case host == "":
		return nil, fmt.Errorf("%w: no host", ErrRefused)
	case u.User != nil:
		return nil, fmt.Errorf("%w: user info in the URL", ErrRefused)
	case u.Fragment != "":
		return nil, fmt.Errorf("%w: a fragment in the URL", ErrRefused)
	}
	addr, isIP := netip.ParseAddr(host)
	if u.Scheme == "http" {
		loopback := strings.EqualFold(host, "localhost") || (isIP == nil && addr.Unmap().IsLoopback())
		if !p.AllowLoopback || !loopback {
			return nil, fmt.Errorf("%w: http://, want https", ErrRefused)
		}
	}
	if isIP == nil {
		if err := p.CheckAddr(addr); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// Resolver is the part of *net.Resolver the dialer uses.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Dialer dials only addresses Policy allows.
type Dialer struct {
	Policy   Policy
	Resolver Resolver
	Dial     func(ctx context.Context, network, addr string) (net.Conn, error)
}

// NewDialer is a Dialer over the system resolver and a net.Dialer that
// checks, as a last guard, the address it connects to.
func NewDialer(p Policy) *Dialer {
	nd := &net.Dialer{Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrRefused, err)
		}
		return p.CheckAddr(ap.Addr())
	}}
	return &Dialer{Policy: p, Resolver: net.DefaultResolver, Dial: nd.DialContext}
}

// DialContext resolves addr's host, refuses it when any of its addresses
// is refused (a name that mixes public and private addresses is not a
// callback target), then dials the checked addresses themselves, never the
// name again, so a second resolution cannot answer something else.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("callback: dial %s: %w", addr, err)
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		if addrs, err = d.Resolver.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, fmt.Errorf("callback: resolve %s: %w", host, err)
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("callback: resolve %s: no addresses", host)
		}
	}
	for _, a := range addrs {
		if err := d.Policy.CheckAddr(a); err != nil {
			return nil, fmt.Errorf("callback: %s: %w", host, err)
		}
	}
	var errs []error
	for _, a := range addrs {
		conn, err := d.Dial(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("callback: dial %s: %w", host, errors.Join(errs...))
}
