"""User-given file names: resolved inside their folder before anything is opened, and written only when plain."""

import os

import pytest

from trackdiff_core import TrackDiffError
from trackdiff_core.file_names import plain_file_name, relative_prefix, resolve_inside

FIX = "pick a file in the folder"


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "input"
    (root / "tracks").mkdir(parents=True)
    (root / "tracks" / "a.txt").write_text("1,1,1,1,2,2\n")
    (tmp_path / "secret.txt").write_text("root:x:0:0\n")
    (root / "out_link.txt").symlink_to(tmp_path / "secret.txt")
    (root / "dir_link").symlink_to(tmp_path, target_is_directory=True)
    (root / "in_link.txt").symlink_to(root / "tracks" / "a.txt")
    return root


def test_names_inside_the_folder_resolve(folder):
    found = resolve_inside(str(folder), "tracks/a.txt", "file", "the input folder", FIX)
    assert found == str(folder / "tracks" / "a.txt")
    assert resolve_inside(str(folder), "in_link.txt", "file", "the input folder", FIX).endswith("a.txt")


@pytest.mark.parametrize("name", [
    "/etc/passwd", "/etc/hostname", "/no/such/file", "../secret.txt", "tracks/../../secret.txt", "..\\secret.txt",
    "out_link.txt", "dir_link/secret.txt", "tracks", "", "missing.txt", "C:/Windows/win.ini", "a\x00b", "\udc80.txt",
])
def test_names_leading_out_are_refused_alike(folder, tmp_path, name):
    """Absolute paths, '..', links leading out, folders and missing files all get the same answer, which shows neither
    the server path nor whether the file exists."""
    with pytest.raises(TrackDiffError) as info:
        resolve_inside(str(folder), name, "file", "the input folder", FIX)
    message = str(info.value)
    assert message.startswith("file: is not a file in the input folder (got ") and message.endswith(f"Fix: {FIX}")
    assert str(tmp_path) not in message and "root:x" not in message


@pytest.mark.parametrize("name, problem", [
    ("{.safetensors", "holds '{'"),
    ('{"version": 999}.safetensors', "holds '{'"),
    ("evil\u202egpj.safetensors", "U\\+202E"),
    ("a\udc80.safetensors", "U\\+DC80"),
    ("x" * 2_000_000, "2000000 characters long"),
    ("x" * 300 + ".safetensors", "longer than 200 bytes"),
    ("sub/name.safetensors", "names a folder"),
    (".hidden.safetensors", "hidden file"),
    ("..", "names a folder|leave its folder"),
    ("", "is empty"),
    (" name.safetensors", "starts or ends with a space"),
])
def test_written_file_names_must_be_plain(name, problem):
    with pytest.raises(TrackDiffError, match=problem) as info:
        plain_file_name("output_name", name, "e.g. trackdiffusion_stage2.fp16.safetensors")
    assert str(info.value).startswith("output_name: ") and len(str(info.value)) < 400


def test_plain_names_pass():
    for name in ("trackdiffusion_stage2.fp16.safetensors", "Модель (2) [v1]+x.safetensors", "a b-c_d.sft",
                 "Anna's run #2, v=3 & more!.safetensors"):
        assert plain_file_name("output_name", name, FIX) == name


@pytest.mark.parametrize("prefix, problem", [
    ("/tmp/x", "absolute path"), ("../x", "leave its folder"), ("a/../../x", "leave its folder"),
    ("a//b", "empty folder name"), ("a/", "empty folder name"), ("/".join(["a"] * 100), "folders deep"),
    ("x" * 2_000_000, "characters long"), ("lab\x07els", "U\\+0007"), ("lab\udc80", "U\\+DC80"), ("a\nb", "U\\+000A"),
])
def test_bad_prefixes(prefix, problem):
    with pytest.raises(TrackDiffError, match=problem):
        relative_prefix("filename_prefix", prefix, "use trackdiff/labels", extra="%")


def test_good_prefixes():
    assert relative_prefix("filename_prefix", "trackdiff/labels", FIX) == ["trackdiff", "labels"]
    assert relative_prefix("filename_prefix", "runs/%year%-%month%/labels", FIX, extra="%")[1] == "%year%-%month%"
    assert os.sep not in "".join(relative_prefix("filename_prefix", "a\\b", FIX))
