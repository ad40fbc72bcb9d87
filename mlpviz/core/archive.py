"""Zip archives of ``.npy`` arrays and JSON from users, read defensively; written atomically.

Session files (a ``manifest.json`` and ``NAME.npy`` members), model files (``np.savez``
output) and the like come from users and may be damaged or crafted. :class:`UntrustedArchive`
checks every size against a limit before it allocates memory for it: the zip directory, each
member's declared size, each array's header (dtype, shape, element count) against what the
caller expects. Every failure raises the caller's error type (a :class:`MlpvizError`) with a
one-line message naming the file and the member; no other exception type escapes.

Compression: members must be stored or deflated (what NumPy, Python and common zip tools
write). Deflate cannot expand data more than 1032-fold, so together with the size limits a
zip bomb cannot make a reader allocate more than the caller allowed.
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, NamedTuple

import numpy as np

from .atomic import write_atomically
from .errors import MlpvizError, shown

MANIFEST = "manifest.json"
"""The member of a session file that describes the rest."""

MAX_COMPRESSION_RATIO = 1100
"""Largest declared uncompressed/compressed size ratio of a member. Deflate cannot exceed
1032:1, so a larger ratio is a crafted header. (A 1000:1 cap would refuse genuine all-zero
arrays, which deflate at up to 1028:1.)"""

_DIRECTORY_BYTES_PER_MEMBER = 1024  # name, extra fields and comment; ours take about 100
# zipfile looks for the end record in the last 64 KiB (an archive comment may precede it),
# possibly twice, and reads the zip64 records.
_END_RECORD_SEARCH_BYTES = 2 * (2**16 + 22) + 20 + 56
_COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)

_NPY_MAGIC = b"\x93NUMPY"
_NPY_LENGTH_FORMATS = {1: "<H", 2: "<I", 3: "<I"}  # the header-length field per major version
_MAX_NPY_HEADER_BYTES = 4096  # NumPy writes 128 bytes for any plain array
# A plain dtype as NumPy writes it: byte order, a kind (bool, int, float, complex, text) and a
# size. Anything else (objects, structured, dates) is refused before NumPy parses the text.
_PLAIN_DTYPE = re.compile(r"[<>|=]?[biufcUS][0-9]{0,6}", re.ASCII)

# What zipfile, zlib and json raise for damaged or crafted content. RuntimeError covers
# RecursionError on absurdly nested JSON; NotImplementedError zip features zipfile lacks.
_DAMAGE = (
    zipfile.BadZipFile,
    OSError,
    EOFError,
    ValueError,
    KeyError,
    IndexError,
    OverflowError,
    struct.error,
    zlib.error,
    NotImplementedError,
    RuntimeError,
)

# O_NONBLOCK makes opening a FIFO return at once (POSIX); O_BINARY stops newline translation
# (Windows). Regular files ignore O_NONBLOCK, so the descriptor needs no change afterwards.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def check_regular_file(path: str | os.PathLike, error: type[MlpvizError]) -> Path:
    """Return ``path`` as a Path if it names a regular file (or a link to one); otherwise raise
    ``error`` saying it is missing, a folder, or a device, pipe or socket.

    Only ``os.stat`` is used: opening a FIFO would block until someone writes to it.
    """
    name = os.fspath(path)
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise error(f"{name}: no such file") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL character in the name
        raise error(f"{name}: cannot read file ({_reason(exc)})") from None
    if stat.S_ISDIR(mode):
        raise error(f"{name}: is a folder, not a file")
    if not stat.S_ISREG(mode):
        raise error(f"{name}: is a device, pipe or socket, not a file")
    return Path(path)


def open_regular_file(path: str | os.PathLike, error: type[MlpvizError]) -> IO[bytes]:
    """Open ``path`` for reading bytes after :func:`check_regular_file`; the open file is
    checked again, so a file swapped for a FIFO in between cannot block the caller."""
    check_regular_file(path, error)
    name = os.fspath(path)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise error(f"{name}: cannot read file ({_reason(exc)})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise error(f"{name}: is a device, pipe or socket, not a file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _reason(exc: BaseException) -> str:
    """The short reason of an exception for a message, cut to a readable length."""
    return shown(getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)


class _NpyHeader(NamedTuple):
    """What a ``.npy`` header declares, and its length in bytes (magic string included)."""

    dtype: np.dtype
    fortran_order: bool
    shape: tuple[int, ...]
    length: int


class _DirectoryBudget:
    """The archive file as zipfile reads it while opening: reading more than ``budget`` bytes
    raises, so a directory of millions of entries is refused before zipfile parses it."""

    def __init__(self, handle: IO[bytes], budget: int, refuse: Exception) -> None:
        self._handle = handle
        self._size = os.fstat(handle.fileno()).st_size
        self.budget: int | None = budget
        self._refuse = refuse

    def read(self, n: int | None = -1) -> bytes:
        """Read like a file, counting what a read would return against the budget first."""
        if self.budget is not None:
            available = max(self._size - self._handle.tell(), 0)
            wanted = available if n is None or n < 0 else min(n, available)
            if wanted > self.budget:
                raise self._refuse
            self.budget -= wanted
        return self._handle.read(n)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move like a file."""
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        """Position like a file."""
        return self._handle.tell()

    def seekable(self) -> bool:
        """Always: the archive is a regular file."""
        return True


