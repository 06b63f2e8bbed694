"""Where the server keeps its data: `sqlite` (embedded) or `postgres`, both satisfying `base`."""
