package limiter_test

import (
	"fmt"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
)

func ExampleParse() {
	l, err := limiter.Parse([]byte(`[
		{"surveyKey": ["s1", "s2"], "studyKey": "study1"},
		{"reportKey": "report1"}
	]`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(l.Match(limiter.Attributes{{Key: "studyKey", Value: "study1"}, {Key: "surveyKey", Value: "s2"}}))
	fmt.Println(l.Match(limiter.Attributes{{Key: "reportKey", Value: "report1"}}))
	fmt.Println(l.Match(limiter.Attributes{{Key: "surveyKey", Value: "s2"}})) // studyKey missing
	fmt.Println(l)

	_, err = limiter.Parse([]byte(`[{"surveyKey": ""}]`))
	fmt.Println(err)
	// Output:
	// true
	// true
	// false
	// [{"studyKey":"study1","surveyKey":["s1","s2"]},{"reportKey":"report1"}]
	// limiter[0].surveyKey: must be a non-empty string
}

func ExampleLimiter_Match_nil() {
	var none *limiter.Limiter // no limiter: the permission is not narrowed
	fmt.Println(none.Match(nil))
	// Output: true
}
