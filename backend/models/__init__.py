"""Database tables (orm) and the request/response shapes of the API (schemas)."""
