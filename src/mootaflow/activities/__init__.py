"""Activities: every side effect of a payment (database, PDF, SMTP, HTTP)."""
