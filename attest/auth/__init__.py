"""Logging in and out; server-side sessions behind Flask-Login."""
