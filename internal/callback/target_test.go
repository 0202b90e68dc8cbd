package callback_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/callback"
)

func TestCheckAddr(t *testing.T) {
	cases := []struct {
		addr    string
		refused bool
	}{
		{"10.0.0.1", true},
		{"10.255.255.255", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"172.32.0.1", false},
		{"172.15.255.255", false},
		{"192.168.1.1", true},
		{"127.0.0.1", true},
		{"127.1.2.3", true},
		{"::1", true},
		{"fe80::1", true},
		{"febf::1", true},
		{"fe80::1%eth0", true},
		{"169.254.0.1", true},
		{"169.254.169.254", true},
		{"fc00::1", true},
		{"fd12:3456:789a::1", true},
		{"100.64.0.1", true},
		{"100.127.255.255", true},
		{"100.128.0.1", false},
		{"::ffff:10.0.0.1", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:169.254.169.254", true},
		{"::ffff:8.8.8.8", false},
		{"0.0.0.0", true},
		{"::", true},
		{"224.0.0.1", true},
		{"255.255.255.255", true},
		{"64:ff9b::a00:1", true},
		{"8.8.8.8", false},
		{"1.1.1.1", false},
		{"2606:4700:4700::1111", false},
		{"2a00:1450:4001:80b::200e", false},
	}
	for _, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			err := callback.Policy{}.CheckAddr(netip.MustParseAddr(tc.addr))
			if tc.refused {
				assert.ErrorIs(t, err, callback.ErrRefused)
			} else {
				assert.NoError(t, err)
			}
		})
	}
}

// Locally, loopback is allowed and nothing else private is.
func TestCheckAddrAllowLoopback(t *testing.T) {
	p := callback.Policy{AllowLoopback: true}
	for _, a := range []string{"127.0.0.1", "::1", "::ffff:127.0.0.1"} {
		assert.NoError(t, p.CheckAddr(netip.MustParseAddr(a)), a)
	}
	for _, a := range []string{"10.0.0.1", "169.254.169.254", "fe80::1", "0.0.0.0"} {
		assert.ErrorIs(t, p.CheckAddr(netip.MustParseAddr(a)), callback.ErrRefused, a)
	}
}

func TestParseURL(t *testing.T) {
	cases := []struct {
		url        string
		aws, local bool // accepted on AWS, locally
	}{
		{"https://example.com/hook", true, true},
		{"https://example.com:8443/hook?x=1", true, true},
		{"https://[2606:4700:4700::1111]/h", true, true},
		{"http://example.com/hook", false, false},
		{"http://127.0.0.1:8080/hook", false, true},
		{"http://localhost:8080/hook", false, true},
		{"http://[::1]:8080/hook", false, true},
		{"https://127.0.0.1/hook", false, true},
		{"https://10.0.0.1/hook", false, false},
		{"https://169.254.169.254/latest/meta-data", false, false},
		{"http://10.0.0.1/hook", false, false},
		{"ftp://example.com/", false, false},
		{"https://user:pw@example.com/", false, false},
		{"https://example.com/#frag", false, false},
		{"https:///path", false, false},
		{"example.com/hook", false, false},
		{"https://exa mple.com/", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			_, err := callback.Policy{}.ParseURL(tc.url)
			assert.Equal(t, tc.aws, err == nil, "on AWS: %v", err)
			if err != nil {
				assert.ErrorIs(t, err, callback.ErrRefused)
			}
			_, err = callback.Policy{AllowLoopback: true}.ParseURL(tc.url)
			assert.Equal(t, tc.local, err == nil, "locally: %v", err)
		})
	}
}

// resolver answers a fixed set of addresses per name.
type resolver map[string][]string

func (r resolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	as, ok := r[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	out := make([]netip.Addr, len(as))
	for i, a := range as {
		out[i] = netip.MustParseAddr(a)
	}
	return out, nil
}

// The dialer checks every address the name resolves to at delivery, and
// dials the checked address, never the name.
func TestDialerChecksAtDelivery(t *testing.T) {
	cases := []struct {
		name    string
		addrs   []string
		dialled []string // the addresses dialled, in order
		refused bool
	}{
		{"public", []string{"93.184.216.34"}, []string{"93.184.216.34:443"}, false},
		{"rebound to the metadata service", []string{"169.254.169.254"}, nil, true},
		{"one private address among public ones", []string{"93.184.216.34", "10.0.0.7"}, nil, true},
		{"IPv4-mapped loopback", []string{"::ffff:127.0.0.1"}, nil, true},
		{"IPv6 public", []string{"2606:2800:220:1:248:1893:25c8:1946"}, []string{"[2606:2800:220:1:248:1893:25c8:1946]:443"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var dialled []string
			d := &callback.Dialer{Resolver: resolver{"hooks.example.com": tc.addrs},
				Dial: func(_ context.Context, _, addr string) (net.Conn, error) {
					dialled = append(dialled, addr)
					c, _ := net.Pipe()
					return c, nil
				}}
			conn, err := d.DialContext(t.Context(), "tcp", "hooks.example.com:443")
			if tc.refused {
				require.ErrorIs(t, err, callback.ErrRefused)
				assert.Empty(t, dialled)
				return
			}
			require.NoError(t, err)
			conn.Close()
			assert.Equal(t, tc.dialled, dialled)
		})
	}
}

// The last guard: the real dialer refuses a private address even when
// asked to dial it directly.
func TestNewDialerRefusesPrivate(t *testing.T) {
	_, err := callback.NewDialer(callback.Policy{}).DialContext(t.Context(), "tcp", "127.0.0.1:9")
	assert.ErrorIs(t, err, callback.ErrRefused)
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"https://example.com/h", "http://127.0.0.1:1/x", "https://[::ffff:10.0.0.1]/", "https://u@h/", "%", "https://h:99999/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := callback.Policy{}.ParseURL(raw)
		if err != nil {
			return
		}
		// Whatever is accepted on AWS is https with a host and no user info.
		assert.Equal(t, "https", u.Scheme)
		assert.NotEmpty(t, u.Hostname())
		assert.Nil(t, u.User)
		if a, err := netip.ParseAddr(u.Hostname()); err == nil {
			assert.NoError(t, callback.Policy{}.CheckAddr(a))
		}
	})
}
