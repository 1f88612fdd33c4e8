# neuvo: build on Debian 12, run as a non-root user with the config and the
# database on volumes.
#   docker build -t neuvo .
#   docker run -p 8080:8080 -v neuvo-conf:/etc/neuvo -v neuvo-data:/var/lib/neuvo neuvo
# The image's default config listens on 0.0.0.0 with insecure_http = yes and
# so expects a TLS-terminating proxy in front; put your own neuvo.ini (with
# tls_cert/tls_key, or behind a proxy) in the config volume.

FROM debian:12-slim AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
        --no-install-recommends build-essential cmake pkg-config \
        libwebsockets-dev libwebsockets-evlib-uv libuv1-dev libjansson-dev \
        libinih-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY systemd systemd
COPY include include
COPY server server
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNEUVO_TESTS=OFF \
    && cmake --build build -j "$(nproc)"

FROM debian:12-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
        --no-install-recommends libwebsockets17 libwebsockets-evlib-uv \
        libuv1 libjansson4 libinih1 libsqlite3-0 libssl3 libcurl4 tzdata \
        ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/neuvo --shell /usr/sbin/nologin neuvo \
    && mkdir -p /etc/neuvo /var/lib/neuvo \
    && chown neuvo:neuvo /var/lib/neuvo
COPY --from=build /src/build/neuvo-server /src/build/neuvo-admin /usr/local/bin/
COPY client-web /usr/share/neuvo/client-web
COPY conf/neuvo.ini /usr/share/neuvo/neuvo.ini.example
RUN sed -e 's|^listen *=.*|listen = 0.0.0.0|' \
        -e 's|^database *=.*|database = /var/lib/neuvo/neuvo.db|' \
        -e 's|^web_root *=.*|web_root = /usr/share/neuvo/client-web|' \
        -e 's|^\[server\]|[server]\ninsecure_http = yes|' \
        /usr/share/neuvo/neuvo.ini.example > /etc/neuvo/neuvo.ini
VOLUME ["/etc/neuvo", "/var/lib/neuvo"]
USER neuvo
EXPOSE 8080
# Healthy = /healthz answers 200 over HTTP (curl shares the image's libcurl).
# A config with another port or with TLS needs this line changed to match.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["curl", "--fail", "--silent", "--show-error", "--max-time", "4", \
         "--output", "/dev/null", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/neuvo-server"]
CMD ["--config", "/etc/neuvo/neuvo.ini"]
