"""The demo district (modelled on Binhai New Area): its towns, units, people and hazards.

`district.seed` fills a database; `data` holds the names and texts it draws on.
"""
