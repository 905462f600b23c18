"""The correspondence services: the only writers of outbox rows, customer notices and inbound mail."""
