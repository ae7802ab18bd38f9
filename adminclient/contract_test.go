package adminclient_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
)

// The client is checked against the admin API's OpenAPI document as well
// as against the real handler: every request a test sends through a
// contract-checked server is validated with kin-openapi, a request the
// document refuses but the handler accepted is a departure, and when the
// whole package's tests ran, every operation of the document must have
// been answered with a 2xx at least once, so that no route lacks a
// method (or a method's test).

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if len(contractState.departures) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d client requests departed from openapi.json:\n  %s\n",
			len(contractState.departures), strings.Join(contractState.departures, "\n  "))
		code = 1
	}
	if f := flag.Lookup("test.run"); code == 0 && f != nil && f.Value.String() == "" {
		if missing := unexercised(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: no client method got a 2xx from: %s\n", strings.Join(missing, ", "))
			code = 1
		}
	}
	os.Exit(code)
}

var contractState struct {
	sync.Mutex
	departures []string
	succeeded  map[string]bool
}

var contractDoc = sync.OnceValues(func() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(admin.OpenAPIDocument())
	if err != nil {
		return nil, err
	}
	doc.Servers = nil // routes relative to the mount point
	return doc, doc.Validate(loader.Context)
})

var contractRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := contractDoc()
	if err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
})

// contractChecked validates each request to next (as seen below the
// mount point) against the document.
func contractChecked(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		check(r, body, rec.Code)
	})
}

func check(r *http.Request, body []byte, status int) {
	depart := func(format string, args ...any) {
		contractState.Lock()
		defer contractState.Unlock()
		contractState.departures = append(contractState.departures, r.Method+" "+r.URL.Path+": "+fmt.Sprintf(format, args...))
	}
	router, err := contractRouter()
	if err != nil {
		depart("load the document: %v", err)
		return
	}
	req := r.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := router.FindRoute(req)
	if err != nil {
		if status < 300 {
			depart("the document has no such operation: %v", err)
		}
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && status < 300 {
		depart("the handler answered %d to a request the document refuses: %v", status, err)
	}
	if status < 300 {
		contractState.Lock()
		defer contractState.Unlock()
		if contractState.succeeded == nil {
			contractState.succeeded = map[string]bool{}
		}
		contractState.succeeded[r.Method+" "+route.Path] = true
	}
}

func unexercised() []string {
	doc, err := contractDoc()
	if err != nil {
		return []string{err.Error()}
	}
	contractState.Lock()
	defer contractState.Unlock()
	var missing []string
	for p, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !contractState.succeeded[method+" "+p] {
				missing = append(missing, method+" "+p)
			}
		}
	}
	slices.Sort(missing)
	return missing
}
