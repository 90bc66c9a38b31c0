"""The start page and the organisation page."""
