"""``python -m nhi_toolkit.terraform <args>``: the embedded Terraform, run like the binary."""

import sys

from nhi_toolkit.terraform.embedded import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
