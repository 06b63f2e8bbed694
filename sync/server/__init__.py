"""The district server: the HTTP app, push and pull, merge, accounts, numbers reserved, its storage.

`app.create_app` is the ASGI app `safecity serve` runs; `store.DistrictStore` is what it keeps,
on one of the `backends` (embedded SQLite, PostgreSQL).
"""
