"""`python -m trustctl.cli`."""

from trustctl.cli import main

main()
