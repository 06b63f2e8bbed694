"""SQLite mechanics: opening a file, transactions, migrations, bulk loads, the search index.

Nothing here knows a rule of the domain; the domain modules beside this package stand on it.
`connection.connect` opens a file ready to use; `transactions` is what every writer needs.
"""
