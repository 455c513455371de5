package uptest

import (
	"crypto/subtle"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// loginPage is a login page that was shown and not answered yet, under its
// CSRF token.
type loginPage struct {
	req     *authRequest
	expires time.Time
}

// maxListedAccounts bounds the accounts the login page suggests.
const maxListedAccounts = 50

// loginTemplate is the login page, like UP's: who asks, for what, a sign-in
// form and the two buttons. It needs no script and loads nothing.
var loginTemplate = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>UP - Sign in to allow {{.App}}</title>
<style>
body{margin:0;background:#f2f2f2;color:#222;font:15px/1.45 "Helvetica Neue",Helvetica,Arial,sans-serif}
header{background:#111;color:#fff;padding:14px 24px;font-weight:bold;letter-spacing:.3em}
header span{color:#ff6a13}
main{max-width:440px;margin:32px auto;background:#fff;padding:28px 32px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:21px;margin:0 0 12px}
ul{padding-left:20px;margin:8px 0 20px}
li{margin:4px 0}
code{font-size:12px;color:#666}
label{display:block;font-weight:bold;margin:12px 0 4px}
input{width:100%;box-sizing:border-box;padding:9px;border:1px solid #bbb;border-radius:3px;font-size:15px}
.buttons{display:flex;gap:12px;margin-top:22px}
button{flex:1;padding:11px;border:0;border-radius:3px;font-size:15px;font-weight:bold;cursor:pointer}
#allow{background:#ff6a13;color:#fff}
#deny{background:#ddd;color:#222}
.error{background:#fde8e8;border:1px solid #e0a0a0;color:#900;padding:9px 12px;border-radius:3px;margin-bottom:12px}
footer{max-width:440px;margin:0 auto 32px;color:#777;font-size:12px}
</style></head>
<body>
<header>UP <span>by Jawbone</span></header>
<main>
<h1>Sign in to allow <span id="app">{{.App}}</span></h1>
<p><strong>{{.App}}</strong> would like to access your UP data:</p>
<ul id="scopes">{{range .Scopes}}
<li>{{.Description}} <code>{{.Name}}</code></li>{{end}}
</ul>
{{if .Problem}}<p class="error" id="error" role="alert">{{.Problem}}</p>
{{end}}<form method="post" action="{{.Action}}">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" list="accounts" value="{{.Email}}" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<div class="buttons">
<button id="allow" type="submit" name="decision" value="allow">Allow</button>
<button id="deny" type="submit" name="decision" value="deny" formnovalidate>Deny</button>
</div>
</form>
<datalist id="accounts">{{range .Accounts}}<option value="{{.Email}}">{{.Name}}</option>{{end}}</datalist>
</main>
<footer>This is a fake UP server for tests (up-go's uptest). Its users sign in as
{{.FirstEmail}}{{if .More}} to {{.LastEmail}}{{end}} with the password <code>{{.Password}}</code>,
unless the test gave them others.</footer>
</body></html>
`))

type scopeLine struct{ Name, Description string }

type accountLine struct{ Email, Name string }

type loginView struct {
	App, Action, CSRF, Email, Problem string
	Scopes                            []scopeLine
	Accounts                          []accountLine
	FirstEmail, LastEmail, Password   string
	More                              bool
}

// scopeDescription is the spec's description of scope.
func (s *Server) scopeDescription(scope string) string {
	if sc := s.contract.doc.Components.SecuritySchemes["upOAuth"]; sc != nil && sc.Value != nil &&
		sc.Value.Flows != nil && sc.Value.Flows.AuthorizationCode != nil {
		if d := sc.Value.Flows.AuthorizationCode.Scopes[scope]; d != "" {
			return d
		}
	}
	return scope
}

// showLoginPage shows the login page of req, with a fresh CSRF token, the
// email to fill in, and a problem with the last attempt.
func (s *Server) showLoginPage(w http.ResponseWriter, req *authRequest, email, problem string) {
	token := randomToken()
	now := s.now()
	s.oauth.mu.Lock()
	for k, p := range s.oauth.pages {
		if !now.Before(p.expires) {
			delete(s.oauth.pages, k)
		}
	}
	s.oauth.pages[token] = &loginPage{req: req, expires: now.Add(codeLifetime)}
	s.oauth.mu.Unlock()

	users := s.Users()
	v := loginView{
		App: s.cfg.appName, Action: authPath, CSRF: token, Email: email, Problem: problem,
		FirstEmail: users[0].email, LastEmail: users[len(users)-1].email, More: len(users) > 1, Password: DefaultPassword,
	}
	for _, sc := range req.scopes {
		v.Scopes = append(v.Scopes, scopeLine{Name: sc, Description: s.scopeDescription(sc)})
	}
	for _, u := range users[:min(len(users), maxListedAccounts)] {
		v.Accounts = append(v.Accounts, accountLine{Email: u.email, Name: u.Name()})
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusOK)
	_ = loginTemplate.Execute(w, v)
}

// answerLoginPage takes the login page's form. Its CSRF token must be one
// the server put in a page it showed, not yet used or expired; Deny sends
// the browser back with error=access_denied, Allow with the right email and
// password with a code for that user, and a wrong one shows the page again.
func (s *Server) answerLoginPage(w http.ResponseWriter, r *http.Request, form url.Values) {
	if origin := r.Header.Get("Origin"); origin != "" && origin != "null" && origin != "http://"+r.Host {
		authPage(w, http.StatusForbidden, "The sign-in form was sent from another site.")
		return
	}
	token := form.Get("csrf_token")
	s.oauth.mu.Lock()
	page, ok := s.oauth.pages[token]
	delete(s.oauth.pages, token)
	s.oauth.mu.Unlock()
	if token == "" || !ok || !s.now().Before(page.expires) {
		authPage(w, http.StatusForbidden, "The sign-in form is not one this server showed, or it was already sent or has expired. Start again from the app.")
		return
	}
	req := page.req
	switch form.Get("decision") {
	case "deny":
		redirect(w, req.back(denied()), http.StatusSeeOther)
	case "allow":
		email := form.Get("email")
		u, ok := s.User(email)
		if !ok || !strings.EqualFold(u.email, email) ||
			subtle.ConstantTimeCompare([]byte(form.Get("password")), []byte(u.password)) != 1 {
			s.showLoginPage(w, req, email, "The email or password is incorrect.")
			return
		}
		redirect(w, req.back(s.grantCode(req, u)), http.StatusSeeOther)
	default:
		s.showLoginPage(w, req, form.Get("email"), "Choose Allow or Deny.")
	}
}
