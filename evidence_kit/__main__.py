"""Allow ``python -m evidence_kit``."""

import sys

try:
    from evidence_kit.cli import main
except KeyboardInterrupt:  # Ctrl-C while evkit is still starting: nothing was changed yet
    sys.stderr.write("evkit: stopped before it began; nothing was changed.\n")
    sys.exit(3)

if __name__ == "__main__":
    main()
