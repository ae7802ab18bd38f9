package apikey

import (
	"bytes"
	"crypto/rand"
	"math/big"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// bigBase62 writes n in base62 with math/big as an independent reference.
// math/big orders its digits 0-9a-zA-Z, so the letter cases are swapped to
// get our 0-9A-Za-z.
func bigBase62(n *big.Int, width int) string {
	s := n.Text(62)
	s = strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		case 'A' <= r && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, s)
	return strings.Repeat("0", width-len(s)) + s
}

func TestEncodeRandomMatchesMathBig(t *testing.T) {
	t.Parallel()
	var zero, max, one, top [randomBytes]byte
	for i := range max {
		max[i] = 0xff
	}
	one[randomBytes-1] = 1
	top[0] = 0x80
	cases := [][randomBytes]byte{zero, max, one, top}
	for range 1000 {
		var r [randomBytes]byte
		rand.Read(r[:])
		cases = append(cases, r)
	}
	for _, src := range cases {
		var got [randomLen]byte
		encodeRandom(&got, src)
		require.Equal(t, bigBase62(new(big.Int).SetBytes(src[:]), randomLen), string(got[:]), "%x", src)
	}

	var maxDigits [randomLen]byte
	encodeRandom(&maxDigits, max)
	require.NotEqual(t, byte('0'), maxDigits[0], "43 digits are needed, not fewer")
}

func TestAppendChecksumIsSixBigEndianDigits(t *testing.T) {
	t.Parallel()
	for _, sum := range []uint32{0, 1, 61, 62, 1<<31 + 12345, ^uint32(0)} {
		got := appendChecksum([]byte("x"), sum)
		want := bigBase62(big.NewInt(int64(sum)), checksumLen)
		require.Equal(t, "x"+want, string(got))
	}
}

func TestBase62ValuesCoverExactlyTheAlphabet(t *testing.T) {
	t.Parallel()
	for b := range 256 {
		i := bytes.IndexByte([]byte(base62Alphabet), byte(b))
		if i < 0 {
			require.Equal(t, byte(notBase62), base62Values[b], "byte %#x", b)
		} else {
			require.Equal(t, byte(i), base62Values[b], "byte %q", rune(b))
		}
	}
}
