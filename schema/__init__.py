"""The SafeCity domain: tables and migrations, the hazard rules, the one write path, queries.

Imports no other SafeCity package: the sync engine and the UI stand on this, never the
other way round.
"""
