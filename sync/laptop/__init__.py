"""The laptop's side of sync: enrolment, the sync client, applying pulls, conflicts, numbers in stock.

Imports nothing of `sync.server` (a test keeps that true): a laptop never loads server code.
"""
