"""Allow ``python -m evidence_kit``."""

from evidence_kit.cli import main

if __name__ == "__main__":
    main()
