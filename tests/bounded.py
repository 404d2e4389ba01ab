"""Run code in a fresh Python whose address space is capped, to prove memory stays bounded.

The tests' hostile inputs (bombs) would take gigabytes if handled carelessly; under a
``resource.setrlimit(RLIMIT_AS)`` cap of a few hundred MiB such a slip ends in MemoryError
instead of filling the machine, and the test sees it.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys

#: Code that prints the peak resident memory of the program running it, in MiB: Linux's VmHWM,
#: which starts afresh at exec. (ru_maxrss would also count the test process the program was
#: forked from, and so grow with whatever tests ran before in that process.)
PRINT_PEAK_MIB = """
try:
    with open("/proc/self/status") as status:
        print(next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) // 1024)
except OSError:
    import resource
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def run_bounded(code: str, mib: int = 512, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``code`` with ``python -c`` under an address-space limit of ``mib`` MiB."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mib << 20, mib << 20))

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-c", code],
        preexec_fn=limit,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
