"""The use cases: one function per thing a member of staff can do, for every surface.

A use case takes the actor (the member of staff as read in this turn), its inputs, today and a
unit of work (``services.unit_of_work``). It checks permission (``domain.permissions``), asks the
domain's rules, writes through the unit of work's repositories, writes the audit entries, and
returns data (never sentences) and, where something happened others must hear of, enqueues the
notifications in the same transaction. The chat, the card buttons, the command line and the
workers all call the same functions.

Modules, one per capability: ``reviews`` (next review, record, book, bring forward),
``paperwork`` (decisions and minutes sent), ``irs`` (raise an IR), ``ir_cards`` (what an IR card
shows and the notifications a move causes), ``ir_actions`` (respond, decline, escalate, resolve,
refer), ``caseload`` (due lists, IR lists and status, the names a user may type),
``summaries`` (the QA manager's figures), ``reminders`` (what the scheduler enqueues),
``reports`` (the annual report), ``imports``.
"""
