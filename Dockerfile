# mock-idp in an image from scratch: one static binary, nothing else (no shell, no libc, no
# curl: the HEALTHCHECK is the binary itself).
#
#   docker build -t mock-idp .      # this file; the build stage pulls rust:1-bookworm
#   cargo xtask image               # no pull: builds the binary on this machine, then exactly
#                                   # the final stage below (tagged mock-idp:local)
#
# The binary is glibc, linked statically (+crt-static). Since glibc 2.34 the `files` and `dns`
# lookups are inside libc, so /etc/hosts and Docker's DNS (service names) work from `scratch`;
# the healthcheck needs neither: it probes 127.0.0.1.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN target="$(rustc -vV | sed -n 's/^host: //p')" \
 && RUSTFLAGS='-C target-feature=+crt-static' cargo build --locked --profile image \
      -p mock-idp --bin mock-idp --target "$target" \
 && cp "target/$target/image/mock-idp" /mock-idp

# The final stage. `cargo xtask image` reads it from here and builds it with its own binary:
# keep the binary's source on the one COPY line.
FROM scratch
COPY --from=build /mock-idp /mock-idp
LABEL org.opencontainers.image.title="mock-idp" \
      org.opencontainers.image.description="An offline, Auth0-compatible mock identity provider for tests. Not for production: its default signing key is public." \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"
# Not root: nothing in the image needs it. 65532 is distroless's "nonroot".
USER 65532:65532
# Every interface, inside the container; an environment variable, so `-e MOCK_IDP_HOST` or a
# flag can still change it.
ENV MOCK_IDP_HOST=0.0.0.0
EXPOSE 4000
# Every 2 s, so compose's `service_healthy` and CI services wait about that long after start.
HEALTHCHECK --interval=2s --timeout=3s --retries=3 CMD ["/mock-idp", "healthcheck"]
ENTRYPOINT ["/mock-idp"]
