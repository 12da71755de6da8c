"""What finance and merchants can do, whoever asks: the JSON API, the finance console
and the CLI call these and turn their errors (`domain.errors`) into their own answers."""
