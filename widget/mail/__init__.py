"""E-mail: composing localised messages, the SMTP (or console) transport, and the outbox sender."""
