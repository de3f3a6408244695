"""``python -m gateway`` is the ``concentrator`` command."""

from gateway.cli import main

if __name__ == "__main__":
    main()
