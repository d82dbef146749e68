"""Encoding model inputs and reading model outputs: the public names.

``encode_json`` turns an input into JSON, uploading (or inlining) the files in it;
``base64_encode_file`` gives one file as a ``data:`` URI; ``transform_output`` wraps the file
URLs of an output in ``FileOutput``, which downloads nothing until asked and never sends the
API token to a file host. The rules are in ``replicate._files`` (inputs) and
``replicate._file_output`` (outputs).

Example::

    from replicate.helpers import FileOutput, encode_json

    encode_json({"image": Path("photo.jpg")}, client)  # {'image': 'https://...'}
"""

from __future__ import annotations

from replicate._file_output import FileOutput, transform_output
from replicate._files import (
    INLINE_LIMIT,
    MAX_FILE_SIZE,
    FileEncodingStrategy,
    FileTooLargeError,
    async_encode_json,
    base64_encode_file,
    encode_json,
)

__all__ = [
    "INLINE_LIMIT",
    "MAX_FILE_SIZE",
    "FileEncodingStrategy",
    "FileOutput",
    "FileTooLargeError",
    "async_encode_json",
    "base64_encode_file",
    "encode_json",
    "transform_output",
]
