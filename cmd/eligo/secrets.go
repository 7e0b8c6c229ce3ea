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
// the first start generates.
type secrets struct {
	ServiceTokens  []string `json:"service_tokens"`
	CustomerSecret string   `json:"customer_token_secret"`
	generated      bool     // true when this call wrote the file
}

const secretsFile = "secrets.json"

// loadSecrets reads ELIGO_SERVICE_TOKENS and ELIGO_CUSTOMER_TOKEN_SECRET; a
// part the environment leaves unset is read from dataDir/secrets.json, which
// is created with fresh random values (mode 0600) when missing.
func loadSecrets(getenv func(string) string, dataDir string) (secrets, error) {
	var s secrets
	for _, t := range strings.Split(getenv("ELIGO_SERVICE_TOKENS"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			s.ServiceTokens = append(s.ServiceTokens, t)
		}
	}
	s.CustomerSecret = getenv("ELIGO_CUSTOMER_TOKEN_SECRET")
	if len(s.ServiceTokens) > 0 && s.CustomerSecret != "" {
		return s, nil
	}
	stored, err := storedSecrets(dataDir)
	if err != nil {
		return secrets{}, err
	}
	if len(s.ServiceTokens) == 0 {
		s.ServiceTokens = stored.ServiceTokens
	}
	if s.CustomerSecret == "" {
		s.CustomerSecret = stored.CustomerSecret
	}
	s.generated = stored.generated
	return s, nil
}

func storedSecrets(dataDir string) (secrets, error) {
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
	s := secrets{ServiceTokens: []string{"svc_" + randomString(24)}, CustomerSecret: randomString(32), generated: true}
	data, _ = json.MarshalIndent(s, "", "  ")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return secrets{}, fmt.Errorf("creating data directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return storedSecrets(dataDir) // another process wrote it first
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
