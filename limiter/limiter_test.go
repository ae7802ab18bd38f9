package limiter_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
)

func TestParseValidGivesCanonicalForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"ReferenceExample", `[{"reportKey": "report1"}]`, `[{"reportKey":"report1"}]`},
		{"WhitespaceIsDropped", "\n\t[ { \"b\" : \"2\" ,\r\n \"a\" : \"1\" } ] \n", `[{"a":"1","b":"2"}]`},
		{"KeysSortedByBytes", `[{"b":"1","B":"2","a":"3","_":"4"}]`, `[{"B":"2","_":"4","a":"3","b":"1"}]`},
		{"ArrayKeepsValueOrder", `[{"s":["z","a","m"]}]`, `[{"s":["z","a","m"]}]`},
		{"SingleValueArrayStaysArray", `[{"s":["x"]}]`, `[{"s":["x"]}]`},
		{"ItemsKeepOrder", `[{"z":"1"},{"a":"2"}]`, `[{"z":"1"},{"a":"2"}]`},
		{"SameKeyInSeveralItems", `[{"a":"1"},{"a":["2","3"]}]`, `[{"a":"1"},{"a":["2","3"]}]`},
		{"MixedStringAndArray", `[{"surveyKey":["s1","s2"],"studyKey":"st"},{"reportKey":"r1"}]`, `[{"studyKey":"st","surveyKey":["s1","s2"]},{"reportKey":"r1"}]`},
		{"EscapesAreShortest", `[{"k":"a\"b\\c\/d\n\u0001\u00e9\t"}]`, `[{"k":"a\"b\\c/d\n\u0001é\t"}]`},
		{"NoHTMLEscaping", `[{"k":"<a href=\"x\">&amp;</a>"}]`, `[{"k":"<a href=\"x\">&amp;</a>"}]`},
		{"LineSeparatorStaysRaw", `[{"k":"a\u2028b"}]`, "[{\"k\":\"a\u2028b\"}]"},
		{"SurrogatePairIsDecoded", `[{"k":"\ud83d\ude00"}]`, `[{"k":"😀"}]`},
		{"EscapedKeyIsDecoded", `[{"\u0061b":"x"}]`, `[{"ab":"x"}]`},
		{"KeyThatIsNotAnIdentifier", `[{"survey key":"x"}]`, `[{"survey key":"x"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := limiter.Parse([]byte(tt.in))
			require.NoError(t, err)
			require.NotNil(t, l)
			assert.Equal(t, tt.want, l.String())
			out, err := l.MarshalJSON()
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(out))
			assert.True(t, json.Valid(out))

			again, err := limiter.Parse(out)
			require.NoError(t, err)
			assert.True(t, l.Equal(again), "canonical form parses to an equal limiter")
		})
	}
}

func TestParseNullOrEmptyMeansNoLimiter(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", " ", "\n\t\r ", "null", " null\n"} {
		l, err := limiter.Parse([]byte(in))
		require.NoError(t, err, "%q", in)
		assert.Nil(t, l, "%q", in)
	}
}

func TestParseRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 201)
	tests := []struct {
		name, in, path, msg string
	}{
		// Whole value.
		{"EmptyArray", `[]`, "", "must not be an empty array"},
		{"Number", `42`, "", "got a number"},
		{"Boolean", `true`, "", "got a boolean"},
		{"String", `"x"`, "", "got a string"},
		{"ObjectInsteadOfArray", `{"a":"x"}`, "", "got an object"},
		{"InvalidJSON", `[{"a":"x"}`, "", "not valid JSON"},
		{"UnquotedKey", `[{a:"x"}]`, "", "not valid JSON"},
		{"TrailingComma", `[{"a":"x"},]`, "", "not valid JSON"},
		{"TrailingGarbage", `[{"a":"x"}] x`, "", "after top-level value"},
		{"TrailingValue", `[{"a":"x"}][]`, "", "not valid JSON"},
		{"TruncatedNull", `nul`, "", "not valid JSON"},
		{"VerticalTabIsNotJSONSpace", "\v[{\"a\":\"x\"}]", "", "not valid JSON"},
		{"TooManyItems", "[" + strings.Repeat(`{"a":"x"},`, 100) + `{"a":"x"}]`, "", "at most 100 items"},
		{"TooManyBytes", `[{"a":"x"}]` + strings.Repeat(" ", 64<<10), "", "at most 65536 bytes"},
		// Items.
		{"EmptyObject", `[{}]`, "[0]", "at least one key"},
		{"EmptyObjectLater", `[{"a":"x"},{}]`, "[1]", "at least one key"},
		{"ItemIsNumber", `[1]`, "[0]", "must be an object, got a number"},
		{"ItemIsNull", `[null]`, "[0]", "must be an object, got null"},
		{"ItemIsArray", `[[{"a":"x"}]]`, "[0]", "must be an object, got an array"},
		{"ItemIsString", `[{"a":"x"},"b"]`, "[1]", "must be an object, got a string"},
		{"EmptyKey", `[{"":"x"}]`, "[0]", `empty key ""`},
		{"KeyTooLong", `[{"` + long + `":"x"}]`, "[0]", "key longer than 200 bytes"},
		{"KeyNotUTF8", "[{\"\xff\":\"x\"}]", "[0]", "key that is not valid UTF-8"},
		{"TooManyKeys", `[{` + manyKeys(21) + `}]`, "[0]", "at most 20 keys"},
		{"DuplicateKey", `[{"a":"x","b":"y","a":"z"}]`, "[0].a", "duplicate key"},
		{"DuplicateKeyAfterUnescaping", `[{"a":"x","\u0061":"y"}]`, "[0].a", "duplicate key"},
		// Values.
		{"ValueIsNumber", `[{"a":1}]`, "[0].a", "must be a non-empty string or an array of non-empty strings, got a number"},
		{"ValueIsBoolean", `[{"a":false}]`, "[0].a", "got a boolean"},
		{"ValueIsNull", `[{"a":null}]`, "[0].a", "got null"},
		{"ValueIsObject", `[{"a":{"b":"c"}}]`, "[0].a", "got an object"},
		{"ValueIsEmptyString", `[{"a":""}]`, "[0].a", "must be a non-empty string"},
		{"ValueTooLong", `[{"a":"` + long + `"}]`, "[0].a", "at most 200 bytes"},
		{"ValueNotUTF8", "[{\"a\":\"\xc3\"}]", "[0].a", "valid UTF-8"},
		{"ValueLoneSurrogate", `[{"a":"x\ud800"}]`, "[0].a", "valid UTF-8"},
		{"ValueLoneLowSurrogate", `[{"a":["x","\udc00y"]}]`, "[0].a[1]", "valid UTF-8"},
		{"KeyLoneSurrogate", `[{"\ud800":"x"}]`, "[0]", "not valid UTF-8"},
		{"ValueInLaterItem", `[{"a":"x"},{"b":"y","c":2}]`, "[1].c", "got a number"},
		{"PathQuotesOddKeys", `[{"survey key":2}]`, `[0]["survey key"]`, "got a number"},
		{"PathQuotesDottedKeys", `[{"a.b":2}]`, `[0]["a.b"]`, "got a number"},
		// Arrays of values.
		{"EmptyArrayValue", `[{"a":[]}]`, "[0].a", "must not be an empty array"},
		{"ArrayOfNumbers", `[{"a":[1]}]`, "[0].a[0]", "must be a non-empty string, got a number"},
		{"ArrayWithNull", `[{"a":["x",null]}]`, "[0].a[1]", "got null"},
		{"ArrayWithBoolean", `[{"a":["x",true]}]`, "[0].a[1]", "got a boolean"},
		{"NestedArray", `[{"a":["x",["y"]]}]`, "[0].a[1]", "got an array"},
		{"ArrayWithObject", `[{"a":["x",{"b":"c"}]}]`, "[0].a[1]", "got an object"},
		{"ArrayWithEmptyString", `[{"a":["x",""]}]`, "[0].a[1]", "must be a non-empty string"},
		{"ArrayWithRepeat", `[{"a":["x","y","x"]}]`, "[0].a[2]", `repeats "x"`},
		{"ArrayValueTooLong", `[{"a":["` + long + `"]}]`, "[0].a[0]", "at most 200 bytes"},
		{"TooManyValues", `[{"a":[` + manyValues(101) + `]}]`, "[0].a", "at most 100 values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := limiter.Parse([]byte(tt.in))
			require.Error(t, err)
			assert.Nil(t, l)
			var lerr *limiter.Error
			require.ErrorAs(t, err, &lerr)
			assert.Equal(t, tt.path, lerr.Path)
			assert.Contains(t, lerr.Message, tt.msg)
			assert.Equal(t, "limiter"+tt.path+": "+lerr.Message, err.Error())
		})
	}
}

func TestParseAcceptsSizesAtTheLimits(t *testing.T) {
	t.Parallel()
	max := strings.Repeat("x", 200)
	for name, in := range map[string]string{
		"100Items":      "[" + strings.Repeat(`{"a":"x"},`, 99) + `{"a":"x"}]`,
		"20Keys":        `[{` + manyKeys(20) + `}]`,
		"100Values":     `[{"a":[` + manyValues(100) + `]}]`,
		"200ByteKey":    `[{"` + max + `":"x"}]`,
		"200ByteValue":  `[{"a":"` + max + `"}]`,
		"64KiBOfJSON":   `[{"a":"x"}]` + strings.Repeat(" ", 64<<10-11),
		"200ByteEscape": `[{"a":"` + strings.Repeat(`\u00e9`, 100) + `"}]`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l, err := limiter.Parse([]byte(in))
			require.NoError(t, err)
			assert.NotNil(t, l)
		})
	}
}

func TestErrorMessageNamesTheField(t *testing.T) {
	t.Parallel()
	_, err := limiter.Parse([]byte(`[{"surveyKey":""}]`))
	assert.EqualError(t, err, "limiter[0].surveyKey: must be a non-empty string")

	_, err = limiter.Parse([]byte(`[]`))
	assert.EqualError(t, err, "limiter: must not be an empty array; use null for no limiter")

	_, err = limiter.Parse([]byte(`[{"a":"x"}] x`))
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "limiter: is not valid JSON: "), err.Error())
	assert.Contains(t, err.Error(), "(at byte 13)", "points at the offending byte")
}

func TestMustParsePanicsOnInvalidInput(t *testing.T) {
	t.Parallel()
	assert.NotNil(t, limiter.MustParse(`[{"a":"x"}]`))
	assert.Nil(t, limiter.MustParse(`null`))
	assert.PanicsWithError(t, "limiter: must not be an empty array; use null for no limiter", func() {
		limiter.MustParse(`[]`)
	})
}

func TestMatch(t *testing.T) {
	t.Parallel()
	type attrs = limiter.Attributes
	tests := []struct {
		name    string
		limiter string
		attrs   attrs
		want    bool
	}{
		{"SingleKeyEqual", `[{"reportKey":"r1"}]`, attrs{{"reportKey", "r1"}}, true},
		{"SingleKeyDifferent", `[{"reportKey":"r1"}]`, attrs{{"reportKey", "r2"}}, false},
		{"ValuesAreCaseSensitive", `[{"reportKey":"r1"}]`, attrs{{"reportKey", "R1"}}, false},
		{"KeysAreCaseSensitive", `[{"reportKey":"r1"}]`, attrs{{"reportkey", "r1"}}, false},
		{"MissingAttributeFails", `[{"reportKey":"r1"}]`, nil, false},
		{"OtherAttributeOnlyFails", `[{"reportKey":"r1"}]`, attrs{{"surveyKey", "r1"}}, false},
		{"EmptyAttributeValueFails", `[{"reportKey":"r1"}]`, attrs{{"reportKey", ""}}, false},
		{"ExtraAttributesIgnored", `[{"reportKey":"r1"}]`, attrs{{"studyKey", "st"}, {"reportKey", "r1"}, {"x", "y"}}, true},
		{"FirstAttributeWithKeyWins", `[{"reportKey":"r1"}]`, attrs{{"reportKey", "r2"}, {"reportKey", "r1"}}, false},
		{"MultiKeyAllPresent", `[{"studyKey":"st","surveyKey":"s1"}]`, attrs{{"surveyKey", "s1"}, {"studyKey", "st"}}, true},
		{"MultiKeyOneMissing", `[{"studyKey":"st","surveyKey":"s1"}]`, attrs{{"surveyKey", "s1"}}, false},
		{"MultiKeyOneDifferent", `[{"studyKey":"st","surveyKey":"s1"}]`, attrs{{"surveyKey", "s1"}, {"studyKey", "other"}}, false},
		{"AnyOfFirst", `[{"surveyKey":["s1","s2","s3"]}]`, attrs{{"surveyKey", "s1"}}, true},
		{"AnyOfLast", `[{"surveyKey":["s1","s2","s3"]}]`, attrs{{"surveyKey", "s3"}}, true},
		{"AnyOfNone", `[{"surveyKey":["s1","s2","s3"]}]`, attrs{{"surveyKey", "s4"}}, false},
		{"AnyOfWithOtherKey", `[{"surveyKey":["s1","s2"],"studyKey":"st"}]`, attrs{{"studyKey", "st"}, {"surveyKey", "s2"}}, true},
		{"ItemsAreOredFirst", `[{"reportKey":"r1"},{"surveyKey":"s1"}]`, attrs{{"reportKey", "r1"}}, true},
		{"ItemsAreOredSecond", `[{"reportKey":"r1"},{"surveyKey":"s1"}]`, attrs{{"surveyKey", "s1"}}, true},
		{"ItemsAreOredNeither", `[{"reportKey":"r1"},{"surveyKey":"s1"}]`, attrs{{"surveyKey", "s2"}}, false},
		{"ItemMissingKeyDoesNotBlockOthers", `[{"a":"1","b":"2"},{"a":"1"}]`, attrs{{"a", "1"}}, true},
		{"NoLimiterMatchesAnything", `null`, attrs{{"a", "1"}}, true},
		{"NoLimiterMatchesNoAttributes", `null`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := limiter.MustParse(tt.limiter)
			assert.Equal(t, tt.want, l.Match(tt.attrs))
		})
	}
}

func TestNilAndZeroLimiterMeanNoLimiter(t *testing.T) {
	t.Parallel()
	var nilLimiter *limiter.Limiter
	zero := &limiter.Limiter{}
	for name, l := range map[string]*limiter.Limiter{"Nil": nilLimiter, "Zero": zero} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			assert.True(t, l.Match(nil))
			assert.True(t, l.Match(limiter.Attributes{{"a", "b"}}))
			assert.Equal(t, "null", l.String())
			out, err := l.MarshalJSON()
			require.NoError(t, err)
			assert.Equal(t, "null", string(out))
			for range l.Keys() {
				t.Fatal("no keys expected")
			}
			assert.True(t, l.Equal(nil))
			assert.True(t, l.Equal(&limiter.Limiter{}))
			assert.False(t, l.Equal(limiter.MustParse(`[{"a":"b"}]`)))
		})
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	l := limiter.MustParse(`[{"a":"1","b":"2"},{"surveyKey":["s1","s2"]},{"studyKey":"st","surveyKey":["s3","s4"]}]`)
	var buf [3]limiter.Attribute
	allocs := testing.AllocsPerRun(100, func() {
		attrs := append(buf[:0], limiter.Attribute{Key: "studyKey", Value: "st"}, limiter.Attribute{Key: "surveyKey", Value: "s4"})
		if !l.Match(attrs) {
			t.Fatal("want a match")
		}
	})
	assert.Zero(t, allocs)
}

func TestLookupReturnsFirstMatch(t *testing.T) {
	t.Parallel()
	attrs := limiter.Attributes{{"a", "1"}, {"b", "2"}, {"a", "3"}}
	v, ok := attrs.Lookup("a")
	assert.True(t, ok)
	assert.Equal(t, "1", v)
	v, ok = attrs.Lookup("c")
	assert.False(t, ok)
	assert.Empty(t, v)
	_, ok = limiter.Attributes(nil).Lookup("a")
	assert.False(t, ok)
}

func TestKeysYieldsEveryKeyInCanonicalOrder(t *testing.T) {
	t.Parallel()
	l := limiter.MustParse(`[{"surveyKey":["s1"],"studyKey":"st"},{"reportKey":"r1"},{"b":"1","a":"2"}]`)
	type pair struct {
		item int
		key  string
	}
	var got []pair
	for i, k := range l.Keys() {
		got = append(got, pair{i, k})
	}
	assert.Equal(t, []pair{{0, "studyKey"}, {0, "surveyKey"}, {1, "reportKey"}, {2, "a"}, {2, "b"}}, got)

	got = got[:0]
	for i, k := range l.Keys() {
		got = append(got, pair{i, k})
		if len(got) == 2 {
			break
		}
	}
	assert.Equal(t, []pair{{0, "studyKey"}, {0, "surveyKey"}}, got, "stops when the loop breaks")
}

func TestEqualComparesCanonicalForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want bool
	}{
		{`[{"a":"1","b":"2"}]`, `[ {"b":"2", "a":"1"} ]`, true},
		{`[{"a":"\u0031"}]`, `[{"a":"1"}]`, true},
		{`[{"a":["1","2"]}]`, `[{"a":["1","2"]}]`, true},
		{`null`, ``, true},
		{`[{"a":["1","2"]}]`, `[{"a":["2","1"]}]`, false},
		{`[{"a":"1"}]`, `[{"a":["1"]}]`, false},
		{`[{"a":"1"},{"b":"2"}]`, `[{"b":"2"},{"a":"1"}]`, false},
		{`[{"a":"1"}]`, `[{"a":"1"},{"a":"1"}]`, false},
		{`[{"a":"1"}]`, `[{"a":"1","b":"2"}]`, false},
		{`[{"a":"1"}]`, `[{"b":"1"}]`, false},
		{`[{"a":"1"}]`, `null`, false},
	}
	for _, tt := range tests {
		a, b := limiter.MustParse(tt.a), limiter.MustParse(tt.b)
		assert.Equal(t, tt.want, a.Equal(b), "%s vs %s", tt.a, tt.b)
		assert.Equal(t, tt.want, b.Equal(a), "%s vs %s", tt.b, tt.a)
		assert.Equal(t, tt.want, a.String() == b.String(), "Equal agrees with the canonical text")
	}
}

type permissionBody struct {
	Action  string           `json:"action"`
	Limiter *limiter.Limiter `json:"limiter"`
}

func TestJSONRoundTripInStructField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"Limiter", `{"action":"get-reports","limiter":[ {"reportKey":"r1", "a":["x","y"]} ]}`, `{"action":"get-reports","limiter":[{"a":["x","y"],"reportKey":"r1"}]}`},
		{"Null", `{"action":"get-reports","limiter":null}`, `{"action":"get-reports","limiter":null}`},
		{"Absent", `{"action":"get-reports"}`, `{"action":"get-reports","limiter":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var body permissionBody
			require.NoError(t, json.Unmarshal([]byte(tt.in), &body))
			out, err := json.Marshal(body)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(out))

			var again permissionBody
			require.NoError(t, json.Unmarshal(out, &again))
			assert.True(t, body.Limiter.Equal(again.Limiter))
		})
	}
}

