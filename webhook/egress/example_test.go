package egress_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"

	"github.com/seed-c7fc2061/serviceaccounts/webhook/egress"
)

// URLs are checked when a webhook is created: first their shape, then the
// addresses their host resolves to.
func ExampleClient_CheckURL() {
	c, err := egress.NewClient(egress.Config{})
	if err != nil {
		panic(err)
	}
	for _, raw := range []string{
		"https://user:pw@hooks.example.com/in",
		"ftp://hooks.example.com/in",
		"http://169.254.169.254/latest/meta-data/",
		"http://[::ffff:10.0.0.7]/in",
		"https://93.184.215.14/in",
	} {
		_, err := c.CheckURL(context.Background(), raw)
		fmt.Println(err)
	}
	// Output:
	// egress: invalid webhook URL: it contains user information (user:password@); put credentials elsewhere
	// egress: invalid webhook URL: scheme "ftp" is not allowed; use https or http
	// egress: 169.254.169.254 is a link-local address; webhooks may not deliver to it
	// egress: ::ffff:10.0.0.7 is a private address; webhooks may not deliver to it
	// <nil>
}

// Deliveries are checked again at connect time; AllowPrivate lets a test
// reach its receiver on 127.0.0.1.
func ExampleClient_Post() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()

	strict, _ := egress.NewClient(egress.Config{})
	_, err := strict.Post(context.Background(), srv.URL, nil, []byte(`{}`))
	fmt.Println("strict:", err != nil, egress.Classify(netip.MustParseAddr("127.0.0.1")))

	lax, _ := egress.NewClient(egress.Config{AllowPrivate: true})
	resp, err := lax.Post(context.Background(), srv.URL, nil, []byte(`{}`))
	fmt.Println("allowed:", resp.StatusCode, err)
	// Output:
	// strict: true loopback
	// allowed: 202 <nil>
}
