"""Demo data for the embedded network, for every app, at the top of the house: it may use every
app's services, and no app imports it. `seed.seed()` fills a node; `credentials` (importable
before Django is set up) holds the demo password and authenticator key."""
