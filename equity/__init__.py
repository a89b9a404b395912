"""Eligible-population estimates, suppression, representation ratios and coverage gaps."""
