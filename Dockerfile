# syntax=docker/dockerfile:1
#
# eligo's container image: one static binary on an empty (scratch) base,
# running as a non-root uid, with /data as the volume of the embedded store
# (the SQLite file and the secrets `eligo serve` generates when none are
# given). No HEALTHCHECK: orchestrators probe /readyz and /healthz
# themselves (see deploy/).
#
#   docker build --build-arg VERSION="$(git describe --tags --always --dirty)" -t eligo .
#   docker run --rm -p 8080:8080 -v eligo-data:/data eligo
#
# scripts/ci-container.sh builds the binary with the `go build` line below,
# word for word, and runs it as uid 65532 in an empty root directory: CI has
# no container engine, so that is how it proves the binary needs nothing
# from the image. Keep the build on one line that starts with
# "RUN CGO_ENABLED=0 go build".

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The version `eligo version` prints and every version record carries. The
# build context has no .git (see .dockerignore), so without it the binary
# says "dev".
ARG VERSION=""
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags="-s -w -X main.version=${VERSION}" -o /out/eligo ./cmd/eligo
# The final image's directories: /data for the store, owned by the runtime
# user; /tmp for SQLite's temporary files.
RUN mkdir -p /out/root/data /out/root/tmp && chmod 0700 /out/root/data && chmod 1777 /out/root/tmp

FROM scratch
# Root certificates, for outbound TLS only: webhooks, the payment provider,
# PostgreSQL with sslmode=verify-full. Nothing else comes from the base:
# the binary is static and eligo reads no time zone database (it works in UTC).
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build --chown=65532:65532 /out/root/data /data
COPY --from=build /out/root/tmp /tmp
COPY --from=build /out/eligo /eligo
USER 65532:65532
ENV ELIGO_DATA_DIR=/data \
    ELIGO_ADDR=:8080
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["/eligo"]
CMD ["serve"]
