"""Organisations (förvaltningar)."""
