# rt's image: the static binary and CA certificates, nothing else (no
# shell, no package manager, nothing to pull). Build it with
# `go tool task image`: rt is compiled by Go on the host (CGO_ENABLED=0)
# and this file is built from a context holding only rt and
# ca-certificates.crt (docs/deploy.md).
FROM scratch

# The version and commit the binary was stamped with, for the labels.
ARG VERSION=devel
ARG COMMIT=unknown

LABEL org.opencontainers.image.title="rt" \
      org.opencontainers.image.description="Real-time WebSocket server: rooms, presence, history" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.licenses="MIT"

# Where Go's crypto/x509 looks first on Linux: https hook and webhook URLs
# are verified against these.
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY rt /rt

# rt listens on 127.0.0.1 by default, which nobody outside the container
# reaches: here it listens on every interface. ALLOWED_ORIGINS is rt's
# default, spelled out because it is the one setting every deployment
# changes (the origin of the pages that open sockets).
ENV HOST=0.0.0.0 \
    PORT=8000 \
    ALLOWED_ORIGINS=http://localhost:8000

# Not root: a fixed uid without an entry in /etc/passwd, which rt needs
# none of (it writes no file).
USER 65532:65532

# The public port. The server API (API_ADDR) and the profiler (DEBUG_ADDR)
# are off unless set, and listen where they are told; they are not exposed
# here on purpose (docs/deploy.md).
EXPOSE 8000

# No shell in the image: rt asks its own /healthz (exit 0 on 200).
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/rt", "healthcheck"]

ENTRYPOINT ["/rt"]
