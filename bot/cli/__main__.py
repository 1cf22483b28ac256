"""``python -m bot.cli``: the ``iro-bot`` command."""

from bot.cli import main

raise SystemExit(main())
