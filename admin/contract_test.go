package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The contract tests: every handler that New or RequireBearerToken builds
// in this test binary is wrapped (through contractHook) in a check of each
// exchange against openapi.json, however the test sends its request
// (env.do, a recorder, a real server, an Example). A departure replaces
// the response with a 500 whose detail says what departed, so the test
// that made the request fails on its status, and TestMain fails the run
// as well, in case a test did not look at the response.
//
// What is checked, with kin-openapi's validator (OpenAPI 3.1, JSON
// Schema 2020-12):
//   - every response against the document: its status must be one the
//     operation lists, its headers and body must match that response;
//   - a request the document refuses must be refused with a 4xx: the
//     handler may be stricter than the document (limits it cannot
//     express), never looser;
//   - a path the document does not have is 404, a method it does not
//     list for the path is 405, both as problem+json;
//   - every problem's type is urn:serviceaccounts:problem:<its code>.

func init() {
	contractHook = func(h http.Handler) http.Handler { return contractChecked{h} }
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if v := contractViolations(); len(v) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d exchanges departed from openapi.json:\n", len(v))
		for _, s := range v {
			fmt.Fprintln(os.Stderr, "  "+s)
		}
		code = 1
	}
	// When every test ran, every operation of the document must have
	// been answered with success at least once, so that none is
	// described without being checked.
	if f := flag.Lookup("test.run"); code == 0 && f != nil && f.Value.String() == "" {
		if missing := unexercisedOperations(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: no test got a 2xx from these operations of openapi.json: %s\n", strings.Join(missing, ", "))
			code = 1
		}
	}
	os.Exit(code)
}

// contract is the document loaded once, with a router whose paths are
// relative to the mount point, as the handler sees them.
var contract = sync.OnceValues(func() (*contractDoc, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPIDocument)
	if err != nil {
		return nil, fmt.Errorf("load openapi.json: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi.json is not a valid OpenAPI document: %w", err)
	}
	// Routes are matched on the path the handler sees, below the mount
	// point, so route without the example server's /admin.
	routed := *doc
	routed.Servers = nil
	router, err := gorillamux.NewRouter(&routed)
	if err != nil {
		return nil, fmt.Errorf("route openapi.json: %w", err)
	}
	return &contractDoc{doc: doc, router: router}, nil
})

type contractDoc struct {
	doc    *openapi3.T
	router routers.Router
}

var violations struct {
	sync.Mutex
	list []string
}

// succeeded holds the operations ("GET /service-accounts/{id}") that
// answered a checked request with a 2xx.
var succeeded sync.Map

func unexercisedOperations() []string {
	c, err := contract()
	if err != nil {
		return []string{err.Error()}
	}
	var missing []string
	for p, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			if _, ok := succeeded.Load(method + " " + p); !ok {
				missing = append(missing, method+" "+p)
			}
		}
	}
	slices.Sort(missing)
	return missing
}

func contractViolations() []string {
	violations.Lock()
	defer violations.Unlock()
	return violations.list
}

// checkedKey marks a request whose exchange an outer wrapper checks, so
// that RequireBearerToken(New(…)) is checked once.
type checkedKey struct{}

type contractChecked struct{ next http.Handler }

func (c contractChecked) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Context().Value(checkedKey{}) != nil {
		c.next.ServeHTTP(w, r)
		return
	}
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			panic(fmt.Sprintf("contract check: read the request body: %v", err))
		}
	}
	served := r.Clone(context.WithValue(r.Context(), checkedKey{}, true))
	served.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	c.next.ServeHTTP(rec, served)

	res := rec.Result()
	resBody := rec.Body.Bytes()
	if err := checkExchange(r, body, res.StatusCode, res.Header, resBody); err != nil {
		msg := fmt.Sprintf("%s %s -> %d: %v", r.Method, r.URL.RequestURI(), res.StatusCode, err)
		violations.Lock()
		violations.list = append(violations.list, msg)
		violations.Unlock()
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"title": "Contract violation", "status": 500, "detail": "departs from openapi.json: " + msg,
		})
		return
	}
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(resBody)
}

