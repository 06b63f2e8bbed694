"""The Textual app and the `safecity` CLI. Imports sync and schema; nothing imports it."""
