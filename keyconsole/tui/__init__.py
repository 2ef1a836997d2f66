"""The Textual console. It talks only to the service layer (`KeyStore`)."""
