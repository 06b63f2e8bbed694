"""The app's screens: triage (the hazard list), a hazard in full and its forms, inspections,
the inbox of conflicts and rejected changes, units; the office's screens in `office`."""
