"""Language tests walk the customer pages: the same still clock and empty limits as theirs."""

from tests.site.conftest import empty_rate_limits, frozen_clock

__all__ = ["empty_rate_limits", "frozen_clock"]