func TestJSONNullIsNilPointer(t *testing.T) {
	t.Parallel()
	body := permissionBody{Limiter: limiter.MustParse(`[{"a":"x"}]`)}
	require.NoError(t, json.Unmarshal([]byte(`{"limiter":null}`), &body))
	assert.Nil(t, body.Limiter)
}

func TestJSONUnmarshalRejectsInvalidLimiter(t *testing.T) {
	t.Parallel()
	var body permissionBody
	err := json.Unmarshal([]byte(`{"action":"x","limiter":[{"a":1}]}`), &body)
	require.Error(t, err)
	var lerr *limiter.Error
	require.ErrorAs(t, err, &lerr)
	assert.Equal(t, "[0].a", lerr.Path)
}

func TestUnmarshalJSONNullResetsToNoLimiter(t *testing.T) {
	t.Parallel()
	l := limiter.MustParse(`[{"a":"x"}]`)
	require.NoError(t, l.UnmarshalJSON([]byte(`null`)))
	assert.True(t, l.Match(nil))
	assert.Equal(t, "null", l.String())

	require.NoError(t, l.UnmarshalJSON([]byte(`[{"b":"y"}]`)))
	assert.Equal(t, `[{"b":"y"}]`, l.String())

	err := l.UnmarshalJSON([]byte(`[]`))
	assert.True(t, errors.As(err, new(*limiter.Error)))
}

