# jwtlens in a container: slim base, non-root user, health check.
# Inside the container it listens on 0.0.0.0, so the access token and the Host allowlist apply:
#   docker run -p 8000:8000 -e JWTLENS_ACCESS_TOKEN=... -e JWTLENS_ALLOWED_HOSTS=jwtlens.intranet jwtlens
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    JWTLENS_DB_PATH=/data/jwtlens.sqlite3

RUN useradd --create-home --uid 10001 jwtlens && mkdir /data && chown jwtlens /data
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY templates ./templates
COPY static ./static
RUN pip install . && rm -rf /src

USER jwtlens
WORKDIR /home/jwtlens
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://localhost:8000/healthz', timeout=2)"]
CMD ["jwtlens", "serve", "--host", "0.0.0.0", "--port", "8000"]
