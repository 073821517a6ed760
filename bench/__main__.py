import sys

from .run import main

if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: everything the run started is stopped", file=sys.stderr)
        sys.exit(130)
