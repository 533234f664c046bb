"""Documents: upload, camera capture, image pipeline, encrypted storage, PDF assembly."""
