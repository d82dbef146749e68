"""``replicate codegen``: typed Python modules from models' schemas (``replicate.codegen``).

Writes one module per model into ``--output`` and prints each path, one a line. The schemas
are all fetched before anything is written, so that a bad model leaves the folder as it was.
Running the same command again regenerates the modules (the command is recorded in each).

Example::

    $ replicate codegen replicate/image replicate/hello-world --output models
    models/image.py
    models/hello_world.py
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replicate.cli._errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    from replicate.cli._session import Session

__all__ = ["codegen_command"]


def codegen_command(session: Session) -> int:
    """``replicate codegen``."""
    from replicate.codegen import CodegenError, _regenerate_command, _write_modules

    args = session.args
    command = _regenerate_command(
        args.models, args.output, on_new_version=args.on_new_version, emulator=args.emulator
    )
    try:
        paths = _write_modules(
            args.models,
            args.output,
            client=session.client,
            on_new_version=args.on_new_version,
            command=command,
        )
    except CodegenError as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        if error.filename is None:
            raise
        raise UsageError(f"cannot write to {error.filename}: {error.strerror or error}") from None
    for path in paths:
        print(path)
    return EXIT_OK
