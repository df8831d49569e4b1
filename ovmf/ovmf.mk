# ovmf/: rules arrive with its issue.
