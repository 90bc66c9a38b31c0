"""Attested memos leave for the archive as E-ARK SIPs (FGS Paketstruktur): attest.archive.sip
writes one package from plain facts, attest.archive.operations reads them from the records,
attest.archive.cli is ``attest archive export``."""
