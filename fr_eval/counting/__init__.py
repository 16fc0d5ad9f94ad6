"""Linking and counting: truth links, the alert rule, the funnel of counts and every counting method."""
