package main

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
)

func TestSessionsExpireAndAreBounded(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClock()
	s := newSessionStore(clock, time.Hour, 3)
	a := s.create()
	assert.True(t, s.valid(a))
	assert.False(t, s.valid(""))
	assert.False(t, s.valid("not-a-session"))
	assert.NotEqual(t, a, s.create(), "ids are random")

	clock.Advance(time.Hour - time.Nanosecond)
	assert.True(t, s.valid(a))
	clock.Advance(time.Nanosecond)
	assert.False(t, s.valid(a), "expired at its lifetime")

	// At the bound, the oldest session gives way.
	first := s.create()
	clock.Advance(time.Minute)
	second := s.create()
	third := s.create()
	fourth := s.create()
	assert.False(t, s.valid(first))
	assert.True(t, s.valid(second) && s.valid(third) && s.valid(fourth))

	s.delete(second)
	assert.False(t, s.valid(second))
}
