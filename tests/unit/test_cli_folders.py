"""``lexiscope FOLDER...``: the menu entry's ``Exec=lexiscope %F`` and a drop on the launcher."""

import pytest

from app.cli import build_parser, split_folders


@pytest.fixture(scope="module")
def parser():
    return build_parser()


@pytest.mark.parametrize("argv, options, folders", [
    (["/data/Research", "/home/me/Pictures"], [], ["/data/Research", "/home/me/Pictures"]),
    (["--demo", "notes"], ["--demo"], ["notes"]),
    # The word after an option that takes a value is that value, not a folder.
    (["--screenshot", "out.png", "--query", "strike", "papers"], ["--screenshot", "out.png", "--query", "strike"],
     ["papers"]),
    # A subcommand keeps all its arguments, positional ones included.
    (["search", "strike at the docks", "--k", "5"], ["search", "strike at the docks", "--k", "5"], []),
    (["--demo", "index", "a", "b"], ["--demo", "index", "a", "b"], []),
    # "--" ends the options: a folder named like a command (or an option) is still a folder.
    (["--", "index", "-odd"], [], ["index", "-odd"]),
    ([], [], []),
])
def test_folders_are_split_from_options_and_commands(parser, argv, options, folders):
    assert split_folders(parser, argv) == (options, folders)
    parser.parse_args(options)  # what is left parses: no "invalid choice"


def test_a_missing_folder_is_refused_before_the_window_opens(tmp_path, capsys):
    from app.cli import main

    assert main([str(tmp_path / "no such folder")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
