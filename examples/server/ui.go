package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/seed-c7fc2061/serviceaccounts/admin"
	"github.com/seed-c7fc2061/serviceaccounts/adminui"
	"github.com/seed-c7fc2061/serviceaccounts/auththrottle"
	"github.com/seed-c7fc2061/serviceaccounts/clientaddr"
	"github.com/seed-c7fc2061/serviceaccounts/serviceaccount"
)

// The admin page lives at uiPrefix behind a login form that takes the
// admin token and hands out a session cookie. The cookie holds a random
// session id, never the token, and is scoped to /admin/.
const (
	uiPrefix          = "/admin/ui"
	sessionCookieName = "sa_admin_session"
	sessionLifetime   = 8 * time.Hour
	// maxSessions bounds the memory a flood of logins can take; the
	// oldest session gives way to a new one.
	maxSessions = 1000
)

// mountUI registers the admin page, its login and its logout on mux. The
// login counts its own wrong tokens per client address, apart from the
// admin API's.
func mountUI(mux *http.ServeMux, mgr *serviceaccount.Manager, cfg config, log *slog.Logger, clock clockwork.Clock) error {
	page, err := adminui.New(mgr, adminui.Config{
		Prefix:    uiPrefix,
		LogoutURL: uiPrefix + "/logout",
		Logger:    log,
		// The same actor as the JSON API: whoever holds the token.
		Actor: admin.RequestActor(adminActorID),
		// The example has one administrator, the token's holder, who may
		// see every tenant; an application with several would decide here
		// from the signed-in user.
		TenantAllowed: func(*http.Request, string) bool { return true },
	})
	if err != nil {
		return err
	}
	sessions := newSessionStore(clock, sessionLifetime, maxSessions)
	throttle, err := auththrottle.New(auththrottle.Config{Clock: clock})
	if err != nil {
		return err
	}
	ui := &uiAuth{
		sessions:   sessions,
		throttle:   throttle,
		clientAddr: cfg.clientAddr,
		token:      sha256.Sum256([]byte(cfg.adminToken)),
		cop:        http.NewCrossOriginProtection(),
		page:       page,
	}
	mux.HandleFunc(uiPrefix, func(w http.ResponseWriter, r *http.Request) {
		// The bare prefix: only a GET may be redirected.
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.NotFound(w, r)
			return
		}
		http.Redirect(w, r, uiPrefix+"/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET "+uiPrefix+"/login", ui.loginForm)
	mux.HandleFunc("POST "+uiPrefix+"/login", ui.login)
	mux.HandleFunc("POST "+uiPrefix+"/logout", ui.logout)
	// The stylesheet and script are public, so the login form is styled.
	mux.Handle("GET "+uiPrefix+"/assets/", http.StripPrefix(uiPrefix, ui.page))
	mux.Handle(uiPrefix+"/", http.StripPrefix(uiPrefix, ui.requireSession(ui.page)))
	return nil
}

type uiAuth struct {
	sessions   *sessionStore
	throttle   *auththrottle.Throttle
	clientAddr clientaddr.Func
	token      [sha256.Size]byte
	cop        *http.CrossOriginProtection
	page       http.Handler
}

// requireSession passes requests with a live session to next. Without one,
// a GET is sent to the login form; anything else is refused with 401,
// because no redirect may answer a non-GET request.
func (u *uiAuth) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(sessionCookieName); err == nil && u.sessions.valid(c.Value) {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			http.Redirect(w, r, uiPrefix+"/login", http.StatusSeeOther)
			return
		}
		renderLogin(w, http.StatusUnauthorized, "Your session has ended. Log in again.")
	})
}

func (u *uiAuth) loginForm(w http.ResponseWriter, r *http.Request) {
	renderLogin(w, http.StatusOK, "")
}

