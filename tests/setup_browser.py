"""Installs what the browser tests need: Debian's Chromium (Playwright drives it).

Run by `make test` before pytest. Playwright's own browser download cannot work offline, so the
tests use /usr/bin/chromium from Debian's packages. Without root or apt, this says so and the
browser tests skip with that reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CHROMIUM = "/usr/bin/chromium"


def main() -> int:
    if os.path.exists(CHROMIUM):
        return 0
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        print(
            f"setup_browser: {CHROMIUM} is missing and cannot be installed here (needs root and "
            "apt-get); the browser tests will be skipped",
            file=sys.stderr,
        )
        return 0
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("setup_browser: installing Debian's chromium for the browser tests", flush=True)
    subprocess.run([apt, "-qq", "update"], check=False, env=env)
    result = subprocess.run(
        [apt, "-qq", "install", "-y", "--no-install-recommends", "chromium", "fonts-dejavu-core"],
        check=False,
        env=env,
    )
    if result.returncode != 0:
        print(
            "setup_browser: apt-get could not install chromium; browser tests will be skipped",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
