package secretscan

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
)

// DefaultMaxBodyBytes bounds a report body: GitHub sends small batches,
// and the body is read whole before its signature can be checked.
const DefaultMaxBodyBytes = 1 << 20

// HandlerConfig configures the handler of NewHandler.
type HandlerConfig struct {
	// Keys verify the reports. Required.
	Keys KeySource
	// Decide acts on each reported token. Required.
	Decide Decider
	// MaxBodyBytes bounds the body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Logger records refused and answered reports, never a token
	// (default: slog.Default()).
	Logger *slog.Logger
}

type handler struct {
	keys    KeySource
	decide  Decider
	maxBody int64
	log     *slog.Logger
}

// NewHandler returns the http.Handler for GitHub's reports: POST only; the
// body is bounded (413), its signature verified (401, with a body that
// does not say why), then parsed (400) and answered 200 with one Result
// per report. A KeySource without keys or a failing Decider is 503, so
// GitHub retries. Problem bodies are application/problem+json with a code
// (method_not_allowed, body_too_large, unreadable_body,
// invalid_signature, invalid_input, unavailable).
func NewHandler(cfg HandlerConfig) (http.Handler, error) {
	if cfg.Keys == nil || cfg.Decide == nil {
		return nil, errors.New("secretscan: a handler needs Keys and Decide")
	}
	if cfg.MaxBodyBytes < 0 {
		return nil, errors.New("secretscan: MaxBodyBytes must not be negative")
	}
	h := &handler{keys: cfg.Keys, decide: cfg.Decide, maxBody: cfg.MaxBodyBytes, log: cfg.Logger}
	if h.maxBody == 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeProblem(w, http.StatusMethodNotAllowed, "method_not_allowed", "Reports are sent with POST.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeProblem(w, http.StatusRequestEntityTooLarge, "body_too_large", "The report body is too large.")
			return
		}
		writeProblem(w, http.StatusBadRequest, "unreadable_body", "The report body could not be read.")
		return
	}
	if err := VerifyRequest(ctx, h.keys, r.Header, body); err != nil {
		if errors.Is(err, ErrInvalidSignature) {
			h.log.WarnContext(ctx, "secret scanning: report refused", "reason", err, "remote", r.RemoteAddr)
			writeProblem(w, http.StatusUnauthorized, "invalid_signature", "The report's signature could not be verified.")
			return
		}
		h.log.ErrorContext(ctx, "secret scanning: cannot verify reports", "error", err)
		writeProblem(w, http.StatusServiceUnavailable, "unavailable", "Reports cannot be verified right now; try again later.")
		return
	}
	reports, err := ParseReports(body)
	if err != nil {
		writeProblem(w, http.StatusBadRequest, "invalid_input", err.Error())
		return
	}
	results, err := Respond(ctx, reports, h.decide)
	if err != nil {
		h.log.ErrorContext(ctx, "secret scanning: acting on a report failed", "error", err)
		writeProblem(w, http.StatusServiceUnavailable, "unavailable", "The report could not be processed; try again later.")
		return
	}
	found := 0
	for _, res := range results {
		if res.Label == TruePositive {
			found++
		}
	}
	h.log.InfoContext(ctx, "secret scanning: report answered", "reported", len(results), "true_positives", found)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(results) //nolint:errcheck // the sender may be gone; it will retry
}

// problem is the RFC 9457 body every problem of this library carries.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
}

func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(problem{ //nolint:errcheck // the client may be gone
		Type:   "urn:serviceaccounts:problem:" + code,
		Title:  http.StatusText(status),
		Status: status,
		Detail: detail,
		Code:   code,
	})
}
