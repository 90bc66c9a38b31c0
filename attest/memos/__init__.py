"""Memos (tjänsteutlåtanden): drafts, versions, diarienummer, bilagor and their PDF."""
