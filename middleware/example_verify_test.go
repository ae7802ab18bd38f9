package middleware_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/seed-c7fc2061/serviceaccounts/limiter"
	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

// The shapes of a gRPC unary server interceptor, declared here so that the
// example needs no gRPC module: with google.golang.org/grpc they are
// grpc.UnaryHandler, grpc.UnaryServerInterceptor and metadata.MD, and the
// refusals would be status.Error(codes.Unauthenticated, …),
// codes.PermissionDenied and codes.Unavailable.
type (
	unaryHandler     func(ctx context.Context, req any) (any, error)
	unaryInterceptor func(ctx context.Context, req any, method string, handler unaryHandler) (any, error)
	metadataMD       map[string][]string
)

type metadataKey struct{}

type principalKey struct{}

// grpcStatus stands in for a gRPC status error: a code and a message.
type grpcStatus struct{ code, msg string }

func (s grpcStatus) Error() string { return s.code + ": " + s.msg }

// apiKeyInterceptor authenticates every call with the key in its
// "authorization: Bearer <key>" metadata, through the same cache, last-use
// record and metrics as the HTTP middleware, and authorizes it with the
// permission the method needs.
func apiKeyInterceptor(mw *middleware.Middleware, needs map[string][2]string) unaryInterceptor {
	return func(ctx context.Context, req any, method string, handler unaryHandler) (any, error) {
		md, _ := ctx.Value(metadataKey{}).(metadataMD)
		var key string
		if v := md["authorization"]; len(v) == 1 {
			key, _ = strings.CutPrefix(v[0], "Bearer ")
		}
		p, err := mw.Verify(ctx, key)
		switch {
		case errors.Is(err, middleware.ErrStoreUnavailable), errors.Is(err, middleware.ErrClosed):
			return nil, grpcStatus{"Unavailable", middleware.CodeOf(err)}
		case err != nil:
			return nil, grpcStatus{"Unauthenticated", middleware.CodeOf(err)}
		}
		need, ok := needs[method]
		if !ok {
			return nil, grpcStatus{"PermissionDenied", "no permission is declared for " + method}
		}
		// The study comes from the request message, as a route's PathValue
		// would give it.
		study := req.(map[string]string)["study"]
		if err := mw.Authorize(p, need[0], study, need[1], limiter.Attributes{{Key: "surveyKey", Value: req.(map[string]string)["survey"]}}); err != nil {
			return nil, grpcStatus{"PermissionDenied", err.Error()}
		}
		return handler(context.WithValue(ctx, principalKey{}, p), req)
	}
}

// ExampleMiddleware_Verify checks API keys in a gRPC-style unary
// interceptor (or a queue consumer): Verify authenticates the key and
// Authorize checks a permission, outside HTTP.
func ExampleMiddleware_Verify() {
	ctx := context.Background()
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New()})
	if err != nil {
		log.Fatal(err)
	}
	acct, err := mgr.CreateAccount(ctx, serviceaccount.AccountInput{Label: "Nightly export"})
	if err != nil {
		log.Fatal(err)
	}
	_, err = mgr.AddPermission(ctx, acct.ID, serviceaccount.PermissionInput{
		ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses",
		Limiter: json.RawMessage(`[{"surveyKey": ["intake", "weekly"]}]`),
	})
	if err != nil {
		log.Fatal(err)
	}
	key, err := mgr.CreateKey(ctx, acct.ID, serviceaccount.CreateKeyInput{})
	if err != nil {
		log.Fatal(err)
	}
	mw, err := middleware.New(middleware.Config{Manager: mgr})
	if err != nil {
		log.Fatal(err)
	}
	defer mw.Close(ctx) // after the server has stopped: writes the last uses

	intercept := apiKeyInterceptor(mw, map[string][2]string{
		"/export.v1.Export/Responses": {"study", "get-responses"},
	})
	responses := func(ctx context.Context, req any) (any, error) {
		p := ctx.Value(principalKey{}).(middleware.Principal)
		return "responses of " + req.(map[string]string)["study"] + " for " + p.Label, nil
	}
	for _, c := range []struct {
		key   string
		study string
	}{
		{key.Plaintext, "tekenradar"},
		{key.Plaintext, "other"},
		{"sa_not-a-key", "tekenradar"},
		{"", "tekenradar"},
	} {
		callCtx := context.WithValue(ctx, metadataKey{}, metadataMD{"authorization": {"Bearer " + c.key}})
		resp, err := intercept(callCtx, map[string]string{"study": c.study, "survey": "weekly"}, "/export.v1.Export/Responses", responses)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(resp)
	}
	// Output:
	// responses of tekenradar for Nightly export
	// PermissionDenied: missing permission study/other/get-responses
	// Unauthenticated: malformed_key
	// Unauthenticated: no_credentials
}
