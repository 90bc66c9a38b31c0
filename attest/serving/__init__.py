"""Running attest in production: health, structured logs, gunicorn."""
