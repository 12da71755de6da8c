# One image for `mootaflow receiver`, `worker` and `setup`.
# Build stage: wheels for the project and its dependencies.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Final stage: no compilers, no sources, a non-root user.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MOOTAFLOW_RECEIVER_HOST=0.0.0.0 \
    MOOTAFLOW_LOG_FORMAT=json
COPY --from=build /wheels /wheels
# Exactly the wheels built above (pinned by construction), nothing from an index.
RUN pip install --no-cache-dir --no-index /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --create-home --uid 10001 mootaflow
USER 10001
WORKDIR /home/mootaflow
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
ENTRYPOINT ["mootaflow"]
CMD ["receiver"]
