"""Local input files named by a path or a glob: each file once, whatever symlinks do, and only files
that can be read to an end.

Why not `glob.glob(pattern, recursive=True)` alone: `**` follows symlinks to folders, so a link to an
ancestor (`loop -> .`) makes every file below appear once per path up to the OS limit on path length
(41 copies of one file were measured), and with two such links the number of paths grows
exponentially and the glob never returns. Here `**` walks each real folder once (keyed by device and
inode), a link back to a folder on the current path is reported as a loop and not followed, and
files are deduplicated by what they are (device, inode), not by the path that reached them.
"""

from __future__ import annotations

import glob
import logging
import os
import stat

from corpus_builder.contracts.errors import BadInputError

logger = logging.getLogger(__name__)

_FILE_KINDS = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


class InputFileError(BadInputError, FileNotFoundError):
    """A local input that cannot be used as a file to read: missing, a directory, a device, a FIFO."""


def file_identity(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def refuse_irregular(path: str, pattern: str) -> None:
    """Raise InputFileError unless `path` (links followed) is a regular file: reading `/dev/zero` or a
    FIFO never ends, and a directory holds no records."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputFileError(f"input {pattern!r}: cannot use {path!r}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        kind = _FILE_KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise InputFileError(f"input {pattern!r}: {path!r} is {kind}, not a regular file; give WARC files")


def _subfolders(base: str) -> list[str]:
    """`base` and every non-hidden folder below it, each real folder once and by a path without links
    where one exists: links to folders are followed only after all real folders are listed, and a link
    to a folder that contains it (a loop) is logged and not followed."""
    found: list[str] = []
    seen: set[tuple[int, int]] = set()
    roots = [base]
    while roots:
        root = roots.pop(0)
        for folder, subfolders, _ in os.walk(root, followlinks=False):
            try:
                identity = file_identity(folder)
            except OSError:
                subfolders.clear()
                continue
            if identity in seen:
                subfolders.clear()  # reached again through a link: its files are already listed
                continue
            seen.add(identity)
            found.append(folder)
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
            for name in [n for n in subfolders if os.path.islink(os.path.join(folder, n))]:
                subfolders.remove(name)
                link = os.path.join(folder, name)
                target, here = os.path.realpath(link), os.path.realpath(folder)
                if here == target or here.startswith(target.rstrip(os.sep) + os.sep):
                    logger.warning(
                        "warning: symlink loop at %s (a link to a folder above it); not followed", link
                    )
                else:
                    roots.append(link)
    return found


def _glob(pattern: str) -> list[str]:
    parts = pattern.split(os.sep)
    if "**" not in parts:
        return glob.glob(pattern)  # without `**` the expansion is bounded by the pattern's depth
    cut = parts.index("**")
    prefix = os.sep.join(parts[:cut]) or (os.sep if pattern.startswith(os.sep) else os.curdir)
    rest = os.sep.join(parts[cut + 1 :]) or "*"
    bases = glob.glob(prefix) if glob.has_magic(prefix) else [prefix]
    matches: list[str] = []
    for base in sorted(b for b in bases if os.path.isdir(b)):
        for folder in _subfolders(base):
            matches += _glob(os.path.join(glob.escape(folder), rest))
    return matches


def expand_local(pattern: str) -> list[str]:
    """The regular files a local path or glob names, sorted, each file once (by device and inode).

    Raises InputFileError when nothing matches, or when a match is a device, FIFO or socket; a
    directory named without a glob is an error, a directory a glob happens to match is skipped."""
    if not glob.has_magic(pattern):
        if os.path.isdir(pattern):
            raise InputFileError(
                f"input {pattern!r} is a directory, not a WARC file; give files or a glob such as "
                f"{os.path.join(pattern, '*.warc.gz')!r}"
            )
        if not os.path.lexists(pattern):
            return []
        refuse_irregular(pattern, pattern)
        return [pattern]
    by_identity: dict[tuple[int, int], str] = {}
    for path in set(_glob(pattern)):
        if os.path.isdir(path):
            continue
        refuse_irregular(path, pattern)
        identity = file_identity(path)
        # the same file reached by several paths is named by its shortest one (fewest links crossed)
        known = by_identity.get(identity)
        if known is None or (path.count(os.sep), path) < (known.count(os.sep), known):
            by_identity[identity] = path
    return sorted(by_identity.values())
