"""Sync: the outbox reader, the sync client and the district server. Imports schema, never tui."""
