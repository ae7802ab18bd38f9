package limiter_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
)

var fuzzSeeds = []string{
	``,
	` `,
	`null`,
	`[{"reportKey":"report1"}]`,
	"\n [ { \"b\" : \"2\" , \"a\" : [\"1\", \"0\"] } ] \n",
	`[{"surveyKey":["s1","s2"],"studyKey":"st"},{"reportKey":"r1"}]`,
	`[{"k":"a\"b\\c\/d\n\u0001\u00e9\t\b\f\r"}]`,
	`[{"k":"<>&\u2028\u2029"}]`,
	`[{"\ud83d\ude00":"\ud800"}]`,
	`[{"\u0000":"\u001f"}]`,
	`[{"a":"x","\u0061":"y"}]`,
	`[{"a":["x","x"]}]`,
	`[{"a":["x",""]}]`,
	`[{"":"x"}]`,
	`[]`,
	`[{}]`,
	`[1]`,
	`[{"a":1}]`,
	`[{"a":null}]`,
	`[{"a":true}]`,
	`[{"a":{"b":"c"}}]`,
	`[{"a":[["b"]]}]`,
	`[{"a":"x"}] x`,
	`[{"a":"x"}`,
	`{"a":"x"}`,
	`"x"`,
	`42`,
	"[{\"\xff\":\"x\"}]",
	"[{\"a\":\"\xc3\"}]",
	`[{"a\\":"b\\\\"}]`,
	`[[[[[[[[[[]]]]]]]]]]`,
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := limiter.Parse(data)
		if err != nil {
			if l != nil {
				t.Fatalf("Parse returned a limiter and an error %v", err)
			}
			if !errors.As(err, new(*limiter.Error)) {
				t.Fatalf("error %v (%T) is not a *limiter.Error", err, err)
			}
			return
		}
		out, err := l.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		if l == nil {
			if string(out) != "null" {
				t.Fatalf("nil limiter marshals as %s", out)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("canonical form %q is not valid JSON", out)
		}
		if len(out) > len(bytes.Trim(data, " \t\r\n")) {
			t.Fatalf("canonical form %q is longer than its input %q", out, data)
		}
		if got := l.String(); got != string(out) {
			t.Fatalf("String %q differs from MarshalJSON %q", got, out)
		}

		again, err := limiter.Parse(out)
		if err != nil {
			t.Fatalf("canonical form %q does not parse: %v", out, err)
		}
		if !l.Equal(again) || !again.Equal(l) {
			t.Fatalf("canonical form %q parses to a different limiter %q", out, again)
		}
		out2, _ := again.MarshalJSON()
		if !bytes.Equal(out, out2) {
			t.Fatalf("MarshalJSON is not idempotent: %q then %q", out, out2)
		}

		// encoding/json must read the input the same way gjson did.
		var decoded []map[string]any
		if err := json.Unmarshal(data, &decoded); err != nil {
			t.Fatalf("accepted input %q that encoding/json rejects: %v", data, err)
		}
		var fromCanonical []map[string]any
		if err := json.Unmarshal(out, &fromCanonical); err != nil {
			t.Fatalf("encoding/json rejects canonical form %q: %v", out, err)
		}
		if !equalDecoded(decoded, fromCanonical) {
			t.Fatalf("input %q and canonical form %q decode differently", data, out)
		}

		// Every item matches the attributes it names.
		for i := range decoded {
			var attrs limiter.Attributes
			for k, v := range decoded[i] {
				switch v := v.(type) {
				case string:
					attrs = append(attrs, limiter.Attribute{Key: k, Value: v})
				case []any:
					attrs = append(attrs, limiter.Attribute{Key: k, Value: v[len(v)-1].(string)})
				}
			}
			if !l.Match(attrs) {
				t.Fatalf("%s does not match %v, taken from item %d", l, attrs, i)
			}
		}
	})
}

func equalDecoded(a, b []map[string]any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}
