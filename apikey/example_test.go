package apikey_test

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
)

func Example() {
	key, err := apikey.Generate(apikey.DefaultPrefix)
	if err != nil {
		panic(err)
	}
	// Show key to its owner once; keep only these two.
	hash, hint := apikey.HashKey(key), apikey.Hint(key)

	fmt.Println(len(key), strings.HasPrefix(key, "sa_"))
	fmt.Println(apikey.Parse(key, apikey.DefaultPrefix))
	fmt.Println(utf8.RuneCountInString(hint), strings.HasPrefix(hint, "sa_"), strings.Contains(hint, "…"))
	fmt.Println(hash)
	// Output:
	// 52 true
	// <nil>
	// 12 true true
	// apikey.Hash(redacted)
}

func ExampleParse() {
	key, _ := apikey.Generate(apikey.DefaultPrefix)
	typo := key[:10] + string(key[11]) + string(key[10]) + key[12:] // two characters swapped
	if typo == key {
		typo = key[:10] + "-" + key[11:]
	}

	for _, candidate := range []string{key, typo, key[:40], "Bearer " + key} {
		err := apikey.Parse(candidate, apikey.DefaultPrefix)
		fmt.Println(errors.Is(err, apikey.ErrMalformed), err != nil)
	}
	// Output:
	// false false
	// true true
	// true true
	// true true
}
