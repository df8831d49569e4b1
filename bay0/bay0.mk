# bay0/: rules arrive with its issue.
