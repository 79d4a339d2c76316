"""The services of the local stack, one small module each."""
