"""A SoftHSM2 token for the PKCS#11 tests: a configuration and token folder of its own.

SoftHSM reads SOFTHSM2_CONF when the module is initialised, once per process: the session
fixture (tests/conftest.py ``softhsm``) sets it before anything loads the module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)
PIN = "246810"
SO_PIN = "13579111"


@dataclass(frozen=True)
class SoftHsmToken:
    module: str
    label: str
    pin: str
    tokendir: Path

    def config(self) -> dict[str, str]:
        """The app settings that point attest at this token."""
        return {"PKCS11_MODULE": self.module, "PKCS11_TOKEN": self.label, "PKCS11_PIN": self.pin}


def module_path() -> str | None:
    return next((path for path in MODULE_CANDIDATES if os.path.isfile(path)), None)


def missing() -> str | None:
    """Why SoftHSM2 cannot be used here (None: it can): `make system-deps` installs it."""
    if shutil.which("softhsm2-util") is None or module_path() is None:
        return "SoftHSM2 is not installed (Debian package softhsm2; make system-deps installs it)"
    return None


def init_token(folder: Path) -> SoftHsmToken:
    """A fresh token in its own token folder, with SOFTHSM2_CONF pointing at it."""
    module = module_path()
    assert module is not None, missing()
    tokendir = folder / "tokens"
    tokendir.mkdir(parents=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokendir}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    label = f"attest-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", label]
        + ["--so-pin", SO_PIN, "--pin", PIN],
        check=True,
        capture_output=True,
    )
    return SoftHsmToken(module, label, PIN, tokendir)
