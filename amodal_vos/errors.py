"""The one exception type for problems a user can fix (bad input, missing files); the CLI prints it as one line."""


class UserError(Exception):
    """A problem with the user's input or environment, reported as a single line without a traceback."""
