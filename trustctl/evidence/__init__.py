"""The evidence locker: content-addressed raw responses, signed run manifests, verification."""
