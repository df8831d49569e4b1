# tests/: rules arrive with its issue.
