"""How a verdict reads over HTTP, and the verifier behind every HTTP interface: one layer
shared by `keyconsole serve` and the framework guards, so they answer a client alike."""