class UntrustedArchive:
    """A zip file from a user, read defensively: sizes are checked before anything is allocated.

    ``error`` is the exception type raised for every problem, with a message naming the file.
    The limits bound the number of members, each member's and all members' uncompressed size.
    Use it as a context manager; leaving the ``with`` block closes the file.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        error: type[MlpvizError],
        *,
        max_members: int = 256,
        max_member_bytes: int = 512 * 2**20,
        max_total_bytes: int = 1024 * 2**20,
    ) -> None:
        self._name = os.fspath(path)
        self._error = error
        self._handle = open_regular_file(path, error)
        try:
            self._zip = self._open_zip(max_members)
            self._check_members(max_members, max_member_bytes, max_total_bytes)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> UntrustedArchive:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the archive and its file."""
        zip_file = getattr(self, "_zip", None)
        if zip_file is not None:
            zip_file.close()
        self._handle.close()

    def names(self) -> list[str]:
        """The member names, in the order of the zip directory."""
        return self._zip.namelist()

    def has(self, name: str) -> bool:
        """True when the archive holds a member called ``name``."""
        return name in self._members

    def read_json(self, name: str, max_bytes: int = 4 * 2**20) -> object:
        """The JSON value in member ``name`` (UTF-8, at most ``max_bytes``; NaN and Infinity
        are refused)."""
        info = self._info(name)
        with self._reading(name), self._zip.open(info) as stream:
            data = stream.read(max_bytes + 1)  # never more, whatever the header declares
            if len(data) > max_bytes:
                raise self._fail(f"is larger than {max_bytes} bytes", name)
            return json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)

    def read_array(
        self,
        name: str,
        *,
        dtypes: tuple[str, ...] = ("<f8", "<f4"),
        shape: tuple[int | None, ...] | None = None,
        max_elements: int = 64 * 2**20,
    ) -> np.ndarray:
        """The array in ``.npy`` member ``name``, a new writable C-ordered array.

        ``dtypes`` lists accepted ``dtype.str`` values; an entry without a size, like
        ``"<U"``, accepts any size of that kind. ``shape`` is the expected shape, ``None``
        for any size along an axis; ``shape=None`` accepts any shape. The header is checked
        against these and ``max_elements`` before the data is read.
        """
        info = self._info(name)
        with self._reading(name), self._zip.open(info) as stream:
            header = self._npy_header(stream, name)
            self._check_array(name, header, dtypes, shape, max_elements)
            size = math.prod(header.shape) * header.dtype.itemsize
            if info.file_size - header.length != size:
                raise self._fail("does not hold the data its header declares", name)
            data = stream.read(size)
            if len(data) != size:
                raise self._fail("is truncated", name)
        order = "F" if header.fortran_order else "C"
        return np.frombuffer(data, header.dtype).reshape(header.shape, order=order).copy()

    # --- opening ---------------------------------------------------------------------------
    def _open_zip(self, max_members: int) -> zipfile.ZipFile:
        budget = _END_RECORD_SEARCH_BYTES + max_members * _DIRECTORY_BYTES_PER_MEMBER
        too_big = self._fail(f"zip directory is too large (at most {max_members} members)")
        try:
            reader = _DirectoryBudget(self._handle, budget, too_big)
            zip_file = zipfile.ZipFile(reader)  # type: ignore[arg-type]
        except self._error:
            raise
        except _DAMAGE as exc:
            raise self._fail(f"damaged or not a zip archive ({_reason(exc)})") from exc
        reader.budget = None
        return zip_file

    def _check_members(self, max_members: int, max_member_bytes: int, max_total_bytes: int) -> None:
        infos = self._zip.infolist()
        if len(infos) > max_members:
            raise self._fail(f"holds {len(infos)} members; at most {max_members} allowed")
        self._members = {info.filename: info for info in infos}
        if len(self._members) != len(infos):
            raise self._fail("holds two members with the same name")
        for info in infos:
            self._check_member(info, max_member_bytes)
        total = sum(info.file_size for info in infos)
        if total > max_total_bytes:
            raise self._fail(f"unpacks to {total} bytes; at most {max_total_bytes} allowed")

    def _check_member(self, info: zipfile.ZipInfo, max_bytes: int) -> None:
        name = info.filename
        if info.flag_bits & 0x1:
            raise self._fail("is encrypted", name)
        if info.compress_type not in _COMPRESSIONS:
            raise self._fail("uses an unsupported compression method", name)
        if info.file_size > max_bytes:
            raise self._fail(
                f"unpacks to {info.file_size} bytes; at most {max_bytes} allowed", name
            )
        if info.file_size > MAX_COMPRESSION_RATIO * info.compress_size:
            raise self._fail("declares an impossible compression ratio", name)

    # --- reading ---------------------------------------------------------------------------
    def _info(self, name: str) -> zipfile.ZipInfo:
        info = self._members.get(name)
        if info is None:
            raise self._fail("is missing", name)
        return info

    @contextmanager
    def _reading(self, name: str) -> Iterator[None]:
        """Turn what a damaged member makes zipfile, zlib or json raise into ``error``."""
        try:
            yield
        except self._error:
            raise
        except UnicodeDecodeError as exc:
            raise self._fail("is not UTF-8 text", name) from exc
        except _DAMAGE as exc:
            raise self._fail(f"cannot be read ({_reason(exc)})", name) from exc

    def _read_exactly(self, stream: IO[bytes], size: int, name: str) -> bytes:
        data = stream.read(size)
        if len(data) != size:
            raise self._fail("is truncated", name)
        return data

    def _npy_header(self, stream: IO[bytes], name: str) -> _NpyHeader:
        """Parse a ``.npy`` header; only literals are evaluated (``ast.literal_eval``)."""
        prefix = self._read_exactly(stream, len(_NPY_MAGIC) + 2, name)
        major, minor = prefix[-2], prefix[-1]
        if not prefix.startswith(_NPY_MAGIC):
            raise self._fail("is not a .npy array", name)
        length_format = _NPY_LENGTH_FORMATS.get(major)
        if length_format is None or minor != 0:
            raise self._fail(f"has unknown .npy version {major}.{minor}", name)
        length_field = self._read_exactly(stream, struct.calcsize(length_format), name)
        (text_length,) = struct.unpack(length_format, length_field)
        if text_length > _MAX_NPY_HEADER_BYTES:
            raise self._fail(f"has a header of {text_length} bytes", name)
        text = self._read_exactly(stream, text_length, name)
        fields = _literal(text.decode("latin-1" if major < 3 else "utf-8"))
        header = self._header_fields(fields, name)
        return _NpyHeader(*header, length=len(prefix) + len(length_field) + text_length)

    def _header_fields(self, fields: object, name: str) -> tuple[np.dtype, bool, tuple]:
        """Validate the header dictionary; return (dtype, fortran_order, shape)."""
        invalid = self._fail("has an invalid .npy header", name)
        if not isinstance(fields, dict) or fields.keys() != {"descr", "fortran_order", "shape"}:
            raise invalid
        descr, fortran_order, shape = fields["descr"], fields["fortran_order"], fields["shape"]
        if not (
            isinstance(fortran_order, bool)
            and isinstance(shape, tuple)
            and all(type(n) is int and n >= 0 for n in shape)
        ):
            raise invalid
        if not (isinstance(descr, str) and _PLAIN_DTYPE.fullmatch(descr)):
            raise self._fail(f"has an unsupported dtype '{shown(str(descr))}'", name)
        try:
            dtype = np.dtype(descr)
        except TypeError:
            raise self._fail(f"has an unknown dtype '{descr}'", name) from None
        return dtype, fortran_order, shape

    def _check_array(
        self,
        name: str,
        header: _NpyHeader,
        dtypes: tuple[str, ...],
        shape: tuple[int | None, ...] | None,
        max_elements: int,
    ) -> None:
        if not _dtype_allowed(header.dtype, dtypes):
            expected = " or ".join(dtypes)
            raise self._fail(f"has dtype {header.dtype.str}; expected {expected}", name)
        if shape is not None and not _shape_matches(header.shape, shape):
            actual = shown(str(header.shape))
            raise self._fail(f"has shape {actual}; expected {_shape_text(shape)}", name)
        count = math.prod(header.shape)
        # Each axis too, not only the product: (0, 2**30, 2**30) holds no value, but NumPy
        # still refuses to make an array of that shape.
        if count > max_elements or any(axis > max_elements for axis in header.shape):
            raise self._fail(f"holds {count} values; at most {max_elements} allowed", name)

    def _fail(self, problem: str, member: str | None = None) -> MlpvizError:
        """The error to raise: the file's name, the member's if any, then the problem."""
        if member is None:
            return self._error(f"{self._name}: {problem}")
        return self._error(f"{self._name}: member '{shown(member)}' {problem}")