// checkExchange checks one request (its body given apart, as the handler
// consumed the original) and the response to it against the document.
func checkExchange(r *http.Request, reqBody []byte, status int, header http.Header, resBody []byte) error {
	c, err := contract()
	if err != nil {
		return err
	}
	if err := checkProblemType(header, resBody); err != nil {
		return err
	}
	req := r.Clone(context.Background())
	// A body of only white space is no body, as the document says.
	req.Body = http.NoBody
	if len(bytes.TrimLeft(reqBody, " \t\r\n")) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	// The document's bodies are application/json; its description says
	// that any application/*+json type is taken alike, which OpenAPI's
	// media ranges cannot express.
	if mt, params, err := mime.ParseMediaType(req.Header.Get("Content-Type")); err == nil &&
		strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json") {
		req.Header.Set("Content-Type", mime.FormatMediaType("application/json", params))
	}
	if req.Method == http.MethodHead {
		// ServeMux serves HEAD with the GET route; the document lists GET.
		req.Method = http.MethodGet
	}
	route, pathParams, err := c.router.FindRoute(req)
	if err != nil {
		return checkUnrouted(c, req, err, status, header, resBody)
	}
	opts := &openapi3filter.Options{
		// Who is an administrator is the application's to decide; the
		// 401s of RequireBearerToken are checked as responses.
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		// Undocumented statuses are departures too.
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route, Options: opts}
	if reqErr := openapi3filter.ValidateRequest(context.Background(), in); reqErr != nil && (status < 400 || status >= 500) {
		return fmt.Errorf("the handler answered %d to a request the document refuses: %w", status, reqErr)
	}
	if status < 300 {
		succeeded.Store(req.Method+" "+route.Path, true)
	}
	if r.Method == http.MethodHead {
		return nil
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header, Options: opts}
	out.SetBodyBytes(resBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("the response departs from the document: %w", err)
	}
	return nil
}

// checkUnrouted checks the answer to a request for which the document has
// no operation: 404 for a path it lacks (or one that needs cleaning), 405
// with Allow for a method it does not list.
func checkUnrouted(c *contractDoc, req *http.Request, routeErr error, status int, header http.Header, resBody []byte) error {
	want, response := http.StatusNotFound, "NotFound"
	p := req.URL.EscapedPath()
	clean := p != "" && (path.Clean(p) == p || path.Clean(p)+"/" == p)
	if errors.Is(routeErr, routers.ErrMethodNotAllowed) && clean {
		want, response = http.StatusMethodNotAllowed, "MethodNotAllowed"
	}
	if status != want {
		return fmt.Errorf("no operation in the document (%v), so the answer must be %d, not %d", routeErr, want, status)
	}
	ref := c.doc.Components.Responses[response].Value
	for name, h := range ref.Headers {
		if h.Value.Required && header.Get(name) == "" {
			return fmt.Errorf("%d without the %s header", status, name)
		}
	}
	if ct := header.Get("Content-Type"); ct != "application/problem+json" {
		return fmt.Errorf("%d with Content-Type %q, not application/problem+json", status, ct)
	}
	schema := ref.Content.Get("application/problem+json").Schema.Value
	var v any
	if err := json.Unmarshal(resBody, &v); err != nil {
		return fmt.Errorf("%d with a body that is not JSON: %w", status, err)
	}
	if err := schema.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
		return fmt.Errorf("the %d problem departs from the document: %w", status, err)
	}
	return nil
}

// checkProblemType checks what JSON Schema cannot say: that a problem's
// type names its code.
func checkProblemType(header http.Header, body []byte) error {
	if !strings.HasPrefix(header.Get("Content-Type"), "application/problem+json") {
		return nil
	}
	var p struct{ Type, Code string }
	if err := json.Unmarshal(body, &p); err != nil {
		return fmt.Errorf("a problem body that is not JSON: %w", err)
	}
	if want := problemTypePrefix + p.Code; p.Type != want {
		return fmt.Errorf("problem type %q, want %q", p.Type, want)
	}
	return nil
}
