"""`python -m tui` runs the `safecity` command (used by tests to run the CLI as a process)."""

from tui.cli.main import main

main()
