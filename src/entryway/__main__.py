"""``python -m entryway`` and the ``entryway`` script: the commands in ``cli``."""

from __future__ import annotations


def run() -> int:
    """Run one command; Ctrl-C ends it without a traceback, even while it is still starting."""
    try:
        # Imported here, so that a Ctrl-C during the imports (a few seconds on a busy
        # machine) is caught too.
        from entryway.cli import main

        return main()
    except KeyboardInterrupt:
        return 130  # the shell's status for "stopped by Ctrl-C"


if __name__ == "__main__":
    raise SystemExit(run())
