"""Widgets the screens share: the hazard list and the status line with the footer."""
