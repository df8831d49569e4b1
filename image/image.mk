# image/: rules arrive with its issue.
