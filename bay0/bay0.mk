# bay0/: PID 1. Persona rules live in bay0/persona.mk.
include bay0/persona.mk
