"""The writes of `iro-bot import`: records already read and checked by ``services.imports``
go into the store, and each write returns what happened as data (created, updated or unchanged
per thing written, the children whose review schedule must be refreshed, counts the report
words). Nothing here reads a file or words a message for a person.

- ``common``: ``Written`` and ``outcome``; the shared look-ups and batched inserts
  (``children_by_id``, ``all_staff``, ``insert_rows``, ``chunks``);
- ``people``, ``children``, ``reviews``, ``irs``: each kind's records and its ``write_*``;
- ``ssda903``: a return's records and one write per file (header, episodes, reviews, missing,
  uasc);
- ``schedules``: ``refresh_schedules``, the stored review schedule of every child an import
  touched, refreshed in its transaction.
"""
