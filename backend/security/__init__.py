"""Passwords, access tokens and login throttling; nothing here knows about HTTP routes."""
