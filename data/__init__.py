"""trialsift.data: documents bundled with trialsift (the five seed documents in samples/, with their
sidecar metadata), read by `trialsift eval` as package data; no code."""
