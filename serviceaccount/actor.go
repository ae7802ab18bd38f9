package serviceaccount

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/seed-c7fc2061/serviceaccounts/store"
)

type actorKey struct{}

// WithActor returns a context that makes every change through a Manager
// record actor in its audit event.
func WithActor(ctx context.Context, actor Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom returns the actor WithActor put in ctx.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// validateActor refuses an actor that no store could hold the same way: an
// application's bug, reported before anything is written.
func validateActor(a Actor) error {
	out := &ValidationError{}
	check := func(field, value string, max int, required bool) {
		switch {
		case required && value == "":
			out.Fields = append(out.Fields, FieldError{Field: field, Message: "is required"})
		case utf8.RuneCountInString(value) > max:
			out.Fields = append(out.Fields, FieldError{Field: field, Message: fmt.Sprintf("must be at most %d characters", max)})
		case !cleanText(value, false):
			out.Fields = append(out.Fields, FieldError{Field: field, Message: singleLineMessage})
		}
	}
	check("actor.id", a.ID, store.MaxActorIDLength, true)
	check("actor.address", a.Address, store.MaxActorAddressLength, false)
	check("actor.userAgent", a.UserAgent, store.MaxActorUserAgentLength, false)
	if len(out.Fields) > 0 {
		return out
	}
	return nil
}
