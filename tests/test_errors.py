"""Terminal escapes are taken out of what a kernel sends, by the one pattern of helpers.errors."""

from nbclient.exceptions import CellExecutionError

from helpers.errors import strip_ansi
from helpers.run_notebooks import describe_failure


def test_strip_ansi_removes_colours_and_cursor_moves_and_keeps_the_text():
    coloured = "\x1b[0;31mValueError\x1b[0m: bad \x1b[1;32mshape\x1b[39m\x1b[2K\x1b[1A!"
    assert strip_ansi(coloured) == "ValueError: bad shape!"
    assert strip_ansi("[0m and x1b[31m are text") == "[0m and x1b[31m are text"


def test_a_failed_cell_is_described_without_escapes():
    traceback = (
        "An error occurred while executing the following cell:\n------------------\n"
        "\x1b[2Ktrain(\x1b[31mX\x1b[0m, y)\nmore()\n------------------\n\n"
        "\x1b[0;31mValueError\x1b[0m: X has shape (3, 4)"
    )
    line = describe_failure(CellExecutionError(traceback, "ValueError", "X has shape (3, 4)"))
    assert line == "ValueError: X has shape (3, 4)  (in the cell starting: train(X, y))"
