"""The steps of the inbound pipeline, as Mailman has handlers: each takes one frozen `Item` and returns it
with what it found (or raises Deferred / Quarantined), knows nothing of batches, savepoints or retries,
and has its own test module. `bridge.pipeline` runs them in order for each spool item."""
