# ---- build ------------------------------------------------------------------
FROM golang:1.26-bookworm AS build
WORKDIR /src

# Module downloads get their own layer: it is rebuilt only when go.mod/go.sum change.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
# Pure Go (the SQLite driver needs no cgo), so the binary runs on distroless/static.
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/crowdcare ./cmd/crowdcare \
    && mkdir -p /out/data

# ---- run --------------------------------------------------------------------
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /out/crowdcare /crowdcare
# /data must belong to the nonroot user (65532) so the embedded SQLite
# default and any files the app keeps there are writable, also in a fresh
# named volume (Docker copies this ownership into it).
COPY --from=build --chown=65532:65532 /out/data /data

ENV CROWDCARE_ADDR=0.0.0.0:8080 \
    CROWDCARE_DATA_DIR=/data

USER nonroot:nonroot
WORKDIR /data
VOLUME /data
EXPOSE 8080

ENTRYPOINT ["/crowdcare"]
CMD ["serve"]