func TestParseDoesNotAliasInput(t *testing.T) {
	t.Parallel()
	in := []byte(`[{"a":"x"}]`)
	l, err := limiter.Parse(in)
	require.NoError(t, err)
	copy(in, `[{"b":"y"}]`)
	assert.Equal(t, `[{"a":"x"}]`, l.String())
}

func manyKeys(n int) string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf(`"k%d":"v"`, i)
	}
	return strings.Join(keys, ",")
}

func manyValues(n int) string {
	values := make([]string, n)
	for i := range values {
		values[i] = fmt.Sprintf(`"v%d"`, i)
	}
	return strings.Join(values, ",")
}

func TestGrantFormIgnoresHowALimiterWasWritten(t *testing.T) {
	same := [][]string{
		{`[{"surveyKey":"intake"}]`, `[{"surveyKey":["intake"]}]`},
		{`[{"surveyKey":["a","b"]}]`, `[{"surveyKey":["b","a"]}]`},
		{`[{"a":"1"},{"b":"2"}]`, `[{"b":"2"},{"a":"1"}]`, `[{"b":"2"},{"a":"1"},{"b":["2"]}]`},
		{`[{"a":"1","b":"2"}]`, `[{"b":"2","a":"1"}]`},
	}
	for _, group := range same {
		want := limiter.MustParse(group[0]).GrantForm()
		for _, other := range group[1:] {
			if got := limiter.MustParse(other).GrantForm(); got != want {
				t.Errorf("GrantForm(%s) = %s, want %s as for %s", other, got, want, group[0])
			}
		}
	}
	different := []string{`[{"a":"1"}]`, `[{"a":"2"}]`, `[{"a":["1","2"]}]`, `[{"a":"1","b":"2"}]`, `[{"a":"1"},{"b":"2"}]`}
	seen := map[string]string{"": "no limiter"}
	for _, raw := range different {
		form := limiter.MustParse(raw).GrantForm()
		if prev, ok := seen[form]; ok {
			t.Errorf("%s and %s share the form %s", raw, prev, form)
		}
		seen[form] = raw
	}
	var none *limiter.Limiter
	if none.GrantForm() != "" {
		t.Error("no limiter has the empty form")
	}
}

func TestStringsYieldsEveryKeyAndValueWithItsPath(t *testing.T) {
	l := limiter.MustParse(`[{"surveyKey":["s1","s2"],"study key":"t"},{"r":"x"}]`)
	var got []string
	for path, s := range l.Strings() {
		got = append(got, path+"="+s)
	}
	require.Equal(t, []string{
		`[0]["study key"]=study key`, `[0]["study key"]=t`,
		"[0].surveyKey=surveyKey", "[0].surveyKey[0]=s1", "[0].surveyKey[1]=s2",
		"[1].r=r", "[1].r=x",
	}, got)
	for range (*limiter.Limiter)(nil).Strings() {
		t.Fatal("a nil limiter has no strings")
	}
}
