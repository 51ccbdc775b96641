"""The storage floor: SQLModel models, repositories, the outbox, migrations."""
