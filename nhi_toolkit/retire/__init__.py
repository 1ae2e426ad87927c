"""Retirement (see :mod:`nhi_toolkit.retire.run`)."""

from nhi_toolkit.retire.run import *  # noqa: F403
from nhi_toolkit.retire.run import _addresses_in_state, _Audit, __all__  # noqa: F401
