package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Limits of limiter.Parse that LargestLimiter fills: 64 KiB of JSON,
// strings of 200 bytes, 100 values per key.
const (
	limiterMaxBytes  = 64 << 10
	limiterMaxString = 200
	limiterMaxValues = 100
)

// LargestLimiter returns a limiter as large as the Manager accepts (64 KiB
// of JSON, in its canonical form, made of the longest values allowed) for
// the default catalog's study get-responses action. Limiters of different
// variants are different grants, so an account can hold any number of
// them: what tests of what an account can hold need.
func LargestLimiter(variant int) json.RawMessage {
	return LimiterOfSize(variant, limiterMaxBytes)
}

// LimiterOfSize is LargestLimiter at most size bytes long (and no more
// than 202 bytes shorter), for size from 256 to 64 KiB.
func LimiterOfSize(variant, size int) json.RawMessage {
	var b strings.Builder
	b.WriteString(`[`)
	for item := 0; ; item++ {
		head := `{"surveyKey":[`
		if item > 0 {
			head = "," + head
		}
		if b.Len()+len(head)+limiterMaxString+2+len(`]}]`) > size {
			break
		}
		b.WriteString(head)
		for v := 0; v < limiterMaxValues; v++ {
			value := fmt.Sprintf(`"%d-%d-%d-`, variant, item, v)
			value += strings.Repeat("x", limiterMaxString+1-len(value)) + `"`
			sep := ","
			if v == 0 {
				sep = ""
			}
			if b.Len()+len(sep)+len(value)+len(`]}]`) > size {
				break
			}
			b.WriteString(sep + value)
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`]`)
	return json.RawMessage(b.String())
}
