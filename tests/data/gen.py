#!/usr/bin/python3
"""Writes the NumPy-made fixtures of tests/data with numpy.save (python3-numpy,
/usr/bin/python3). check_io.c reads them, and checks that ad_write_npy
writes the same bytes for the same arrays. The malformed files
(bad_magic.npy: no magic; truncated.npy: f8_3.npy cut short; c16.npy: a
complex dtype header over too little data) and the .csv/.json files are
written by hand.

    cd tests/data && /usr/bin/python3 gen.py [OUTDIR]
"""
import os
import sys

import numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else "."
arrays = {
    "f4_2x3.npy": np.arange(6, dtype="<f4").reshape(2, 3) * np.float32(0.25),
    "f8_3.npy": np.array([1.5, -2.25, 1e300], dtype="<f8"),
    "i8_4.npy": np.array([1, -2, 3, 2**40], dtype="<i8"),
    "fortran_2x3.npy": np.asfortranarray(np.arange(6, dtype="<f8").reshape(2, 3)),
    "scalar.npy": np.array(3.25, dtype="<f8"),
    "be_f8_2.npy": np.array([1.0, -0.5], dtype=">f8"),
    "bool_3.npy": np.array([True, False, True]),
    "empty_0x3.npy": np.zeros((0, 3), dtype="<f4"),
    "i4_2x3.npy": np.array([[0, -1, 2], [2**31 - 1, -2**31, 7]], dtype="<i4"),
    "i8_scalar.npy": np.array(-3, dtype="<i8"),
    "be_i8_2.npy": np.array([5, -2**40], dtype=">i8"),
    "i8_2.npy": np.array([5, -2**40], dtype="<i8"),
    "u8_big.npy": np.array([1, 2**63], dtype="<u8"),
}
for name, a in arrays.items():
    np.save(os.path.join(out, name), a)
