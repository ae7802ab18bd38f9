package metadata_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-c7fc2061/serviceaccounts/metadata"
)

func TestValidateAcceptsTheDocumentedShapes(t *testing.T) {
	require.NoError(t, metadata.Validate(nil))
	require.NoError(t, metadata.Validate(metadata.Map{}))
	m := metadata.Map{"environment": "staging", "tier": 3, "weight": 0.5, "beta": true,
		"A-z_0.9": strings.Repeat("é", metadata.MaxStringLength), strings.Repeat("n", metadata.MaxNameLength): ""}
	require.NoError(t, metadata.Validate(m))
	full := metadata.Map{}
	for i := range metadata.MaxMembers {
		full[fmt.Sprintf("m%d", i)] = i
	}
	require.NoError(t, metadata.Validate(full))
}

func TestValidateNamesTheMemberAtFault(t *testing.T) {
	for name, tc := range map[string]struct {
		m      metadata.Map
		member string
		text   string
	}{
		"nested object":      {metadata.Map{"ok": 1, "nested": map[string]any{"a": 1}}, "nested", "string, a number or a boolean"},
		"array":              {metadata.Map{"list": []any{1}}, "list", "string, a number or a boolean"},
		"null":               {metadata.Map{"gone": nil}, "gone", "not null"},
		"long string":        {metadata.Map{"s": strings.Repeat("x", metadata.MaxStringLength+1)}, "s", "at most 256 characters"},
		"invalid UTF-8":      {metadata.Map{"s": "\xff"}, "s", "UTF-8"},
		"NaN":                {metadata.Map{"n": math.NaN()}, "n", "finite"},
		"empty name":         {metadata.Map{"": "x"}, "", "1 to 64"},
		"long name":          {metadata.Map{strings.Repeat("n", 65): "x"}, strings.Repeat("n", 65), "1 to 64"},
		"name with a space":  {metadata.Map{"my key": "x"}, "my key", "letters"},
		"name with a slash":  {metadata.Map{"a/b": "x"}, "a/b", "letters"},
		"non-ASCII name":     {metadata.Map{"é": "x"}, "é", "letters"},
		"too many members":   {tooMany(), "", "at most 32 members"},
		"more than 4 KiB":    {tooLarge(), "", "at most 4096 bytes"},
		"a struct as value":  {metadata.Map{"v": struct{}{}}, "v", "string, a number or a boolean"},
		"second of two bads": {metadata.Map{"b": []any{}, "a": []any{}}, "a", "boolean"},
	} {
		t.Run(name, func(t *testing.T) {
			err := metadata.Validate(tc.m)
			var me *metadata.Error
			require.True(t, errors.As(err, &me), "got %v", err)
			require.Equal(t, tc.member, me.Member)
			require.Contains(t, me.Error(), tc.text)
		})
	}
}

func tooMany() metadata.Map {
	m := metadata.Map{}
	for i := range metadata.MaxMembers + 1 {
		m[fmt.Sprintf("m%d", i)] = true
	}
	return m
}

// tooLarge is within every other limit: 17 members of 256 characters.
func tooLarge() metadata.Map {
	m := metadata.Map{}
	for i := range 17 {
		m[fmt.Sprintf("m%d", i)] = strings.Repeat("x", metadata.MaxStringLength)
	}
	return m
}

// The 4 KiB limit counts the serialized bytes, not characters, and not
// HTML-escaped: "<" is one byte.
func TestValidateCountsSerializedBytes(t *testing.T) {
	m := metadata.Map{}
	for i := range 15 {
		m[fmt.Sprintf("m%02d", i)] = strings.Repeat("<", metadata.MaxStringLength)
	}
	data, err := metadata.Encode(m)
	require.NoError(t, err)
	require.Contains(t, string(data), "<<<")
	require.LessOrEqual(t, len(data), metadata.MaxBytes)
	require.NoError(t, metadata.Validate(m))
	// Multi-byte characters count as their UTF-8 bytes.
	for k := range m {
		m[k] = strings.Repeat("é", metadata.MaxStringLength)
	}
	var me *metadata.Error
	require.ErrorAs(t, metadata.Validate(m), &me)
	require.Empty(t, me.Member)
}

func TestDecodeYieldsFloat64AndRefusesOtherShapes(t *testing.T) {
	m, err := metadata.Decode([]byte(`{"tier": 3, "env": "prod", "beta": false}`))
	require.NoError(t, err)
	require.Equal(t, metadata.Map{"tier": float64(3), "env": "prod", "beta": false}, m)

	m, err = metadata.Decode([]byte(` null `))
	require.NoError(t, err)
	require.Nil(t, m)

	m, err = metadata.Decode([]byte(`{}`))
	require.NoError(t, err)
	require.NotNil(t, m)
	require.Empty(t, m)

	for _, bad := range []string{`[]`, `"x"`, `3`, ``, `{"a":`} {
		_, err := metadata.Decode([]byte(bad))
		var me *metadata.Error
		require.ErrorAs(t, err, &me, "decoding %q", bad)
		require.Empty(t, me.Member)
	}
	_, err = metadata.Decode([]byte(`{"deep": {"a": 1}}`))
	var me *metadata.Error
	require.ErrorAs(t, err, &me)
	require.Equal(t, "deep", me.Member)
}

func TestEncodeRoundTripsAndNormalizes(t *testing.T) {
	in := metadata.Map{"b": 2, "a": "x<y", "c": true}
	data, err := metadata.Encode(in)
	require.NoError(t, err)
	require.Equal(t, `{"a":"x<y","b":2,"c":true}`, string(data))
	out, err := metadata.Decode(data)
	require.NoError(t, err)
	require.Equal(t, metadata.Normalize(in), out)
	require.True(t, metadata.Equal(in, out))
	require.False(t, metadata.Equal(nil, metadata.Map{}))
	require.False(t, metadata.Equal(metadata.Map{"a": 1}, metadata.Map{"a": "1"}))

	null, err := metadata.Encode(nil)
	require.NoError(t, err)
	require.Equal(t, "null", string(null))
}

func TestCloneDoesNotAlias(t *testing.T) {
	in := metadata.Map{"a": "x"}
	c := metadata.Clone(in)
	c["a"] = "changed"
	require.Equal(t, "x", in["a"])
	require.Nil(t, metadata.Clone(nil))
}

func ExampleValidate() {
	err := metadata.Validate(metadata.Map{"environment": "staging", "owner team": "payments"})
	fmt.Println(err)
	// Output: metadata member "owner team": the name may hold only letters A-Z and a-z, digits, '_', '.' and '-'
}
