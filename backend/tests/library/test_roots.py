"""Library roots: every spelling of a path outside them is refused before anything else is said."""

import os
from pathlib import Path

import pytest

from backend.library.roots import (
    InvalidLibraryPath,
    LibraryDirectoryNotFound,
    LibraryRoots,
    NotALibraryDirectory,
    OutsideLibraryRoots,
)


@pytest.fixture
def roots(tmp_path: Path) -> LibraryRoots:
    for name in ("music/jazz", "more", "outside/secret"):
        (tmp_path / name).mkdir(parents=True)
    (tmp_path / "music" / "song.wav").write_bytes(b"x")
    os.symlink(tmp_path / "outside", tmp_path / "music" / "escape")
    os.symlink(tmp_path / "more", tmp_path / "music" / "to-more")
    return LibraryRoots([tmp_path / "music", tmp_path / "more"])


def test_relative_paths_start_at_the_first_root(roots: LibraryRoots, tmp_path: Path) -> None:
    assert roots.resolve_directory(None).path == (tmp_path / "music").resolve()
    assert roots.resolve_directory("").relative == "."
    jazz = roots.resolve_directory("jazz")
    assert (jazz.path, jazz.relative) == ((tmp_path / "music" / "jazz").resolve(), "jazz")
    assert roots.resolve_directory("jazz/../jazz").relative == "jazz"  # `..` that stays inside is fine


def test_absolute_paths_inside_any_root_are_allowed(roots: LibraryRoots, tmp_path: Path) -> None:
    more = roots.resolve_directory(str(tmp_path / "more"))
    assert (more.root, more.relative) == ((tmp_path / "more").resolve(), ".")
    # A symlink between roots lands in the root it points into.
    assert roots.resolve_directory("to-more").root == (tmp_path / "more").resolve()


@pytest.mark.parametrize(
    "requested", ["..", "../outside", "jazz/../../outside/secret", "/etc", "escape", "/"]
)
def test_everything_outside_the_roots_is_refused(roots: LibraryRoots, requested: str) -> None:
    with pytest.raises(OutsideLibraryRoots):
        roots.resolve_directory(requested)


def test_refusal_comes_before_existence(roots: LibraryRoots) -> None:
    with pytest.raises(OutsideLibraryRoots):
        roots.resolve_directory("/no/such/place")
    with pytest.raises(LibraryDirectoryNotFound):
        roots.resolve_directory("no such folder")
    with pytest.raises(NotALibraryDirectory):
        roots.resolve_directory("song.wav")
    with pytest.raises(InvalidLibraryPath):
        roots.resolve_directory("jazz\x00")


def test_stored_paths_are_shown_relative_and_streamed_only_inside(
    roots: LibraryRoots, tmp_path: Path
) -> None:
    music = (tmp_path / "music").resolve()
    assert roots.relative(str(music / "jazz" / "a.wav")) == "jazz/a.wav"
    assert roots.relative("/elsewhere/a.wav") is None
    assert roots.resolve_file(str(music / "song.wav")) == music / "song.wav"
    assert roots.resolve_file(str(music / "missing.wav")) is None
    assert roots.resolve_file(str(music / "jazz")) is None
    (tmp_path / "outside" / "x.wav").write_bytes(b"x")
    assert roots.resolve_file(str(music / "escape" / "x.wav")) is None


def test_the_first_root_is_created_if_missing(tmp_path: Path) -> None:
    roots = LibraryRoots([tmp_path / "new" / "library", tmp_path / "absent"])
    roots.ensure_default()
    assert (tmp_path / "new" / "library").is_dir()
    assert not (tmp_path / "absent").exists()
    with pytest.raises(ValueError, match="at least one"):
        LibraryRoots([])


@pytest.mark.parametrize(
    "requested",
    [
        "a" * 256,  # one component longer than any file system allows
        "é" * 200,  # 400 bytes in UTF-8
        "/".join(["deep"] * 2000),  # a path longer than PATH_MAX
    ],
)
def test_paths_no_file_system_can_hold_are_refused_cleanly(roots: LibraryRoots, requested: str) -> None:
    with pytest.raises(InvalidLibraryPath, match="cannot be used"):
        roots.resolve_directory(requested)
