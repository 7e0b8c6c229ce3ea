#!/usr/bin/env bash
# CI check of the container image recipe, without a container engine.
#
# It builds eligo with the Dockerfile's own `go build` line (read from the
# Dockerfile, so the two cannot drift) in a copy of the build context that
# .dockerignore leaves (so a file the build needs cannot be ignored), checks that the result is a static
# binary, puts it alone in an empty root directory with an empty /data, and
# runs `eligo serve` there under chroot as uid 65532 with an empty
# environment plus the Dockerfile's ENV. It then checks that the server
# answers /healthz and /readyz, generated its secrets and its SQLite file
# into /data (owned by that uid, secrets mode 0600), serves the API with the
# generated service token and /metrics, and exits 0 on SIGTERM. Any failure
# stops it with a message and a non-zero status; the temporary directory and
# the server are cleaned up either way.
#
# Needs root (chroot), go, curl and readelf. Usage: scripts/ci-container.sh
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

fail() { echo "ci-container: FAIL: $*" >&2; exit 1; }
step() { echo "== ci-container: $*"; }

[ "$(id -u)" = 0 ] || fail "needs root, for chroot"
for tool in go curl readelf chroot; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done

uid=65532 # the Dockerfile's USER
tmp=$(mktemp -d /tmp/eligo-ci-container.XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "build the binary as the Dockerfile does"
build=$(grep -E '^RUN CGO_ENABLED=0 go build ' Dockerfile || true)
[ "$(printf '%s\n' "$build" | grep -c .)" = 1 ] \
  || fail "the Dockerfile must have exactly one line starting with 'RUN CGO_ENABLED=0 go build ' (found: ${build:-none})"
grep -qE '^FROM scratch$' Dockerfile || fail "the Dockerfile's final stage is expected to be FROM scratch"
grep -qE "^USER $uid:$uid\$" Dockerfile || fail "the Dockerfile is expected to run as USER $uid:$uid"
case "$build" in *" -o /out/eligo "*) ;; *) fail "the Dockerfile's build is expected to write /out/eligo: $build" ;; esac
root="$tmp/root"
mkdir -p "$root"
build=${build#RUN }
build=${build/ -o \/out\/eligo / -o $tmp/eligo }
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo ci)}
export VERSION
echo "$build   (VERSION=$VERSION)"

# The build context: the files of the tree (tracked, and untracked but not
# ignored by git) less those .dockerignore excludes. This reader knows the
# forms .dockerignore uses (NAME, DIR, **/PATTERN); a "!" exception, or a
# line it does not know, fails here rather than being misread.
context="$tmp/context"
mkdir -p "$context"
patterns=()
while IFS= read -r line || [ -n "$line" ]; do
  line=${line%%#*}; line=${line%"${line##*[![:space:]]}"}
  [ -n "$line" ] || continue
  case "$line" in
    '!'* | /* | *'['* | *'?'*) fail ".dockerignore: '$line' is a form this script does not read; extend it" ;;
  esac
  patterns+=("$line")
done <.dockerignore
excluded() {
  local f=$1 p
  for p in "${patterns[@]}"; do
    if [[ $p == '**/'* ]]; then
      p=${p#'**/'}
      # shellcheck disable=SC2053 # glob match intended
      [[ $f == $p || $f == */$p || $f == $p/* || $f == */$p/* ]] && return 0
    else
      # shellcheck disable=SC2053
      [[ $f == "$p" || $f == "$p"/* || ($p == *'*'* && $f != */* && $f == $p) ]] && return 0
    fi
  done
  return 1
}
n=0
while IFS= read -r -d '' f; do
  [ -e "$f" ] || continue # deleted in the work tree
  excluded "$f" && continue
  mkdir -p "$context/$(dirname "$f")"
  cp -p "$f" "$context/$f"
  n=$((n + 1))
done < <(git ls-files -z --cached --others --exclude-standard)
{ [ -f "$context/go.mod" ] && [ -d "$context/cmd/eligo" ]; } || fail ".dockerignore leaves go.mod or cmd/eligo out of the build context"
{ [ ! -e "$context/.git" ] && [ ! -e "$context/deploy" ]; } || fail ".dockerignore lets .git or deploy/ into the build context"
echo "build context: $n files (git's, less .dockerignore's)"
# The golang image sets no GOFLAGS; neither does this build. It runs in the
# context, as the Dockerfile's WORKDIR holds it.
(cd "$context" && env -u GOFLAGS bash -euc "$build") || fail "the Dockerfile's go build failed in the build context"

step "the binary is static"
go version -m "$tmp/eligo" | grep -qE '^\s+build\s+CGO_ENABLED=0$' || fail "the binary was not built with CGO_ENABLED=0"
if readelf -lW "$tmp/eligo" | grep -qE 'INTERP|DYNAMIC'; then
  readelf -lW "$tmp/eligo" | grep -E 'INTERP|DYNAMIC' >&2
  fail "the binary is dynamically linked: it would not start on a scratch image"
fi
[ -z "$(readelf -dW "$tmp/eligo" 2>/dev/null | grep NEEDED || true)" ] || fail "the binary needs shared libraries"

