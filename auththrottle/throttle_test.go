package auththrottle_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/auththrottle"
)

var (
	guesser = netip.MustParseAddr("198.51.100.7")
	other   = netip.MustParseAddr("198.51.100.8")
)

func newThrottle(t *testing.T, cfg auththrottle.Config) (*auththrottle.Throttle, *clockwork.FakeClock) {
	t.Helper()
	clock := clockwork.NewFakeClock()
	cfg.Clock = clock
	th, err := auththrottle.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return th, clock
}

func fail(t *testing.T, th *auththrottle.Throttle, addr netip.Addr) {
	t.Helper()
	a, _, ok := th.Begin(addr)
	if !ok {
		t.Fatalf("attempt from %v refused, want admitted", addr)
	}
	a.Done(true)
}

func refused(t *testing.T, th *auththrottle.Throttle, addr netip.Addr) time.Duration {
	t.Helper()
	a, retry, ok := th.Begin(addr)
	if ok {
		a.Done(false)
		t.Fatalf("attempt from %v admitted, want refused", addr)
	}
	return retry
}

func TestTenFailuresInAMinuteRefuseUntilTheWindowPasses(t *testing.T) {
	th, clock := newThrottle(t, auththrottle.Config{})
	fail(t, th, guesser)
	clock.Advance(5 * time.Second)
	for range 9 {
		fail(t, th, guesser)
	}
	if got := refused(t, th, guesser); got != 55*time.Second {
		t.Errorf("Retry-After = %v, want 55s: until the first failure is a minute old", got)
	}
	// Another client is unaffected, and a success does not unblock.
	a, _, ok := th.Begin(other)
	if !ok {
		t.Fatal("another client refused")
	}
	a.Done(false)
	clock.Advance(54*time.Second + 500*time.Millisecond)
	if got := refused(t, th, guesser); got != time.Second {
		t.Errorf("Retry-After = %v half a second before the end, want 1s (rounded up)", got)
	}
	clock.Advance(500 * time.Millisecond)
	// The first failure has left the window: one attempt is admitted; a
	// failure there blocks again until the next oldest leaves (at 65 s).
	fail(t, th, guesser)
	if got := refused(t, th, guesser); got != 5*time.Second {
		t.Errorf("Retry-After = %v, want 5s", got)
	}
	clock.Advance(5 * time.Second)
	a, _, ok = th.Begin(guesser)
	if !ok {
		t.Fatal("refused after the window passed")
	}
	a.Done(false)
}

func TestNineFailuresAreAdmitted(t *testing.T) {
	th, _ := newThrottle(t, auththrottle.Config{})
	for range 9 {
		fail(t, th, guesser)
	}
	a, _, ok := th.Begin(guesser)
	if !ok {
		t.Fatal("the tenth attempt was refused")
	}
	a.Done(false)
}

func TestFailuresOlderThanTheWindowDoNotCount(t *testing.T) {
	th, clock := newThrottle(t, auththrottle.Config{})
	for range 50 {
		fail(t, th, guesser)
		clock.Advance(7 * time.Second) // at most 9 in any minute
	}
}

func TestAttemptsInFlightCount(t *testing.T) {
	th, _ := newThrottle(t, auththrottle.Config{MaxFailures: 3})
	var held []auththrottle.Attempt
	for range 3 {
		a, _, ok := th.Begin(guesser)
		if !ok {
			t.Fatal("refused before three attempts")
		}
		held = append(held, a)
	}
	if got := refused(t, th, guesser); got != time.Second {
		t.Errorf("Retry-After while attempts are in flight = %v, want 1s", got)
	}
	for _, a := range held {
		a.Done(true)
	}
	if got := refused(t, th, guesser); got != time.Minute {
		t.Errorf("Retry-After = %v, want 1m", got)
	}
}

func TestAnIPv6ClientIsItsSlash64(t *testing.T) {
	th, _ := newThrottle(t, auththrottle.Config{})
	for i := range 10 {
		fail(t, th, netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i + 1)}))
	}
	refused(t, th, netip.MustParseAddr("2001:db8::ffff"))
	a, _, ok := th.Begin(netip.MustParseAddr("2001:db8:0:1::1"))
	if !ok {
		t.Fatal("another /64 refused")
	}
	a.Done(false)
}

func TestUnknownAddressesShareOneCount(t *testing.T) {
	th, _ := newThrottle(t, auththrottle.Config{})
	for range 10 {
		fail(t, th, netip.Addr{})
	}
	refused(t, th, netip.Addr{})
}

func TestTheTableIsBounded(t *testing.T) {
	th, _ := newThrottle(t, auththrottle.Config{MaxClients: 100})
	for range 10 {
		fail(t, th, guesser)
	}
	// The guesser keeps being refused while others fail: it stays the
	// most recently used. A spray of 10,000 addresses costs 100 entries.
	for i := range 10_000 {
		fail(t, th, netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}))
		if i%50 == 0 {
			refused(t, th, guesser)
		}
	}
	if n := th.Clients(); n > 100 {
		t.Fatalf("%d clients remembered, want at most 100", n)
	}
}

func TestNewRefusesNegativeSettings(t *testing.T) {
	for _, cfg := range []auththrottle.Config{{MaxFailures: -1}, {Window: -time.Second}, {MaxClients: -1}} {
		if _, err := auththrottle.New(cfg); err == nil {
			t.Errorf("New(%+v): want an error", cfg)
		}
	}
}
