"""Hand-made zip archives for hostile-input tests: a zip directory of many entries, built fast.

Only the zip directory and its end records are written (zipfile lists an archive from them
alone), so an archive of a million entries takes a second and tens of megabytes, not minutes.
"""

from __future__ import annotations

import struct
from pathlib import Path


def many_entries(path: Path, count: int, claimed: int | None = None) -> Path:
    """A zip archive whose directory lists ``count`` empty stored entries ``a0.npy``, ``a1.npy``...

    ``claimed``: the number of entries its end records announce (default: the truth).
    """
    claimed = count if claimed is None else claimed
    records = []
    for i in range(count):
        name = f"a{i}.npy".encode()
        records.append(
            struct.pack(
                "<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0, 0, 0
            )
            + name
        )
    directory = b"".join(records)
    end64 = struct.pack("<4sQ2H2I4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, claimed, claimed, len(directory), 0)
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, len(directory), 1)
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    path.write_bytes(directory + end64 + locator + end)
    return path
