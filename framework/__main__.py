"""``python -m framework ...`` is the ``framework`` command."""

from framework.cli import main

if __name__ == "__main__":
    main(prog_name="framework")
