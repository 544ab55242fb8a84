import sys

from fgir.commands import main

if __name__ == "__main__":
    sys.exit(main())
