// Command k8sschema writes the JSON schemas kubeconform validates against,
// from sources available offline as Go modules: the OpenAPI (swagger) file
// of a Kubernetes release (k8s.io/kubernetes's api/openapi-spec/swagger.json)
// and CustomResourceDefinition files (such as Prometheus Operator's).
//
// Each kind of each group version gets one standalone file, named as
// kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}.json` expects
// (deployment-apps-v1.json, service-v1.json, servicemonitor-monitoring-v1.json):
// the kind's schema with every definition it refers to, strict (an object's
// unknown fields are errors, as the API server's strict field validation
// makes them), with int-or-string fields and quantities accepting a string
// or a number, as the API server does.
//
//	go run ./k8sschema -out DIR -swagger swagger.json -crd servicemonitors.yaml
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

func main() {
	out := flag.String("out", "", "directory to write the schemas to (created)")
	swagger := flag.String("swagger", "", "Kubernetes OpenAPI v2 file (swagger.json)")
	var crds []string
	flag.Func("crd", "CustomResourceDefinition YAML file (repeatable)", func(s string) error { crds = append(crds, s); return nil })
	flag.Parse()
	if *out == "" || (*swagger == "" && len(crds) == 0) || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: k8sschema -out DIR [-swagger swagger.json] [-crd crd.yaml ...]")
		os.Exit(2)
	}
	if err := run(*out, *swagger, crds); err != nil {
		fmt.Fprintln(os.Stderr, "k8sschema:", err)
		os.Exit(1)
	}
}

func run(out, swagger string, crds []string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	w := &writer{dir: out, written: map[string]string{}}
	if swagger != "" {
		if err := w.swagger(swagger); err != nil {
			return fmt.Errorf("%s: %w", swagger, err)
		}
	}
	for _, path := range crds {
		if err := w.crd(path); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	fmt.Printf("k8sschema: %d schemas written to %s\n", len(w.written), out)
	return nil
}

type writer struct {
	dir     string
	written map[string]string // file name -> what it was made from
}

// fileName is kubeconform's name for a kind's schema:
// {{ .ResourceKind }}{{ .KindSuffix }}.json (see its pkg/registry).
func fileName(group, version, kind string) string {
	apiVersion := version
	if group != "" {
		apiVersion = group + "/" + version
	}
	groupParts := strings.Split(apiVersion, "/")
	suffix := "-" + strings.ToLower(strings.Split(groupParts[0], ".")[0])
	if len(groupParts) > 1 {
		suffix += "-" + strings.ToLower(groupParts[1])
	}
	return strings.ToLower(kind) + suffix + ".json"
}

func (w *writer) write(name, source string, schema map[string]any) error {
	if prev, ok := w.written[name]; ok {
		if prev == source {
			return nil
		}
		return fmt.Errorf("%s and %s both map to %s", prev, source, name)
	}
	w.written[name] = source
	data, err := json.Marshal(schema)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(w.dir, name), data, 0o644)
}

const quantity = "io.k8s.apimachinery.pkg.api.resource.Quantity"

func (w *writer) swagger(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	if len(doc.Definitions) == 0 {
		return errors.New("no definitions")
	}
	defs := map[string]any{}
	for name, d := range doc.Definitions {
		if name == quantity {
			defs[name] = map[string]any{"description": d["description"], "oneOf": []any{
				map[string]any{"type": "string"}, map[string]any{"type": "number"}}}
			continue
		}
		defs[name] = strict(d)
	}
	names := make([]string, 0, len(doc.Definitions))
	for name := range doc.Definitions {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		gvks, _ := doc.Definitions[name]["x-kubernetes-group-version-kind"].([]any)
		if len(gvks) == 0 {
			continue
		}
		closure := map[string]any{}
		refs(defs[name], defs, closure)
		schema := map[string]any{}
		for k, v := range defs[name].(map[string]any) {
			schema[k] = v
		}
		schema["definitions"] = closure
		for _, g := range gvks {
			gvk, _ := g.(map[string]any)
			group, _ := gvk["group"].(string)
			version, _ := gvk["version"].(string)
			kind, _ := gvk["kind"].(string)
			if version == "" || kind == "" {
				return fmt.Errorf("%s: a group-version-kind without a version or kind", name)
			}
			if err := w.write(fileName(group, version, kind), name, schema); err != nil {
				return err
			}
		}
	}
	return nil
}

// refs adds to closure every definition that s refers to, transitively.
func refs(s any, defs, closure map[string]any) {
	switch s := s.(type) {
	case map[string]any:
		if ref, ok := s["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, "#/definitions/")
			if _, seen := closure[name]; !seen {
				if d, ok := defs[name]; ok {
					closure[name] = d
					refs(d, defs, closure)
				}
			}
		}
		for _, v := range s {
			refs(v, defs, closure)
		}
	case []any:
		for _, v := range s {
			refs(v, defs, closure)
		}
	}
}

func (w *writer) crd(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var crd struct {
		Kind string `json:"kind"`
		Spec struct {
			Group string `json:"group"`
			Names struct {
				Kind string `json:"kind"`
			} `json:"names"`
			Versions []struct {
				Name   string `json:"name"`
				Schema struct {
					OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &crd); err != nil {
		return err
	}
	if crd.Kind != "CustomResourceDefinition" || crd.Spec.Group == "" || crd.Spec.Names.Kind == "" {
		return errors.New("not a CustomResourceDefinition with a group and a kind")
	}
	n := 0
	for _, v := range crd.Spec.Versions {
		if v.Schema.OpenAPIV3Schema == nil {
			continue
		}
		n++
		name := fileName(crd.Spec.Group, v.Name, crd.Spec.Names.Kind)
		if err := w.write(name, path+" "+v.Name, strict(v.Schema.OpenAPIV3Schema).(map[string]any)); err != nil {
			return err
		}
	}
	if n == 0 {
		return errors.New("no version has a schema")
	}
	return nil
}

// strict returns a copy of the schema s in which an object with properties
// admits no others, and an int-or-string admits both.
func strict(s any) any {
	switch s := s.(type) {
	case map[string]any:
		m := make(map[string]any, len(s))
		for k, v := range s {
			m[k] = strict(v)
		}
		if m["format"] == "int-or-string" || m["x-kubernetes-int-or-string"] == true {
			delete(m, "type")
			delete(m, "format")
			if _, ok := m["anyOf"]; !ok {
				m["oneOf"] = []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}
			}
		}
		_, hasProps := m["properties"]
		_, hasAdditional := m["additionalProperties"]
		if hasProps && !hasAdditional && m["x-kubernetes-preserve-unknown-fields"] != true {
			m["additionalProperties"] = false
		}
		return m
	case []any:
		l := make([]any, len(s))
		for i, v := range s {
			l[i] = strict(v)
		}
		return l
	}
	return s
}
