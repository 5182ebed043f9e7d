"""Production serving: gunicorn settings from the machine and the environment, the gunicorn
configuration module, and ``tasharuk serve`` (docs/deploying.md)."""
