"""The shared store: SQLAlchemy models, repositories, migrations, bot state and importers."""
