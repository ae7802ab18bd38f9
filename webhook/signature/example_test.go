package signature_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/webhook/signature"
)

// A sender signs each delivery attempt; the secret prints redacted.
func ExampleSetHeaders() {
	secret, err := signature.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		panic(err)
	}
	body := []byte(`{"test": 2432232314}`)
	h := http.Header{}
	if err := signature.SetHeaders(h, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), body, secret); err != nil {
		panic(err)
	}
	fmt.Println(signature.HeaderID+":", h.Get(signature.HeaderID))
	fmt.Println(signature.HeaderTimestamp+":", h.Get(signature.HeaderTimestamp))
	fmt.Println(signature.HeaderSignature+":", h.Get(signature.HeaderSignature))
	fmt.Println("secret:", secret)
	// Output:
	// webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek
	// webhook-timestamp: 1614265330
	// webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
	// secret: whsec_[redacted]
}

// A receiver verifies the headers and the raw body before it parses it.
func ExampleVerifier_Verify() {
	secret, _ := signature.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	clock := clockwork.NewFakeClockAt(time.Unix(1614265330, 0).Add(time.Minute))
	v, err := signature.NewVerifier(signature.VerifierConfig{Secrets: []signature.Secret{secret}, Clock: clock})
	if err != nil {
		panic(err)
	}
	h := http.Header{}
	h.Set("Webhook-Id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("Webhook-Timestamp", "1614265330")
	h.Set("Webhook-Signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")

	fmt.Println(v.Verify(h, []byte(`{"test": 2432232314}`)))
	fmt.Println(v.Verify(h, []byte(`{"test": 1}`)))
	clock.Advance(5 * time.Minute)
	fmt.Println(v.Verify(h, []byte(`{"test": 2432232314}`)))
	// Output:
	// <nil>
	// signature: webhook verification failed: no signature matches
	// signature: webhook verification failed: timestamp is too old
}
