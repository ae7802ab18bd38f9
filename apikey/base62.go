package apikey

// base62Alphabet is in ASCII order, so digit values sort like the digits.
const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// notBase62 marks bytes outside the alphabet in base62Values.
const notBase62 = 0xff

// base62Values maps a byte to its digit value, so Parse checks the alphabet
// with one table load per byte, and rejects non-ASCII bytes the same way.
var base62Values = func() (t [256]byte) {
	for i := range t {
		t[i] = notBase62
	}
	for i := range len(base62Alphabet) {
		t[base62Alphabet[i]] = byte(i)
	}
	return t
}()

// encodeRandom writes the 256-bit big-endian number src as randomLen base62
// digits by schoolbook division; 62^43 > 2^256, so the digits always suffice.
// Generation is rare, so clarity wins over speed here.
func encodeRandom(dst *[randomLen]byte, src [randomBytes]byte) {
	for i := len(dst) - 1; i >= 0; i-- {
		var rem uint32
		for j := range src {
			cur := rem<<8 | uint32(src[j])
			src[j] = byte(cur / 62)
			rem = cur % 62
		}
		dst[i] = base62Alphabet[rem]
	}
}

// appendChecksum appends sum as checksumLen base62 digits; 62^6 > 2^32.
func appendChecksum(dst []byte, sum uint32) []byte {
	var digits [checksumLen]byte
	v := sum
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = base62Alphabet[v%62]
		v /= 62
	}
	return append(dst, digits[:]...)
}
