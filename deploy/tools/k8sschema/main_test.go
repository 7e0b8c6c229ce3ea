package main

import (
	"reflect"
	"testing"
)

type obj = map[string]any

// The names kubeconform looks for (its pkg/registry schemaPath).
func TestFileName(t *testing.T) {
	for _, tc := range []struct{ group, version, kind, want string }{
		{"", "v1", "Service", "service-v1.json"},
		{"apps", "v1", "Deployment", "deployment-apps-v1.json"},
		{"policy", "v1", "PodDisruptionBudget", "poddisruptionbudget-policy-v1.json"},
		{"monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitor-monitoring-v1.json"},
	} {
		if got := fileName(tc.group, tc.version, tc.kind); got != tc.want {
			t.Errorf("fileName(%q, %q, %q) = %q, want %q", tc.group, tc.version, tc.kind, got, tc.want)
		}
	}
}

func TestStrict(t *testing.T) {
	in := obj{"type": "object", "properties": obj{
		"port":  obj{"type": "string", "format": "int-or-string"},
		"crd":   obj{"x-kubernetes-int-or-string": true, "anyOf": []any{obj{"type": "integer"}, obj{"type": "string"}}},
		"open":  obj{"type": "object", "properties": obj{}, "x-kubernetes-preserve-unknown-fields": true},
		"map":   obj{"type": "object", "additionalProperties": obj{"type": "string"}},
		"items": obj{"type": "array", "items": obj{"type": "object", "properties": obj{"a": obj{"type": "string"}}}},
	}}
	want := obj{"type": "object", "additionalProperties": false, "properties": obj{
		"port":  obj{"oneOf": []any{obj{"type": "string"}, obj{"type": "integer"}}},
		"crd":   obj{"x-kubernetes-int-or-string": true, "anyOf": []any{obj{"type": "integer"}, obj{"type": "string"}}},
		"open":  obj{"type": "object", "properties": obj{}, "x-kubernetes-preserve-unknown-fields": true},
		"map":   obj{"type": "object", "additionalProperties": obj{"type": "string"}},
		"items": obj{"type": "array", "items": obj{"type": "object", "additionalProperties": false, "properties": obj{"a": obj{"type": "string"}}}},
	}}
	if got := strict(in); !reflect.DeepEqual(got, want) {
		t.Errorf("strict:\n got %v\nwant %v", got, want)
	}
	if _, ok := in["additionalProperties"]; ok {
		t.Error("strict changed its input")
	}
}
