"""The administrator's pages in the browser: people, roles, acting substitutes (t.f.), and
the landing page (/admin) that links to every administration page."""
