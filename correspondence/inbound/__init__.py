"""Inbound e-mail: reading a raw message (parse), and the doors it comes in by (imap; the pipe is the
`mail_ingest` command, the webhook is api.views.inbound). Filing is correspondence.services.inbound."""
