"""Signing through the Sweden Connect signature service (underskriftstjänst)."""
