"""The library roots: the only folders music may be scanned from and streamed out of.

A requested directory is resolved to its real path (symlinks and `..` followed) *before* it is
compared with the roots, so no spelling of a path, and no symlink, reaches outside them.
"""

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class LibraryPathError(Exception):
    """A requested library path cannot be used; the message is safe to show to the client."""


class InvalidLibraryPath(LibraryPathError):
    """Not a usable path at all (empty parts, NUL bytes)."""


class OutsideLibraryRoots(LibraryPathError):
    """The path resolves outside every library root."""


class LibraryDirectoryNotFound(LibraryPathError):
    """Inside a root, but there is nothing there."""


class NotALibraryDirectory(LibraryPathError):
    """Inside a root, but it is a file (or something else), not a directory."""


@dataclass(frozen=True)
class LibraryDirectory:
    """A directory inside a root: its real path, and the real path of the root that holds it."""

    path: Path
    root: Path

    @property
    def relative(self) -> str:
        """The directory relative to its root, POSIX style; "." for the root itself."""
        return self.path.relative_to(self.root).as_posix()


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


class LibraryRoots:
    """The configured roots, as given (for display) and as real absolute paths (for checks)."""

    def __init__(self, configured: Sequence[Path]) -> None:
        if not configured:
            raise ValueError("at least one library root is needed")
        self.configured = list(configured)
        self.real = [_real(root) for root in configured]
        # Innermost first, as string prefixes: `relative` runs for every listed track.
        self._prefixes = sorted((os.path.join(root, "") for root in self.real), key=len, reverse=True)

    def ensure_default(self) -> None:
        """Create the first root if missing, so a fresh install has a folder to drop music in."""
        self.real[0].mkdir(parents=True, exist_ok=True)

    def containing(self, real_path: Path) -> Path | None:
        """The (innermost) real root that `real_path` lies in, if any; the path must be resolved."""
        inside = [root for root in self.real if real_path == root or real_path.is_relative_to(root)]
        return max(inside, key=lambda root: len(root.parts), default=None)

    def relative(self, stored_path: str) -> str | None:
        """A stored (absolute, as walked) path relative to its root, or None if under no root."""
        for prefix in self._prefixes:
            if stored_path.startswith(prefix):
                return stored_path[len(prefix) :].replace(os.sep, "/")
        return None

    def resolve_directory(self, requested: str | Path | None) -> LibraryDirectory:
        """The library directory a user asked for: relative paths are taken from the first root.

        Refusal comes before any existence check, so probing outside the roots learns nothing.
        """
        if requested is None or str(requested).strip() == "":
            path = self.real[0]
        else:
            if "\x00" in str(requested):
                raise InvalidLibraryPath("The path contains a NUL byte.")
            path = self.real[0] / Path(requested)  # an absolute `requested` replaces the root
        real = _real(path)
        root = self.containing(real)
        if root is None:
            raise OutsideLibraryRoots("That directory is outside the library roots.")
        try:
            mode = real.stat().st_mode
        except FileNotFoundError:
            raise LibraryDirectoryNotFound("No such directory in the library.") from None
        except OSError as error:  # a name too long, a loop, a folder we may not read
            raise InvalidLibraryPath(f"That path cannot be used: {error.strerror or 'unreadable'}.") from None
        if not stat.S_ISDIR(mode):
            raise NotALibraryDirectory("That path is not a directory.")
        return LibraryDirectory(path=real, root=root)

    def resolve_file(self, stored_path: str) -> Path | None:
        """The real path of an indexed file if it still exists as a regular file inside a root."""
        real = _real(Path(stored_path))
        if self.containing(real) is None:
            return None
        try:
            return real if stat.S_ISREG(real.stat().st_mode) else None
        except OSError:
            return None
