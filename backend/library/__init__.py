"""The music library: scanning files and serving them; nothing here knows about routes."""
