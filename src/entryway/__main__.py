"""``python -m entryway``: the same commands as the ``entryway`` script."""

from entryway.cli import main

raise SystemExit(main())
