package up_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/upapi/up-go/up"
)

// TestUserGenderForms checks that a profile decodes whichever form of
// gender the server sends: the boolean of the trends example or the number
// Jawbone's iOS SDK read. One odd field must not take the profile away.
func TestUserGenderForms(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		gender string
		female bool
	}{{"true", true}, {"false", false}, {"1", true}, {"0", false}, {"2", true}} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"meta":{"user_xid":"6xl39CsoVp2KirfHwVq_Fx","message":"OK","code":200,"time":1386122022},` +
				`"data":{"xid":"6xl39CsoVp2KirfHwVq_Fx","first":"James","gender":` + tc.gender + `}}`))
		}))
		cfg := &up.Config{ClientID: "id", ClientSecret: "secret", BaseURL: srv.URL + "/nudge/api/v.1.1"}
		user, _, err := cfg.ClientFromAccessToken("token").User(t.Context())
		srv.Close()
		if err != nil {
			t.Errorf("gender %s: %v", tc.gender, err)
			continue
		}
		if user.Gender == nil || user.Gender.Female() != tc.female {
			t.Errorf("gender %s: decoded %v, want female=%v", tc.gender, user.Gender, tc.female)
		}
	}
}
