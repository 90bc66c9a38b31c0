"""``python -m attest.verify FILE.pdf --trust CA.pem``: the same as ``attest verify``."""

import sys

from attest.verify.cli import main

sys.exit(main())