func (u *uiAuth) login(w http.ResponseWriter, r *http.Request) {
	if err := u.cop.Check(r); err != nil {
		renderLogin(w, http.StatusForbidden, "This form was sent from another site, so it was refused.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		renderLogin(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	token := r.PostForm.Get("token")
	if token == "" {
		// Not an attempt: nothing to count.
		renderLogin(w, http.StatusUnauthorized, "Enter the admin token.")
		return
	}
	attempt, retryAfter, ok := u.throttle.Begin(u.clientAddr(r))
	if !ok {
		// Even the right token: a guesser must not learn that it hit.
		secs := strconv.FormatInt(int64(retryAfter/time.Second), 10)
		w.Header().Set("Retry-After", secs)
		renderLogin(w, http.StatusTooManyRequests, "Too many wrong tokens were tried from your address. Try again in "+secs+" seconds.")
		return
	}
	sum := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(sum[:], u.token[:]) != 1 {
		attempt.Done(true)
		renderLogin(w, http.StatusUnauthorized, "The admin token is not valid.")
		return
	}
	attempt.Done(false)
	id := u.sessions.create()
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookieName,
		Value:    id,
		Path:     "/admin/",
		MaxAge:   int(sessionLifetime / time.Second),
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, uiPrefix+"/", http.StatusSeeOther)
}

func (u *uiAuth) logout(w http.ResponseWriter, r *http.Request) {
	if err := u.cop.Check(r); err != nil {
		renderLogin(w, http.StatusForbidden, "This form was sent from another site, so it was refused.")
		return
	}
	if c, err := r.Cookie(sessionCookieName); err == nil {
		u.sessions.delete(c.Value)
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookieName, Value: "", Path: "/admin/", MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, uiPrefix+"/login", http.StatusSeeOther)
}

var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Log in · Service Accounts</title>
<link rel="icon" href="{{.Prefix}}/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{{.Prefix}}/assets/app.css">
</head>
<body>
<header class="topbar"><nav aria-label="Admin"><span class="brand">Service Accounts</span></nav></header>
<main id="main">
<div class="page-head"><div><h1>Log in</h1><p class="subtitle">Enter the server's admin token to manage service accounts.</p></div></div>
<section class="panel">
<form method="post" action="{{.Prefix}}/login">
  {{if .Error}}<p class="form-error" role="alert" id="token-error">{{.Error}}</p>{{end}}
  <div class="field">
    <label for="token">Admin token</label>
    <input id="token" name="token" type="password" required autocomplete="current-password"{{if .Error}} aria-invalid="true" aria-describedby="token-error"{{end}}>
  </div>
  <div class="actions start"><button type="submit" class="primary">Log in</button></div>
</form>
</section>
</main>
</body>
</html>
`))

// renderLogin answers with the login form and the page's security headers.
func renderLogin(w http.ResponseWriter, status int, message string) {
	var buf bytes.Buffer
	if err := loginPage.Execute(&buf, struct{ Prefix, Error string }{uiPrefix, message}); err != nil {
		http.Error(w, "The login form could not be shown.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", adminui.ContentSecurityPolicy)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// sessionStore keeps login sessions in memory, keyed by the SHA-256 of the
// session id, so the map holds nothing a memory dump could replay and a
// lookup's timing says nothing about the ids.
type sessionStore struct {
	clock    clockwork.Clock
	lifetime time.Duration
	max      int
	mu       sync.Mutex
	expiries map[[sha256.Size]byte]time.Time
}

func newSessionStore(clock clockwork.Clock, lifetime time.Duration, max int) *sessionStore {
	return &sessionStore{clock: clock, lifetime: lifetime, max: max, expiries: map[[sha256.Size]byte]time.Time{}}
}

// create starts a session and returns its id: 256 random bits.
func (s *sessionStore) create() string {
	id := base64.RawURLEncoding.EncodeToString(randomBytes(32))
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, exp := range s.expiries {
		if !now.Before(exp) {
			delete(s.expiries, k)
		}
	}
	if len(s.expiries) >= s.max {
		var oldest [sha256.Size]byte
		var oldestExp time.Time
		for k, exp := range s.expiries {
			if oldestExp.IsZero() || exp.Before(oldestExp) {
				oldest, oldestExp = k, exp
			}
		}
		delete(s.expiries, oldest)
	}
	s.expiries[sha256.Sum256([]byte(id))] = now.Add(s.lifetime)
	return id
}

func (s *sessionStore) valid(id string) bool {
	if id == "" {
		return false
	}
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.expiries[k]
	if !ok {
		return false
	}
	if !s.clock.Now().Before(exp) {
		delete(s.expiries, k)
		return false
	}
	return true
}

func (s *sessionStore) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.expiries, sha256.Sum256([]byte(id)))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}
