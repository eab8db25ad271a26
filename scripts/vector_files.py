"""The .fbin / .ibin files of the ANN benchmark suites, for the benchmark scripts: uint32 rows, uint32 width,
then rows x width float32 (.fbin) or int32 (.ibin), little-endian."""
import os
import struct

import numpy as np


def write_bin(path, array, dtype):
    """Writes `array` as `dtype` under a temporary name, then renames it."""
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<II", *array.shape))
        array.astype(dtype).tofile(f)
    os.replace(path + ".tmp", path)


def read_bin(path, dtype):
    with open(path, "rb") as f:
        rows, width = struct.unpack("<II", f.read(8))
        return np.fromfile(f, dtype=dtype).reshape(rows, width)
