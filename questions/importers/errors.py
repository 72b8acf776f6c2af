"""The one error type the importer raises for a file it cannot use."""
from __future__ import annotations


class ImportFileError(ValueError):
    """A file that cannot be imported; the message names the file and the line.

    Raised before anything is written, so a bad file never leaves half an
    import behind. ``line`` is 1-based; 0 means the problem is the whole file
    (empty, binary, unknown format).
    """

    def __init__(self, path: str, line: int, message: str):
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}, line {line}" if line else path
        super().__init__(f"{where}: {message}")
