"""The edge's error types, each with a message that says what is wrong and what to do."""


class EdgeError(RuntimeError):
    """A run cannot start or cannot go on."""


class ModelError(EdgeError):
    """A model cannot be loaded or run: missing file, wrong input shape, unknown runtime."""


class SourceError(EdgeError):
    """A source cannot be opened or read: missing file or camera, no GStreamer, bad URL."""
