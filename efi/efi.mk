# efi/: rules arrive with its issue.
