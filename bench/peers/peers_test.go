package peers

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/jonboulle/clockwork"
	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/seed-c7fc2061/serviceaccounts/middleware"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
	"github.com/seed-c7fc2061/serviceaccounts/store/memstore"
)

const target = "/v1/studies/tekenradar/responses?surveyKey=s1"

// discardWriter keeps only the status: httptest.ResponseRecorder
// allocates, which would be counted as the checks' cost.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }

func request(credential string, pathValue bool) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if pathValue {
		r.SetPathValue("studyKey", "tekenradar")
	}
	r.Header.Set("Authorization", "Bearer "+credential)
	return r
}

func serve(b *testing.B, h http.Handler, r *http.Request) {
	b.Helper()
	w := &discardWriter{header: http.Header{}}
	h.ServeHTTP(w, r)
	if w.status != http.StatusOK {
		b.Fatalf("status %d", w.status)
	}
	b.ReportAllocs()
	for b.Loop() {
		w.status = 0
		h.ServeHTTP(w, r)
	}
	if w.status != http.StatusOK {
		b.Fatalf("status %d", w.status)
	}
}

// grant is the permission every peer checks by hand.
type grant struct {
	resourceType, resourceKey, action string
	surveys                           []string
}

func (g grant) allows(study, survey string) bool {
	return g.resourceType == "study" && g.resourceKey == study && g.action == "get-responses" && slices.Contains(g.surveys, survey)
}

var theGrant = grant{"study", "tekenradar", "get-responses", []string{"s1", "s2"}}

// library is the library's Middleware with one key holding the permission.
func library(b *testing.B) (*middleware.Middleware, string) {
	ctx := context.Background()
	mgr, err := serviceaccount.NewManager(serviceaccount.Config{Store: memstore.New(), Clock: clockwork.NewRealClock()})
	if err != nil {
		b.Fatal(err)
	}
	acct, err := mgr.CreateAccount(ctx, serviceaccount.AccountInput{Label: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := mgr.AddPermission(ctx, acct.ID, serviceaccount.PermissionInput{
		ResourceType: "study", ResourceKey: "tekenradar", Action: "get-responses",
		Limiter: []byte(`[{"surveyKey":["s1","s2"]}]`),
	}); err != nil {
		b.Fatal(err)
	}
	k, err := mgr.CreateKey(ctx, acct.ID, serviceaccount.CreateKeyInput{})
	if err != nil {
		b.Fatal(err)
	}
	mw, err := middleware.New(middleware.Config{Manager: mgr})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { mw.Close(ctx) })
	return mw, k.Plaintext
}

func BenchmarkLibraryRequire(b *testing.B) {
	mw, key := library(b)
	h := mw.Authenticate(mw.Require("study", middleware.PathValue("studyKey"), "get-responses",
		middleware.Attr("surveyKey", middleware.Query("surveyKey")))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := middleware.FromContext(r.Context()); !ok {
			b.Fatal("no principal")
		}
		w.WriteHeader(http.StatusOK)
	})))
	serve(b, h, request(key, true))
}

func BenchmarkLibraryProtect(b *testing.B) {
	mw, key := library(b)
	h := mw.Protect(middleware.Need("study", middleware.PathValue("studyKey"), "get-responses",
		middleware.Attr("surveyKey", middleware.Query("surveyKey"))),
		func(w http.ResponseWriter, r *http.Request, p middleware.Principal) { w.WriteHeader(http.StatusOK) })
	serve(b, h, request(key, true))
}

// BenchmarkEchoKeyAuth is echo's KeyAuth with a validator that finds the
// key in a map (echo bounds nothing, records no use and compares the key
// by the map's lookup), then the permission checked by hand.
func BenchmarkEchoKeyAuth(b *testing.B) {
	key := strings.Repeat("k", 52)
	principals := map[string]*grant{key: &theGrant}
	e := echo.New()
	e.GET("/v1/studies/:studyKey/responses", func(c echo.Context) error {
		g := c.Get("grant").(*grant)
		if !g.allows(c.Param("studyKey"), c.QueryParam("surveyKey")) {
			return echo.ErrForbidden
		}
		return c.NoContent(http.StatusOK)
	}, echomw.KeyAuth(func(k string, c echo.Context) (bool, error) {
		g, ok := principals[k]
		if ok {
			c.Set("grant", g)
		}
		return ok, nil
	}))
	serve(b, e, request(key, false))
}

// BenchmarkCasbinCachedEnforcer finds the key's subject in a map, then
// asks casbin's cached enforcer for (subject, study/key, action, survey).
func BenchmarkCasbinCachedEnforcer(b *testing.B) {
	m, err := model.NewModelFromString(`
[request_definition]
r = sub, obj, act, survey
[policy_definition]
p = sub, obj, act, survey
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = r.sub == p.sub && r.obj == p.obj && r.act == p.act && r.survey == p.survey
`)
	if err != nil {
		b.Fatal(err)
	}
	enf, err := casbin.NewCachedEnforcer(m)
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range theGrant.surveys {
		if _, err := enf.AddPolicy("acct-1", "study/tekenradar", "get-responses", s); err != nil {
			b.Fatal(err)
		}
	}
	key := strings.Repeat("k", 52)
	subjects := map[string]string{key: "acct-1"}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sub, found := subjects[token]
		if !ok || !found {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		allowed, err := enf.Enforce(sub, "study/"+r.PathValue("studyKey"), "get-responses", r.URL.Query().Get("surveyKey"))
		if err != nil || !allowed {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	serve(b, h, request(key, true))
}

// jwtHandler verifies a bearer JWT with key (what go-chi/jwtauth does,
// through the same jwx library), then checks the permission its claims
// carry.
func jwtHandler(b *testing.B, opt jwt.ParseOption) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		t, err := jwt.Parse([]byte(token), opt, jwt.WithValidate(true))
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		v, ok := t.Get("surveys")
		surveys, _ := v.([]any)
		survey := r.URL.Query().Get("surveyKey")
		if !ok || r.PathValue("studyKey") != "tekenradar" || !slices.Contains(surveys, any(survey)) {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

func signedToken(b *testing.B, opt jwt.SignOption) string {
	t, err := jwt.NewBuilder().Subject("acct-1").Expiration(time.Now().Add(time.Hour)).
		Claim("surveys", []string{"s1", "s2"}).Build()
	if err != nil {
		b.Fatal(err)
	}
	signed, err := jwt.Sign(t, opt)
	if err != nil {
		b.Fatal(err)
	}
	return string(signed)
}

func BenchmarkJWTHS256(b *testing.B) {
	secret := make([]byte, 32)
	rand.Read(secret)
	tok := signedToken(b, jwt.WithKey(jwa.HS256, secret))
	serve(b, jwtHandler(b, jwt.WithKey(jwa.HS256, secret)), request(tok, true))
}

func BenchmarkJWTEdDSA(b *testing.B) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	tok := signedToken(b, jwt.WithKey(jwa.EdDSA, priv))
	serve(b, jwtHandler(b, jwt.WithKey(jwa.EdDSA, pub)), request(tok, true))
}
