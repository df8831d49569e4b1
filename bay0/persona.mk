# bay0/ persona rules: passport, launch, seccomp, capabilities, cgroups.
