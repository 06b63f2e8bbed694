"""The `safecity` command: `main` (the group, shared options, errors) and one module per group.

`main.COMMAND_MODULES` maps each command to its module, loaded only when that command runs.
"""
