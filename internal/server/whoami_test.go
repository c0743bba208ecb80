package server_test

import (
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/wharfhub/wharf/internal/server/servertest"
	"github.com/wharfhub/wharf/wire"
)

type whoami struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Orgs []struct {
		Name string `json:"name"`
	} `json:"orgs"`
	Auth struct {
		AccessToken struct {
			DisplayName string `json:"displayName"`
			Role        string `json:"role"`
		} `json:"accessToken"`
	} `json:"auth"`
}

func TestWhoamiNamesUserOrgsAndTokenRole(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		tests := []struct {
			name, token, user, role string
			orgs                    []string
		}{
			{"alice", h.Alice, "alice", "write", nil},
			{"bob in acme", h.Bob, "bob", "write", []string{"acme"}},
			{"carol read-only", h.Carol, "carol", "read", nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var w whoami
				h.JSON(t, http.MethodGet, "/api/whoami-v2", tc.token, nil, http.StatusOK, &w)
				if w.Name != tc.user || w.Type != "user" {
					t.Errorf("name %q type %q, want %q user", w.Name, w.Type, tc.user)
				}
				if w.Auth.AccessToken.Role != tc.role {
					t.Errorf("token role %q, want %q", w.Auth.AccessToken.Role, tc.role)
				}
				if w.Auth.AccessToken.DisplayName == "" {
					t.Errorf("token displayName is empty")
				}
				var orgs []string
				for _, o := range w.Orgs {
					orgs = append(orgs, o.Name)
				}
				if len(orgs) != len(tc.orgs) || (len(orgs) > 0 && orgs[0] != tc.orgs[0]) {
					t.Errorf("orgs %v, want %v", orgs, tc.orgs)
				}
			})
		}
	})
}

func TestWhoamiRejectsMissingAndBadCredentials(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		tests := []struct {
			name string
			hdr  []string
		}{
			{"no token", nil},
			{"unknown bearer token", []string{"Authorization", "Bearer hf_notAValidTokenAtAllxxxxxxxxxxxxxxxx"}},
			{"token without hf_ prefix", []string{"Authorization", "Bearer abc"}},
			{"unknown scheme", []string{"Authorization", "Token " + h.Alice}},
			{"basic auth with bad base64", []string{"Authorization", "Basic %%%"}},
			{"basic auth with wrong password", []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("hf_user:hf_wrongwrongwrongwrongwrong"))}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				resp := h.Do(t, http.MethodGet, "/api/whoami-v2", "", nil, tc.hdr...)
				servertest.ExpectError(t, resp, http.StatusUnauthorized, "", wire.MessageInvalidCredentials)
				if got := resp.Header.Get(wire.HeaderErrorMessage); got != wire.MessageInvalidCredentials {
					t.Errorf("X-Error-Message %q, want exactly %q", got, wire.MessageInvalidCredentials)
				}
			})
		}
	})
}

func TestBadTokenIsRejectedEvenOnPublicRepo(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		h.CreateRepo(t, h.Alice, "alice/pub", false)
		resp := h.Do(t, http.MethodGet, "/api/models/alice/pub", "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", nil)
		servertest.ExpectError(t, resp, http.StatusUnauthorized, "", wire.MessageInvalidCredentials)
	})
}

func TestWhoamiAcceptsTokenAsBasicPassword(t *testing.T) {
	servertest.Run(t, func(t *testing.T, h *servertest.Hub) {
		for _, user := range []string{"hf_user", "alice", ""} {
			basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+h.Alice))
			resp := h.Do(t, http.MethodGet, "/api/whoami-v2", "", nil, "Authorization", basic)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("user %q: status %d; body %s", user, resp.StatusCode, servertest.Body(resp))
			}
		}
		var w whoami
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("hf_user:"+h.Bob))
		resp := h.Do(t, http.MethodGet, "/api/whoami-v2", "", nil, "Authorization", basic)
		if err := jsonUnmarshal(servertest.Body(resp), &w); err != nil || w.Name != "bob" {
			t.Errorf("whoami with bob's token as basic password: name %q (err %v)", w.Name, err)
		}
	})
}
