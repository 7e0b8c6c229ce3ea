package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
)

// secrets are the credentials the server checks. They come from the
// environment or, for a part it leaves unset, from a file in the data
// directory that serve and worker generate. Service tokens are at least
// auth.MinServiceTokenLen bytes, wherever they come from.
type secrets struct {
	ServiceTokens []string `json:"service_tokens,omitempty"`
	// CustomerSecret is one or more HS256 secrets, comma-separated: the
	// first signs, all verify (see customerSecrets).
	CustomerSecret string `json:"customer_token_secret,omitempty"`
	// generated names what this call generated and wrote to the file, in
	// words ("a service token", "a customer token secret"); nil when the
	// call generated nothing.
	generated []string
}

const secretsFile = "secrets.json"

// newServiceToken and newCustomerSecret are random credentials: 36 and 43
// bytes of base64url.
func newServiceToken() string   { return "svc_" + randomString(24) }
func newCustomerSecret() string { return randomString(32) }

// tokenNewHint says how to make a long enough token.
const tokenNewHint = "run `eligo token new` for a random service token and customer token secret"

// loadSecrets reads ELIGO_SERVICE_TOKENS and ELIGO_CUSTOMER_TOKEN_SECRET; a
// part the environment leaves unset is read from dataDir/secrets.json and,
// when the file lacks it, generated at random and written there (mode
// 0600). Only serve and worker, which own the data directory, call it.
func loadSecrets(getenv func(string) string, dataDir string) (secrets, error) {
	s, err := envSecrets(getenv)
	if err != nil || s.complete() {
		return s, err
	}
	path := filepath.Join(dataDir, secretsFile)
	stored, err := storedSecrets(dataDir)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return secrets{}, err
	}
	s.fill(stored)
	if len(s.ServiceTokens) == 0 {
		stored.ServiceTokens = []string{newServiceToken()}
		stored.generated = append(stored.generated, "a service token")
	}
	if s.CustomerSecret == "" {
		stored.CustomerSecret = newCustomerSecret()
		stored.generated = append(stored.generated, "a customer token secret")
	}
	if len(stored.generated) == 0 {
		return s, nil
	}
	if err := writeSecrets(dataDir, stored, exists); errors.Is(err, fs.ErrExist) {
		return loadSecrets(getenv, dataDir) // another process wrote it first
	} else if err != nil {
		return secrets{}, fmt.Errorf("writing %s: %w", path, err)
	}
	s.fill(stored)
	s.generated = stored.generated
	return s, nil
}

// readSecrets reads the secrets as loadSecrets does but never creates any:
// the commands that use a server's secrets (token, load) must find the
// ones that server checks. A part found nowhere is left empty.
func readSecrets(getenv func(string) string, dataDir string) (secrets, error) {
	s, err := envSecrets(getenv)
	if err != nil || s.complete() {
		return s, err
	}
	stored, err := storedSecrets(dataDir)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	} else if err != nil {
		return secrets{}, err
	}
	s.fill(stored)
	return s, nil
}

// missingSecretError says that the secret named by variable was found
// neither in the environment nor in dataDir, and how to point a command at
// a running server's secrets.
func missingSecretError(cmd, what, variable, dataDir string) error {
	path, err := filepath.Abs(filepath.Join(dataDir, secretsFile))
	if err != nil {
		path = filepath.Join(dataDir, secretsFile)
	}
	return fmt.Errorf("%s: no %s: %s is not set and %s does not hold one; "+
		"eligo %s never makes secrets up: point it at the running server's data directory "+
		"with --data-dir DIR (or ELIGO_DATA_DIR), the server's --data-dir, "+
		"or set %s to the value the server has", cmd, what, variable, path, cmd, variable)
}

// envSecrets reads the secrets the environment sets and checks the
// service tokens' length.
func envSecrets(getenv func(string) string) (secrets, error) {
	var s secrets
	for i, t := range strings.Split(getenv("ELIGO_SERVICE_TOKENS"), ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if err := auth.CheckServiceToken(t); err != nil {
			return secrets{}, fmt.Errorf("ELIGO_SERVICE_TOKENS: token %d: %s; %s", i+1, eligo.ErrorMessage(err), tokenNewHint)
		}
		s.ServiceTokens = append(s.ServiceTokens, t)
	}
	s.CustomerSecret = getenv("ELIGO_CUSTOMER_TOKEN_SECRET")
	return s, nil
}

// customerSecrets returns the customer token secrets: the one that signs
// (eligo token customer, the demo) and the retired ones, which only
// verify. ELIGO_CUSTOMER_TOKEN_SECRET lists them comma-separated, the
// signing one first, so that a rotation puts the new secret in front and
// drops the old one once the tokens it signed have expired.
func (s *secrets) customerSecrets() (signing []byte, retired [][]byte) {
	for i, part := range strings.Split(s.CustomerSecret, ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
		case i == 0:
			signing = []byte(part)
		default:
			retired = append(retired, []byte(part))
		}
	}
	return signing, retired
}

// signingSecret is the customer token secret that signs.
func (s *secrets) signingSecret() []byte {
	signing, _ := s.customerSecrets()
	return signing
}

// complete reports whether s has both parts.
func (s *secrets) complete() bool { return len(s.ServiceTokens) > 0 && s.CustomerSecret != "" }

// fill takes from stored each part s lacks.
func (s *secrets) fill(stored secrets) {
	if len(s.ServiceTokens) == 0 {
		s.ServiceTokens = stored.ServiceTokens
	}
	if s.CustomerSecret == "" {
		s.CustomerSecret = stored.CustomerSecret
	}
}

// storedSecrets reads dataDir/secrets.json; the error is fs.ErrNotExist
// when there is none. The file may hold only one of the parts (the
// environment gave the other when it was written).
func storedSecrets(dataDir string) (secrets, error) {
	path := filepath.Join(dataDir, secretsFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return secrets{}, err
	} else if err != nil {
		return secrets{}, fmt.Errorf("reading secrets: %w", err)
	}
	var s secrets
	if err := json.Unmarshal(data, &s); err != nil || (len(s.ServiceTokens) == 0 && s.CustomerSecret == "") {
		return secrets{}, fmt.Errorf("%s is damaged; remove it to generate new secrets, or set ELIGO_SERVICE_TOKENS and ELIGO_CUSTOMER_TOKEN_SECRET", path)
	}
	for i, t := range s.ServiceTokens {
		if err := auth.CheckServiceToken(t); err != nil {
			return secrets{}, fmt.Errorf("%s: service token %d: %s; %s", path, i+1, eligo.ErrorMessage(err), tokenNewHint)
		}
	}
	return s, nil
}

// writeSecrets writes s to dataDir/secrets.json, mode 0600: a new file
// (fs.ErrExist when another process wrote one first), or, when replace, in
// place of the one there.
func writeSecrets(dataDir string, s secrets, replace bool) error {
	data, _ := json.MarshalIndent(s, "", "  ")
	data = append(data, '\n')
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("creating data directory: %w", err)
	}
	path := filepath.Join(dataDir, secretsFile)
	name := path
	if replace {
		name = path + ".new"
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil || !replace {
		return err
	}
	return os.Rename(name, path)
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}
