# syntax=docker/dockerfile:1

# The odoo-mesh image: a release build in the official Rust image, then the binary alone on
# distroless (glibc, CA certificates; no shell, no package manager), run as a non-root user.
# Nothing is written inside the image at run time, so it runs on a read-only root filesystem:
# configure it with the ODOO_MESH_* and ODOO_* environment variables and mounted files (policy,
# Odoo API key, TLS), and mount a writable volume where --audit-log writes.
# deploy/README.md says how to run it; deploy/kubernetes/ has the manifests.
#
# checkov:skip=CKV_DOCKER_2: no HEALTHCHECK: Kubernetes ignores it; its gRPC probes ask the admin port (liveness, readiness)

ARG RUST_VERSION=1.95

FROM docker.io/library/rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
# Only what the build reads (.dockerignore keeps everything else out): the workspace manifests, the
# protos build.rs compiles, the four crates, and the benches the manifest declares.
COPY Cargo.toml Cargo.lock build.rs ./
COPY proto/ proto/
COPY adapter/ adapter/
COPY client/ client/
COPY benches/ benches/
COPY services/ services/
# The registry and target caches outlive the build on the same builder; the binary is copied out of
# the target cache, which the next stage cannot see.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin odoo-mesh \
    && cp target/release/odoo-mesh /odoo-mesh

# Debian 12 like the build stage, so the binary finds the glibc it was linked against.
FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="odoo-mesh" \
      org.opencontainers.image.description="Typed, governed gRPC APIs over Odoo for distribution businesses" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /odoo-mesh /usr/local/bin/odoo-mesh
# distroless' nonroot user, by number so that Kubernetes' runAsNonRoot can check it.
USER 65532:65532
# gRPC (mutual TLS, or plaintext behind a mesh sidecar) and the plaintext admin port (gRPC health,
# /metrics, Odoo's webhook).
EXPOSE 50051 9090
ENTRYPOINT ["/usr/local/bin/odoo-mesh"]
CMD ["serve"]
