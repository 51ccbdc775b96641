# Massline: the service (web chat, console, and the channels configured by environment).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    MASSLINE_WEB_HOST=0.0.0.0 MASSLINE_WEB_PORT=8080
WORKDIR /app
# Chinese text in chart images (the monthly bulletin)
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY config ./config
RUN pip install --no-cache-dir . && useradd --create-home --uid 1000 massline \
    && mkdir -p /app/data && chown massline /app/data

USER massline
# Build matplotlib's font cache now, not during the first bulletin.
RUN python -c "import matplotlib.font_manager"
VOLUME ["/app/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz').status != 200)"
# `run` upgrades the schema first; several replicas serialize that on a PostgreSQL lock.
CMD ["python", "-m", "bot", "run"]
