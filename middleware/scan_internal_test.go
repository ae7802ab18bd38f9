package middleware

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// ambiguousByEncodingJSON is the reference for scanBody: it walks doc with
// encoding/json's tokenizer, keys decoded as a handler's json.Unmarshal
// decodes them, and compares every two keys of each object with
// strings.EqualFold, the way encoding/json matches keys to fields.
func ambiguousByEncodingJSON(t testing.TB, doc []byte) bool {
	type frame struct {
		object  bool
		wantKey bool // in an object: the next token is a key
		keys    []string
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	var stack []*frame
	dup := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return dup
		}
		require.NoError(t, err)
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		if top != nil && top.object && top.wantKey {
			key := tok.(string)
			for _, prev := range top.keys {
				dup = dup || strings.EqualFold(prev, key)
			}
			top.keys = append(top.keys, key)
			top.wantKey = false
			continue
		}
		// A value: after it, an object wants its next key.
		if top != nil && top.object {
			top.wantKey = true
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, &frame{object: d == '{', wantKey: d == '{'})
		}
	}
}

var scanCorpus = []string{
	`{}`, `[]`, `"a"`, `1`, `null`,
	`{"a":1}`,
	`{"a":1,"a":2}`,
	`{"a":1,"A":2}`,
	`{"k":1,"` + "\u212a" + `":2}`,
	`{"s":1,"` + "\u017f" + `":2}`,
	`{"ß":1,"ẞ":2}`,
	`{"a":1,"b":{"a":2}}`,
	`{"a":{"b":1},"a":2}`,
	`{"a":[{"b":1},{"b":2}]}`,
	`[{"b":1,"B":2}]`,
	`{"a":"{\"a\":1,\"a\":2}"}`,
	`{"a\"":1,"a\\":2,"A\"":3}`,
	`{"\u0061":1,"a":2}`,
	`{"\ud800":1,"\udc00":2}`,
	`{"\ud83d\ude00":1,"😀":2}`,
	`{"\ufffd":1,"\ud800":2}`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18,"A":19}`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18,"` + "\u212a" + `":19}`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18,"z":19}`,
	` { "a" : [ 1 , { "x" : 1 , "y" : 2 } ] , "b" : { } , "B" : null } `,
	"{\"a\xff\":1,\"a\xfe\":2}",
}

func requireScanAgrees(t *testing.T, doc []byte) {
	t.Helper()
	dup, tooDeep := scanBody(doc) // never panics, whatever doc is
	if tooDeep || !gjson.ValidBytes(doc) || !json.Valid(doc) {
		return
	}
	want := ambiguousByEncodingJSON(t, doc)
	require.Equal(t, want, dup != nil, "%q: scanBody found %v", doc, dup)
}

func TestScanBodyAgreesWithEncodingJSON(t *testing.T) {
	found := 0
	for _, doc := range scanCorpus {
		require.True(t, gjson.ValidBytes([]byte(doc)) && json.Valid([]byte(doc)), doc)
		requireScanAgrees(t, []byte(doc))
		if ambiguousByEncodingJSON(t, []byte(doc)) {
			found++
		}
	}
	require.Equal(t, 16, found, "the corpus has both kinds")
}

func FuzzScanBody(f *testing.F) {
	for _, doc := range scanCorpus {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		requireScanAgrees(t, doc)
	})
}

// The folded form used for large objects must be as fine as EqualFold and
// no finer.
func TestFoldKeyAgreesWithEqualFold(t *testing.T) {
	names := []string{"", "a", "A", "k", "K", "\u212a", "s", "S", "\u017f", "ß", "ẞ", "ss", "Σ", "σ", "ς",
		"\xff", "\xfe", "\ufffd", "reportKey", "REPORTKEY", "report\u212aey", "reportkey1", "İ", "i", "ı", "I"}
	for _, a := range names {
		for _, b := range names {
			require.Equal(t, strings.EqualFold(a, b), foldKey([]byte(a)) == foldKey([]byte(b)), "%q, %q", a, b)
		}
	}
}

func FuzzFoldKey(f *testing.F) {
	f.Add("reportKey", "REPORTKEY")
	f.Add("k", "\u212a")
	f.Fuzz(func(t *testing.T, a, b string) {
		if strings.EqualFold(a, b) != (foldKey([]byte(a)) == foldKey([]byte(b))) {
			t.Fatalf("%q, %q: EqualFold %v", a, b, strings.EqualFold(a, b))
		}
	})
}

// A body without objects, or with few small ones, is scanned without
// allocating.
func TestScanBodyAllocatesNothingForAnOrdinaryBody(t *testing.T) {
	doc := []byte(`{"study":"tekenradar","survey":{"key":"s1","version":3},"answers":[1,2,{"q":"a","v":"b"}]}`)
	allocs := testing.AllocsPerRun(100, func() {
		if dup, tooDeep := scanBody(doc); dup != nil || tooDeep {
			t.Fatal(dup, tooDeep)
		}
	})
	require.Zero(t, allocs)
}
