package xetcas

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"time"
)

// Claims is what a CAS access token grants: read (or read and write) access
// to the Xet content of one repo, until Exp.
type Claims struct {
	Repo  int64 // repo key
	Write bool
	Exp   time.Time
}

// tokenPrefix marks Wharf CAS tokens (and their format version).
const tokenPrefix = "wxet1."

// clockSkew is how long past its expiry a token is still accepted.
const clockSkew = 30 * time.Second

// IssueToken returns a CAS access token for repo and its expiry.
func (s *Service) IssueToken(repo int64, write bool) (string, time.Time) {
	exp := s.now().Add(s.cfg.TokenTTL).Truncate(time.Second)
	var p [17]byte
	binary.LittleEndian.PutUint64(p[0:], uint64(repo))
	if write {
		p[8] = 1
	}
	binary.LittleEndian.PutUint64(p[9:], uint64(exp.Unix()))
	payload := base64.RawURLEncoding.EncodeToString(p[:])
	return tokenPrefix + payload + "." + s.tokenMAC(payload), exp
}

func (s *Service) tokenMAC(payload string) string {
	m := hmac.New(sha256.New, s.tokenKey)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:24])
}

// CheckToken verifies a CAS access token (the value of a Bearer
// Authorization header) and that it grants write access when write is set.
// It returns an error wrapping ErrUnauthorized for a missing, malformed,
// forged or expired token and ErrForbidden for a read token used to write.
func (s *Service) CheckToken(authorization string, write bool) (Claims, error) {
	scheme, tok, _ := strings.Cut(strings.TrimSpace(authorization), " ")
	if tok == "" || !strings.EqualFold(scheme, "bearer") {
		return Claims{}, errorf(ErrUnauthorized, "missing CAS access token: get one from the Hub's xet-read-token or xet-write-token endpoint")
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(tok), tokenPrefix)
	payload, mac, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || !hmac.Equal([]byte(mac), []byte(s.tokenMAC(payload))) {
		return Claims{}, errorf(ErrUnauthorized, "invalid CAS access token")
	}
	p, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || len(p) != 17 {
		return Claims{}, errorf(ErrUnauthorized, "invalid CAS access token")
	}
	c := Claims{
		Repo:  int64(binary.LittleEndian.Uint64(p[0:])),
		Write: p[8] == 1,
		Exp:   time.Unix(int64(binary.LittleEndian.Uint64(p[9:])), 0),
	}
	if s.now().After(c.Exp.Add(clockSkew)) {
		return Claims{}, errorf(ErrUnauthorized, "CAS access token expired at %s: refresh it through the Hub's token endpoint", c.Exp.UTC().Format(time.RFC3339))
	}
	if write && !c.Write {
		return Claims{}, errorf(ErrForbidden, "this CAS access token is read-only: uploads need a token from xet-write-token")
	}
	return c, nil
}
