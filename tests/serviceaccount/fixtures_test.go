package serviceaccount_test

import "time"

// start and ptr are serviceaccount's own tests' (manager_test.go,
// lifecycle_test.go).
var start = time.Date(2026, 11, 25, 9, 0, 0, 123456789, time.UTC)

func ptr[T any](v T) *T { return &v }