def _literal(text: str) -> object:
    """The Python literal in ``text``, or None when it is not one. Header text is at most
    4 KiB, so the parser's limits (nesting, digits) are what can go wrong, not memory use."""
    try:
        return ast.literal_eval(text)
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError):
        return None


def _refuse_constant(constant: str) -> object:
    """json's hook for NaN, Infinity and -Infinity: JSON itself has no such numbers."""
    raise ValueError(f"{constant} is not a JSON number")


def _dtype_allowed(dtype: np.dtype, dtypes: tuple[str, ...]) -> bool:
    """True when ``dtype.str`` is listed, or a listed entry without a size has its kind."""
    if dtype.itemsize == 0:
        return False
    return any(
        dtype.str == entry or (not entry[-1].isdigit() and dtype.str.startswith(entry))
        for entry in dtypes
    )


def _shape_matches(actual: tuple[int, ...], expected: tuple[int | None, ...]) -> bool:
    """True when both have the same length and every expected size (None = any) matches."""
    return len(actual) == len(expected) and all(
        want is None or have == want for have, want in zip(actual, expected)
    )


def _shape_text(shape: tuple[int | None, ...]) -> str:
    """``(3, any)`` for (3, None); ``(3,)`` for (3,)."""
    sizes = ["any" if n is None else str(n) for n in shape]
    return f"({sizes[0]},)" if len(sizes) == 1 else f"({', '.join(sizes)})"


def write_archive(path: str | os.PathLike, manifest: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write ``manifest`` as ``manifest.json`` and each array as ``NAME.npy`` into a deflated
    zip at ``path``, atomically (the old file stays intact if anything fails).

    Raises OSError when the file cannot be written, ValueError for object arrays or NaN in
    the manifest, TypeError for a manifest JSON cannot represent.
    """
    text = json.dumps(manifest, allow_nan=False, indent=1, ensure_ascii=False)

    def write(handle: IO[bytes]) -> None:
        # Level 1: a large session (epoch orders of 100,000 samples in each checkpoint)
        # deflated at the default level took 5.6 s, long enough to stall an autosave.
        with zipfile.ZipFile(
            handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1
        ) as zip_file:
            zip_file.writestr(MANIFEST, text.encode("utf-8"))
            for name, array in arrays.items():
                with zip_file.open(f"{name}.npy", "w") as member:
                    np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)

    write_atomically(path, write)
