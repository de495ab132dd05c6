"""The chat front end: Chainlit app, stored history and feedback, the JSON API, staff pages.

``app.py`` is the thin Chainlit layer; everything it does is a plain function here:
``render`` (answer → message text and source elements), ``schema`` and ``datalayer`` (chat
history on SQLite or PostgreSQL), ``storage`` (files of stored elements), ``feedback``
(export), ``retention``, ``auth`` (staff login), ``ratelimit`` and ``web`` (HTTP routes).
"""
