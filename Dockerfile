# Production image: gunicorn serves the app (whitenoise serves static files); the same image
# runs the qcluster workers. See docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN useradd --create-home --uid 1000 panel

COPY pyproject.toml constraints.txt README.md ./
COPY config ./config
COPY connector ./connector
COPY flows ./flows
COPY transactions ./transactions
COPY sandbox ./sandbox
COPY templates ./templates
COPY static ./static
COPY manage.py ./
RUN pip install -c constraints.txt . \
 && SECRET_KEY=build-only CREDENTIALS_ENCRYPTION_KEYS=YnVpbGQtb25seS1rZXktbm90LXVzZWQtYXQtcnVudGk= \
    python manage.py collectstatic --noinput

USER panel
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
