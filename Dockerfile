# Wharf container image: a static binary (pure-Go SQLite, no cgo) on a small
# base, running as a non-root user with its data in the /data volume.
#
#   docker build --build-arg VERSION=v0.1.0 -t wharf .
#   docker run -d -p 8080:8080 -v wharf-data:/data wharf
#   docker exec <container> cat /data/admin-token     # the first admin's token
#
# PostgreSQL and S3: pass --db postgres://... --blobs s3://... and a shared
# --secret-file (see docs/DEPLOY.md). Metrics: add --metrics-addr 0.0.0.0:9090.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/wharf ./cmd/wharf

FROM alpine:3.21
RUN apk add --no-cache ca-certificates git git-lfs \
 && adduser -D -H -u 10001 wharf \
 && mkdir /data && chown wharf /data
COPY --from=build /out/wharf /usr/local/bin/wharf
USER wharf
VOLUME /data
ENV WHARF_DATA=/data WHARF_ADDR=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s CMD wget -qO- http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["wharf"]
CMD ["serve", "--gc-interval", "6h"]
