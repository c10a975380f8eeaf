# glance-emulator in a container: small (python slim, no compilers, no test extras),
# non-root, with a health check. Build: docker build -t glance-emulator .
# Run:   docker run --rm -p 127.0.0.1:9292:9292 glance-emulator
# Every serve option is a GLANCE_EMULATOR_* variable (docker run -e GLANCE_EMULATOR_SCENARIO=sharing-101).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# emulator/openapi.yaml is a link to api-ref/openapi.yaml: both are copied so the wheel
# carries the file itself.
COPY pyproject.toml README.md /src/
COPY api-ref /src/api-ref
COPY emulator /src/emulator
RUN pip install --no-compile /src \
    && rm -rf /src \
    && useradd --create-home --uid 10001 emulator \
    && mkdir /data \
    && chown emulator /data

USER emulator
WORKDIR /home/emulator
# Published ports reach the container from another address: it must listen on every
# interface, and --allow-remote says so knowingly (the demo passwords are well known; map
# the port to 127.0.0.1 on the host, as below, unless others should reach it).
ENV GLANCE_EMULATOR_HOST=0.0.0.0 \
    GLANCE_EMULATOR_ALLOW_REMOTE=1 \
    GLANCE_EMULATOR_PORT=9292 \
    GLANCE_EMULATOR_DATA_DIR=/data
EXPOSE 9292
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["glance-emulator", "wait", "http://127.0.0.1:9292", "--timeout", "3", "--quiet"]
CMD ["glance-emulator", "serve"]
