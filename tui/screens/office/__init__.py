"""The district office's screens: dashboard, escalations, extensions, listings, assessment,
looking back."""
