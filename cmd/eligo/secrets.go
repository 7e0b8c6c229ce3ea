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
)

// secrets are the credentials the server checks. They come from the
// environment or, when it sets none, from a file in the data directory that
// the first start of serve generates.
type secrets struct {
	ServiceTokens  []string `json:"service_tokens"`
	CustomerSecret string   `json:"customer_token_secret"`
	generated      bool     // true when this call wrote the file
}

const secretsFile = "secrets.json"

// loadSecrets reads ELIGO_SERVICE_TOKENS and ELIGO_CUSTOMER_TOKEN_SECRET; a
// part the environment leaves unset is read from dataDir/secrets.json, which
// is created with fresh random values (mode 0600) when missing. Only serve
// and worker, which own the data directory, create it.
func loadSecrets(getenv func(string) string, dataDir string) (secrets, error) {
	s, complete := envSecrets(getenv)
	if complete {
		return s, nil
	}
	stored, err := storedSecrets(dataDir, true)
	if err != nil {
		return secrets{}, err
	}
	s.fill(stored)
	s.generated = stored.generated
	return s, nil
}

// readSecrets reads the secrets as loadSecrets does but never creates any:
// the commands that use a server's secrets (token, load) must find the
// ones that server checks. A part found nowhere is left empty.
func readSecrets(getenv func(string) string, dataDir string) (secrets, error) {
	s, complete := envSecrets(getenv)
	if complete {
		return s, nil
	}
	stored, err := storedSecrets(dataDir, false)
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
	return fmt.Errorf("%s: no %s: %s is not set and %s does not exist; "+
		"eligo %s never makes secrets up: point it at the running server's data directory "+
		"with --data-dir DIR (or ELIGO_DATA_DIR), the server's --data-dir, "+
		"or set %s to the value the server has", cmd, what, variable, path, cmd, variable)
}

// envSecrets reads the secrets the environment sets; complete reports
// whether it sets both.
func envSecrets(getenv func(string) string) (s secrets, complete bool) {
	for _, t := range strings.Split(getenv("ELIGO_SERVICE_TOKENS"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			s.ServiceTokens = append(s.ServiceTokens, t)
		}
	}
	s.CustomerSecret = getenv("ELIGO_CUSTOMER_TOKEN_SECRET")
	return s, len(s.ServiceTokens) > 0 && s.CustomerSecret != ""
}

// fill takes from stored each part s lacks.
func (s *secrets) fill(stored secrets) {
	if len(s.ServiceTokens) == 0 {
		s.ServiceTokens = stored.ServiceTokens
	}
	if s.CustomerSecret == "" {
		s.CustomerSecret = stored.CustomerSecret
	}
}

// storedSecrets reads dataDir/secrets.json. When it is missing, create
// writes it with fresh random values; without create the error is
// fs.ErrNotExist.
func storedSecrets(dataDir string, create bool) (secrets, error) {
	path := filepath.Join(dataDir, secretsFile)
	data, err := os.ReadFile(path)
	if err == nil {
		var s secrets
		if err := json.Unmarshal(data, &s); err != nil || len(s.ServiceTokens) == 0 || s.CustomerSecret == "" {
			return secrets{}, fmt.Errorf("%s is damaged; remove it to generate new secrets, or set ELIGO_SERVICE_TOKENS and ELIGO_CUSTOMER_TOKEN_SECRET", path)
		}
		return s, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return secrets{}, fmt.Errorf("reading secrets: %w", err)
	}
	if !create {
		return secrets{}, err
	}
	s := secrets{ServiceTokens: []string{"svc_" + randomString(24)}, CustomerSecret: randomString(32), generated: true}
	data, _ = json.MarshalIndent(s, "", "  ")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return secrets{}, fmt.Errorf("creating data directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return storedSecrets(dataDir, false) // another process wrote it first
	} else if err != nil {
		return secrets{}, fmt.Errorf("writing secrets: %w", err)
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return secrets{}, fmt.Errorf("writing secrets: %w", err)
	}
	return s, f.Close()
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}
