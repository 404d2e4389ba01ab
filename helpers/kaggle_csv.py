"""Kaggle's "Digit Recognizer" train.csv read as untrusted input: bounded before it is parsed.

The file is a header ``label,pixel0,...,pixel783`` and one row per digit: its label and its 784
pixels. :func:`read_table` checks the file's size, then, in one pass that never holds a long
line, the header and every row's length and number of columns, and only then parses the table;
:func:`helpers.data.read_kaggle_csv` turns it into the course's X and y.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

MAX_CSV_BYTES = 128 << 20  #: :func:`read_table` refuses larger files (Kaggle's: 73 MB)
MAX_CSV_ROWS = 70_000  #: and more rows (Kaggle's: 42,000), so the table stays under 220 MB
MAX_CSV_LINE = 16 * 785  #: and longer rows (785 numbers of up to 15 characters each)


def _csv_rows(path: Path) -> int:
    """Check the header and every row's length and columns in one bounded pass; the row count.

    Lines may end in LF, CRLF or CR alone (each counts against :data:`MAX_CSV_ROWS`); a UTF-8
    byte-order mark is accepted. No line longer than :data:`MAX_CSV_LINE` is ever held.
    """
    rows = data_rows = 0
    try:
        with open(path, encoding="utf-8-sig", newline=None) as f:
            header = f.readline(MAX_CSV_LINE + 1).strip().split(",")
            if (
                len(header) != 785
                or header[0] != "label"
                or header[1] != "pixel0"
                or header[-1] != "pixel783"
            ):
                raise ValueError(
                    f"{path}: expected Kaggle's header 'label,pixel0,...,pixel783' (785 columns), "
                    f"got {len(header)} columns starting {[h[:20] for h in header[:2]]}"
                )
            while line := f.readline(MAX_CSV_LINE + 1):
                rows += 1
                if rows > MAX_CSV_ROWS:
                    raise ValueError(f"{path}: at least {rows:,} rows, above the limit of {MAX_CSV_ROWS:,}")
                if len(line) > MAX_CSV_LINE:
                    raise ValueError(
                        f"{path}: row {rows} is longer than {MAX_CSV_LINE:,} characters; a row holds "
                        "785 whole numbers"
                    )
                if line.strip():
                    data_rows += 1
                    if line.count(",") != 784:
                        raise ValueError(
                            f"{path}: row {rows} has {line.count(',') + 1} columns, expected 785"
                        )
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a UTF-8 text CSV file ({exc})") from None
    if not data_rows:
        raise ValueError(f"{path}: the header is there but no data rows follow it")
    return data_rows


def read_table(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """The pixels (m, 784) and labels (m,) of a train.csv, as float32 whole numbers, checked.

    The file's size, its rows' number, lengths and columns are checked before the table is
    allocated; every value must then be a whole number. The range of the pixels and labels is
    the caller's to check. FileNotFoundError when there is no such file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such CSV file")
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise ValueError(f"{path}: {size:,} bytes, above the limit of {MAX_CSV_BYTES:,} for a train.csv")
    _csv_rows(path)
    try:
        # float32 holds every integer a valid file has exactly, and parses "0.5" the same way
        # on every NumPy version (1.26's integer parsing truncated it silently); checked below.
        table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32, ndmin=2, encoding="utf-8-sig")
    except ValueError as exc:
        raise ValueError(f"{path}: malformed row: {exc}") from None
    if table.shape[1] != 785:
        raise ValueError(f"{path}: rows have {table.shape[1]} columns, expected 785")
    whole = np.isfinite(table) & (table == np.round(table))
    if not whole.all():
        row, col = np.argwhere(~whole)[0]
        raise ValueError(
            f"{path}: row {row + 1} holds {table[row, col]:g}, not a whole number, in column {col}"
        )
    return table[:, 1:], table[:, 0]


__all__ = ["MAX_CSV_BYTES", "MAX_CSV_LINE", "MAX_CSV_ROWS", "read_table"]
