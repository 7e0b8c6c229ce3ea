#!/usr/bin/env bash
# CI check of the Kubernetes manifests in deploy/kubernetes, offline: every
# tool and schema comes from the Go module proxy, at a pinned version.
#
#  1. Schemas: the OpenAPI file of Kubernetes $K8S_VERSION (module
#     k8s.io/kubernetes, api/openapi-spec/swagger.json) and the
#     ServiceMonitor CRD of Prometheus Operator $PROMETHEUS_OPERATOR_VERSION
#     (module github.com/prometheus-operator/prometheus-operator) become
#     kubeconform's strict JSON schemas (deploy/tools/k8sschema).
#  2. kubeconform (pinned in deploy/tools/go.mod) validates every manifest
#     against them: an unknown field, a wrong type, a missing required field,
#     a duplicated key or a kind without a schema fails.
#  3. deploycheck (deploy/tools/deploycheck) checks the manifests against
#     each other and against the eligo built from this tree: subcommands and
#     flags that exist, ELIGO_* variables that eligo reads, probes on
#     /readyz and /healthz, preStop matching --shutdown-delay, selectors and
#     ports that match.
#
# Usage: scripts/ci-deploy.sh [DIR]   (default deploy/kubernetes)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
start=$SECONDS

K8S_VERSION=v1.36.3                 # the Kubernetes API the manifests must fit
PROMETHEUS_OPERATOR_VERSION=v0.85.0 # the ServiceMonitor CRD

dir=${1:-deploy/kubernetes}
fail() { echo "ci-deploy: FAIL: $*" >&2; exit 1; }
step() { echo "== ci-deploy: $*"; }
[ -d "$dir" ] || fail "no directory $dir"
dir=$(cd "$dir" && pwd)

tmp=$(mktemp -d /tmp/eligo-ci-deploy.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export GOFLAGS=-mod=readonly

# moddir prints the directory of a module version in the module cache,
# downloading it (checked against go.sum's database) when missing.
moddir() {
  (cd "$tmp" && env GOFLAGS= go mod download -json "$1" >"$tmp/mod.json") \
    || { cat "$tmp/mod.json" >&2; fail "cannot download $1"; }
  sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' "$tmp/mod.json"
}

step "tools (deploy/tools/go.mod)"
(cd deploy/tools && go mod tidy -diff) || fail "deploy/tools/go.mod is not tidy: run go mod tidy there"
(cd deploy/tools && go vet ./... && go test -count=1 ./...) || fail "the tools' vet or tests failed"
(cd deploy/tools && go build -o "$tmp/bin/" ./k8sschema ./deploycheck github.com/yannh/kubeconform/cmd/kubeconform) \
  || fail "cannot build the tools"
echo "kubeconform $(cd deploy/tools && go list -m -f '{{.Version}}' github.com/yannh/kubeconform)"

step "schemas: Kubernetes $K8S_VERSION, Prometheus Operator $PROMETHEUS_OPERATOR_VERSION"
k8s=$(moddir "k8s.io/kubernetes@$K8S_VERSION")
promop=$(moddir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")
swagger="$k8s/api/openapi-spec/swagger.json"
crd="$promop/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml"
[ -f "$swagger" ] || fail "no $swagger"
[ -f "$crd" ] || fail "no $crd"
"$tmp/bin/k8sschema" -out "$tmp/schemas" -swagger "$swagger" -crd "$crd" || fail "cannot write the schemas"

step "kubeconform: $dir"
"$tmp/bin/kubeconform" -strict -summary -output text \
  -schema-location "$tmp/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" "$dir" \
  || fail "a manifest in $dir does not fit Kubernetes $K8S_VERSION (above)"

step "deploycheck: $dir against eligo built from this tree"
(cd "$repo" && go build -o "$tmp/eligo" ./cmd/eligo) || fail "cannot build eligo"
for cmd in serve worker migrate; do
  "$tmp/eligo" "$cmd" -h >"$tmp/help-$cmd.txt" 2>&1 || fail "eligo $cmd -h failed: $(cat "$tmp/help-$cmd.txt")"
done
# The variables eligo reads: the ELIGO_* string literals of its non-test
# sources (outside internal/testenv), and those its flags' help names.
{
  find cmd internal -name '*.go' ! -name '*_test.go' ! -path 'internal/testenv/*' -print0 \
    | xargs -0 grep -ohE '"ELIGO_[A-Z0-9_]+"' | tr -d '"'
  grep -ohE '\(env ELIGO_[A-Z0-9_]+' "$tmp"/help-*.txt | sed 's/^(env //'
} | sort -u >"$tmp/env.txt"
"$tmp/bin/deploycheck" -env "$tmp/env.txt" \
  -help serve="$tmp/help-serve.txt" -help worker="$tmp/help-worker.txt" -help migrate="$tmp/help-migrate.txt" \
  "$dir" || fail "the manifests in $dir disagree with each other or with eligo (above)"

echo "ci-deploy: OK in $((SECONDS - start)) s"