step "an empty root: /eligo and /data, nothing else"
install -m 0755 "$tmp/eligo" "$root/eligo"
install -d -m 0700 -o "$uid" -g "$uid" "$root/data"
contents=$(cd "$root" && find . -mindepth 1 | sort | tr '\n' ' ')
[ "$contents" = "./data ./eligo " ] || fail "the root holds more than /eligo and /data: $contents"

# The Dockerfile's ENV, with a loopback port of the kernel's choosing in
# place of :8080 so that CI never collides with another server.
chroot_bin=$(command -v chroot)
run_in_root() {
  env -i ELIGO_DATA_DIR=/data ELIGO_ADDR=127.0.0.1:0 \
    "$chroot_bin" --userspec="$uid:$uid" --groups="$uid" "$root" /eligo "$@"
}

step "eligo version in the root"
v=$(run_in_root version) || fail "eligo version failed in the empty root"
echo "eligo version: $v"
[ "$v" = "$VERSION" ] || fail "eligo version printed '$v', want '$VERSION' (the Dockerfile's -X main.version)"

step "eligo serve in the root, as uid $uid"
# exec: $! is then the server itself (env and chroot exec in turn).
(exec env -i ELIGO_DATA_DIR=/data ELIGO_ADDR=127.0.0.1:0 \
  "$chroot_bin" --userspec="$uid:$uid" --groups="$uid" "$root" /eligo serve) >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!
url=""
for _ in $(seq 1 600); do
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/stdout" "$tmp/stderr" >&2; fail "eligo serve exited in the empty root"; }
  url=$(sed -n 's/^eligo is serving on \(http:\/\/[^ ]*\)$/\1/p' "$tmp/stdout")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$tmp/stdout" "$tmp/stderr" >&2; fail "eligo serve did not say where it serves within 60 s"; }
echo "serving on $url (pid $pid)"
[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = "$uid" ] || fail "eligo serve does not run as uid $uid"
[ "$(readlink "/proc/$pid/root")" = "$root" ] || fail "eligo serve does not run in the empty root"

status_of() { curl -s -o "$tmp/body" -w '%{http_code}' --max-time 10 "$@" || echo "000"; }
ready=""
for _ in $(seq 1 300); do
  [ "$(status_of "$url/readyz")" = 200 ] && { ready=1; break; }
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
[ -n "$ready" ] || { cat "$tmp/stdout" "$tmp/stderr" >&2; fail "/readyz did not answer 200 within 60 s"; }
echo "/readyz: 200 $(cat "$tmp/body")"
[ "$(status_of "$url/healthz")" = 200 ] || fail "/healthz did not answer 200"
echo "/healthz: 200"
[ "$(status_of "$url/metrics")" = 200 ] || fail "/metrics did not answer 200"
grep -q '^eligo_' "$tmp/body" || fail "/metrics has no eligo_ series"
echo "/metrics: 200, $(grep -c '^eligo_' "$tmp/body") eligo_ samples"

step "the store and the generated secrets are in /data"
[ -f "$root/data/secrets.json" ] || fail "no /data/secrets.json"
[ "$(stat -c '%u %a' "$root/data/secrets.json")" = "$uid 600" ] || fail "/data/secrets.json is not mode 600 and owned by $uid: $(stat -c '%u %a' "$root/data/secrets.json")"
[ -f "$root/data/eligo.db" ] || fail "no /data/eligo.db"
[ "$(stat -c '%u' "$root/data/eligo.db")" = "$uid" ] || fail "/data/eligo.db is not owned by $uid"
svc=$(sed -n 's/^Service token: //p' "$tmp/stdout")
[ -n "$svc" ] || fail "serve printed no service token"

step "the API with the generated service token"
[ "$(status_of "$url/v1/orders/ord-ci/eligibility")" = 401 ] || fail "an unauthenticated read did not get 401"
code=$(status_of -H "Authorization: Bearer $svc" -H 'Content-Type: application/json' "$url/v1/orders" \
  -d '{"id":"ord-ci","customer_id":"cust-ci","promised_at":"2030-01-01T00:10:00Z"}')
[ "$code" = 201 ] || fail "POST /v1/orders answered $code, want 201: $(cat "$tmp/body")"
code=$(status_of -H "Authorization: Bearer $svc" "$url/v1/orders/ord-ci/eligibility")
[ "$code" = 200 ] || fail "GET eligibility answered $code, want 200: $(cat "$tmp/body")"
grep -q '"order_id":"ord-ci"' "$tmp/body" || fail "the eligibility document is not for ord-ci: $(cat "$tmp/body")"
echo "POST /v1/orders: 201; GET eligibility: 200 $(cat "$tmp/body")"

step "SIGTERM stops it cleanly"
kill -TERM "$pid"
rc=0
for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "eligo serve did not exit within 30 s of SIGTERM"
wait "$pid" || rc=$?
pid=""
[ "$rc" = 0 ] || { cat "$tmp/stderr" >&2; fail "eligo serve exited with status $rc after SIGTERM"; }
if grep -E '"level":"(ERROR|WARN)"|level=(ERROR|WARN)' "$tmp/stderr" >&2; then
  fail "eligo serve logged warnings or errors in the empty root (above)"
fi

echo "ci-container: OK in $((SECONDS - start)) s: a static binary, built as the Dockerfile builds it, serves from an empty root as uid $uid"
