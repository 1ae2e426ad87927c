"""The one place that runs Terraform (see :mod:`nhi_toolkit.terraform.runner`)."""

from nhi_toolkit.terraform.runner import *  # noqa: F403
from nhi_toolkit.terraform.runner import __all__  # noqa: F401
