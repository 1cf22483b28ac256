"""Background workers: the outbox dispatcher and the reminder scheduler."""
