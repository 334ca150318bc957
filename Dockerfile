# syntax=docker/dockerfile:1
# mcproute in a container: the abi3 wheel is built in a Rust image, then installed and run on a
# slim Python image as a non-root user, by packaging/install-and-run.sh (the script the wheel
# test runs, so what is tested is what the image runs).
#
#   docker build -t mcproute .
#   docker run -p 4000:4000 -v mcproute-data:/data mcproute --demo    # an admin key, printed once
#   docker run -p 4000:4000 -v mcproute-data:/data -v "$PWD/mcproute.json:/config/mcproute.json:ro" \
#       -e MCPROUTE_CONFIG=/config/mcproute.json -e OPENAI_API_KEY mcproute --workers 2
ARG PYTHON_VERSION=3.11

FROM rust:1.95-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements-dev.txt ./
RUN python3 -m venv /opt/build \
    && /opt/build/bin/pip install --no-cache-dir "$(grep '^maturin==' requirements-dev.txt)"
COPY Cargo.toml Cargo.lock pyproject.toml ./
COPY rust rust
COPY python python
RUN /opt/build/bin/maturin build --release --locked -o /wheels

FROM python:${PYTHON_VERSION}-slim-bookworm
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MCPROUTE_VENV=/opt/mcproute \
    MCPROUTE_DATA_DIR=/data \
    MCPROUTE_PORT=4000 \
    PATH=/opt/mcproute/bin:$PATH
COPY packaging/install-and-run.sh /usr/local/bin/install-and-run.sh
COPY --from=build /wheels /tmp/wheels
RUN install-and-run.sh install "$(echo /tmp/wheels/*.whl)[tracing,gcp,oauth]" \
    && rm -rf /tmp/wheels \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin mcproute \
    && mkdir -p /data \
    && chown mcproute /data
USER mcproute
VOLUME /data
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['MCPROUTE_PORT'] + '/healthz', timeout=2)"]
ENTRYPOINT ["install-and-run.sh", "run"]
